"""Nanchang 南昌 (2019 暂行办法): signed provider, village points, referral, poverty, family doctor,
resettled members."""

from policy.rules import nanchang
from policy.rules.common import YearToDate

from .support import D, member, params_on, provider, signup, visit

NC = "360100"
T1 = provider("NC-T1", "1", kind="township", admdvs=NC)
V1 = provider("NC-V1", "1", kind="village", admdvs=NC, parent_code="NC-T1")
V2 = provider("NC-V2", "1", kind="village", admdvs=NC, parent_code="NC-T2")
TCM = provider("NC-TCM", "2", kind="county_tcm", admdvs=NC)
HOSPITAL = provider("NC-H", "2", kind="hospital", admdvs=NC)
SIGNED = signup(T1)
RESIDENT = member("resident")


def _decide(member_, provider_, visit_, signup_=SIGNED, buckets=None, **overrides):
    return nanchang.adjudicate(params=params_on(NC, visit_.day, **overrides), member=member_, provider=provider_,
                               signup=signup_, visit=visit_, ytd=YearToDate(visit_.day.year, buckets or {}))


def test_village_service_point_of_the_signed_centre_is_paid_and_charged_to_the_centre():
    decision = _decide(RESIDENT, V1, visit("2024-02-02T10:00", "10.01"))
    assert (decision.ratio, decision.fund_pay, decision.charged_provider_code) == (D("0.60"), D("6.01"), "NC-T1")
    other_centre = _decide(RESIDENT, V2, visit("2024-02-02T10:00", "10.00"))
    assert (other_centre.status, other_centre.reason) == ("not_covered", "not_signed_provider")


def test_referral_only_to_the_county_tcm_hospital_at_40_percent_through_the_signed_provider():
    referred = _decide(RESIDENT, TCM, visit("2024-02-04T10:00", "100.00", referral=True))
    assert (referred.ratio, referred.fund_pay, referred.charged_provider_code) == (D("0.40"), D("40.00"), "NC-T1")
    assert _decide(RESIDENT, TCM, visit("2024-02-04T10:00", "100.00")).reason == "not_signed_provider"
    assert _decide(RESIDENT, HOSPITAL, visit("2024-02-04T10:00", "100.00", referral=True)).reason == \
        "not_signed_provider"


def test_poverty_and_family_doctor_ratios():
    poor = member("resident", poverty=True)
    with_doctor = signup(T1, family_doctor=True)
    cases = {
        "poor+doctor at signed": _decide(poor, T1, visit("2024-02-05T10:00", "100.00"), with_doctor),
        "poor+doctor at its village point": _decide(poor, V1, visit("2024-02-05T10:00", "100.00"), with_doctor),
        "poor+doctor on referral": _decide(poor, TCM, visit("2024-02-05T10:00", "100.00", referral=True), with_doctor),
        "doctor at signed": _decide(RESIDENT, T1, visit("2024-02-05T10:00", "100.00"), with_doctor),
        "doctor on referral": _decide(RESIDENT, TCM, visit("2024-02-05T10:00", "100.00", referral=True), with_doctor),
        "poor without doctor": _decide(poor, T1, visit("2024-02-05T10:00", "100.00")),
    }
    assert {name: d.fund_pay for name, d in cases.items()} == {
        "poor+doctor at signed": D("70.00"), "poor+doctor at its village point": D("70.00"),
        "poor+doctor on referral": D("65.00"), "doctor at signed": D("65.00"), "doctor on referral": D("40.00"),
        "poor without doctor": D("65.00")}


def test_no_sign_up_no_benefit_and_no_deductible_or_cap_otherwise():
    assert _decide(RESIDENT, T1, visit("2024-02-05T10:00", "100.00"), signup_=None).reason == "not_signed_provider"
    # however much the fund has paid this year, a visit at the signed provider is paid in full ratio
    rich = _decide(RESIDENT, T1, visit("2024-02-05T10:00", "10000.00"), buckets={"fund": D("99999")})
    assert (rich.deductible, rich.fund_pay, rich.annual_cap) == (0, D("6000.00"), None)
