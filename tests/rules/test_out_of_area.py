"""The pure out-of-area core (policy/rules/out_of_area.py) and the region rules that read it, with
numbers computed by hand from RULES.md "Out-of-area care"."""
from datetime import date

import pytest

from policy.rules import adjudicate, heyuan, nanchang
from policy.rules.common import RegistrationFacts, YearToDate
from policy.rules.out_of_area import is_city_code, out_of_area_derive, registered_kinds, registration_on

from .support import D, member, params_on, provider, signup, visit

NC, HY, NY = "360100", "441600", "411300"
T1 = provider("NC-T1", "1", kind="township", admdvs=NC)
GZ_C1 = provider("GZ-C1", "1", kind="community", admdvs="440100")
GZ_V1 = provider("GZ-V1", "1", kind="village", admdvs="440100", parent_code="GZ-C1")
GZ_H1 = provider("GZ-H1", "1", kind="hospital", admdvs="440100")


def reg(kind="resettled", dest="440100", start=date(2023, 5, 1), end=None, cancelled=None, id=7):
    return RegistrationFacts(kind=kind, dest_admdvs=dest, start_on=start, end_on=end, cancelled_on=cancelled, id=id)


@pytest.mark.parametrize("kind, provider_admdvs, in_force, expected", [
    ("long_term", NY, True, "none"),            # a provider of the member's own region
    ("long_term", "440100", True, "long_term"),
    ("resettled", "440100", True, "long_term"),
    ("temporary", "440100", True, "temporary"),
    ("long_term", "440300", True, "unregistered"),  # registered for another city
    ("long_term", "440100", False, "unregistered"),
    ("long_term", "370300", False, "unregistered"),  # another of our regions is out of area too
])
def test_derivation_table(kind, provider_admdvs, in_force, expected):
    registration = reg(kind=kind) if in_force else None
    derived, used = out_of_area_derive(member_admdvs=NY, provider_admdvs=provider_admdvs, in_force=registration)
    assert derived == expected
    assert used == (registration if expected in ("long_term", "temporary") else None)


def test_registration_in_force_includes_both_ends():
    history = (reg(start=date(2024, 1, 1), end=date(2024, 3, 31), id=1), reg(start=date(2024, 4, 1), id=2))
    assert registration_on(history, date(2023, 12, 31)) is None
    assert registration_on(history, date(2024, 3, 31)).id == 1
    assert registration_on(history, date(2024, 4, 1)).id == 2


def test_city_codes_and_registered_kinds():
    assert [is_city_code(c) for c in ("440100", "110100", "440000", "440106", "44010", "4401O0")] == [
        True, True, False, False, False, False]
    assert registered_kinds(HY) == ("resettled", "long_term")
    assert registered_kinds(NC) == ("resettled",)
    assert registered_kinds(NY) == ("resettled", "long_term", "temporary")


def _nanchang(birth, registrations, provider_, when, eligible, *, out_of_area="none", fund="0", poverty=False,
              family_doctor=False):
    facts = member("resident", birth_date=birth, registrations=tuple(registrations), poverty=poverty)
    day = date.fromisoformat(when[:10])
    used = registration_on(registrations, day) if out_of_area != "none" else None
    return nanchang.adjudicate(
        params=params_on(NC, day), member=facts, provider=provider_, signup=signup(T1, family_doctor=family_doctor),
        visit=visit(when, eligible, out_of_area=out_of_area, registration=used),
        ytd=YearToDate(day.year, {"fund": D(fund)} if fund != "0" else {}))


@pytest.mark.parametrize("birth_year, standard", [
    (2024, "37"), (2010, "37"),        # age 0, 14: group 1
    (1934, "70"), (2013, "70"),        # age 90, 11: group 2
    (1991, "141"), (2015, "141"),      # age 33, 9: group 3
    (1964, "181"), (2018, "181"),      # age 60, 6: group 4
    (1959, "226"), (2020, "226"),      # age 65, 4: group 5
])
def test_nanchang_resettled_cap_is_the_age_group_standard(birth_year, standard):
    # age = 2024 − birth year; 10 000 × 60% is clipped to the group's standard
    decision = _nanchang(date(birth_year, 12, 31), (reg(start=date(2022, 5, 1)),), GZ_C1, "2024-04-01T10:00",
                         "10000.00", out_of_area="long_term")
    assert decision.annual_cap == D(standard) and decision.fund_pay == D(standard)


def test_nanchang_resettled_poverty_ratio_without_family_doctor_bonus_and_village_is_primary():
    # poverty 65% out of area (no +5: the family-doctor bonus belongs to the signed provider): 100 × 65%
    decision = _nanchang(date(1970, 5, 1), (reg(),), GZ_V1, "2024-02-01T10:00", "100.00", out_of_area="long_term",
                         poverty=True, family_doctor=True)
    assert (decision.status, decision.ratio, decision.fund_pay, decision.charged_provider_code) == (
        "settled", D("0.65"), D("65.00"), "NC-T1")
    # a level-1 provider that is a hospital is not primary level
    assert _nanchang(date(1970, 5, 1), (reg(),), GZ_H1, "2024-02-01T10:00", "100.00",
                     out_of_area="long_term").reason == "resettled_not_primary_care"


def test_nanchang_cancellation_reaches_31_december_only():
    cancelled = reg(start=date(2022, 5, 1), end=date(2024, 12, 20), cancelled=date(2024, 12, 20))
    # 2024-12-19 at the signed provider: covered under the cap (age 54 → 181): 100 × 60% = 60.00
    assert _nanchang(date(1970, 5, 1), (cancelled,), T1, "2024-12-19T10:00", "100.00").fund_pay == D("60.00")
    assert _nanchang(date(1970, 5, 1), (cancelled,), T1, "2024-12-20T10:00", "100.00").reason == \
        "resettlement_cancelled"
    # from 1 January the ordinary rules again, no cap: 1000 × 60% = 600.00
    after = _nanchang(date(1970, 5, 1), (cancelled,), T1, "2025-01-02T10:00", "1000.00", fund="500")
    assert (after.status, after.annual_cap, after.fund_pay) == ("settled", None, D("600.00"))


def test_nanchang_a_registration_that_ends_without_cancellation_does_not_refuse_the_signed_provider():
    ended = reg(start=date(2022, 5, 1), end=date(2024, 3, 31))
    decision = _nanchang(date(1970, 5, 1), (ended,), T1, "2024-05-01T10:00", "100.00", fund="170")
    # cap still in force for 2024 (the benefit ran January–March): 60 clipped to 181 − 170 = 11.00
    assert (decision.status, decision.fund_pay) == ("settled", D("11.00"))


def test_nanchang_cancelled_in_its_own_year_never_brings_a_cap():
    own_year = reg(start=date(2024, 2, 1), end=date(2024, 6, 1), cancelled=date(2024, 6, 1))
    decision = _nanchang(date(1970, 5, 1), (own_year,), T1, "2024-03-01T10:00", "1000.00", fund="500")
    assert (decision.annual_cap, decision.fund_pay) == (None, D("600.00"))


def test_the_out_of_area_step_opens_the_explanation_with_the_registration():
    registration = reg(kind="long_term", start=date(2024, 1, 1), id=42)
    decision = adjudicate(NY, params=params_on(NY, date(2024, 3, 1)), member=member(), provider=GZ_C1, signup=None,
                          visit=visit("2024-03-01T10:00", "100.00", out_of_area="long_term", registration=registration),
                          ytd=YearToDate(2024, {}))
    assert decision.steps[0].rule == "out_of_area" and "第42号" in decision.steps[0].note
    assert decision.fund_pay == D("60.00")                                   # L1: 100 × 60%


def test_heyuan_referral_out_of_the_city_is_not_paid():
    selected = provider("HY-L1", "1", kind="township", admdvs=HY)
    decision = heyuan.adjudicate(params=params_on(HY, date(2024, 3, 1)), member=member(), provider=GZ_C1,
                                 signup=signup(selected), ytd=YearToDate(2024, {}),
                                 visit=visit("2024-03-01T10:00", "100.00", referral=True, out_of_area="long_term",
                                             registration=reg(kind="long_term")))
    assert (decision.status, decision.reason) == ("not_covered", "not_signed_provider")
