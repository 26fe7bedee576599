"""Attribution rules (RULES.md Nanchang/Heyuan): who carries a member-month and a claim."""
from datetime import date

import pytest

from budgets.services import settlement_run_compute
from tests.budgets.helpers import make_claim, make_member, make_provider, make_signup

pytestmark = pytest.mark.django_db
NANCHANG = "360100"


def _lines(run):
    return {line.provider.fixmedins_code: line for line in run.lines.select_related("provider")}


def test_given_provider_suspended_on_apr_10_when_year_end_then_old_to_march_new_from_april():
    old = make_provider(code="S-OLD", status="suspended")
    new = make_provider(code="S-NEW")
    member = make_member(birth=date(1954, 1, 1))                       # group 5, 226
    make_signup(member=member, provider=old, effective_from=date(2021, 1, 1))
    make_signup(member=member, provider=new, effective_from=date(2024, 4, 10), reason="provider_suspended")

    lines = _lines(settlement_run_compute(admdvs=NANCHANG, kind="year_end", period="2024"))
    april = _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-04"))

    assert (lines["S-OLD"].member_months, str(lines["S-OLD"].budget)) == (3, "56.50")  # 226 ÷ 12 × 3
    assert (lines["S-NEW"].member_months, str(lines["S-NEW"].budget)) == (9, "169.50")  # 226 ÷ 12 × 9
    assert list(april) == ["S-NEW"]


def test_given_first_signup_in_september_and_address_change_in_november_then_first_provider_keeps_backfill():
    """Reading: the months before the first sign-up go to the first provider; then month-end rule."""
    b = make_provider(code="F-B")
    c = make_provider(code="F-C")
    member = make_member(birth=date(1954, 1, 1))
    make_signup(member=member, provider=b, effective_from=date(2024, 9, 15))
    make_signup(member=member, provider=c, effective_from=date(2024, 12, 1), reason="address_change",
                applied_on=date(2024, 11, 3))

    lines = _lines(settlement_run_compute(admdvs=NANCHANG, kind="year_end", period="2024"))

    assert (lines["F-B"].member_months, str(lines["F-B"].budget)) == (11, "207.17")   # 226 × 11 ÷ 12
    assert (lines["F-C"].member_months, str(lines["F-C"].budget)) == (1, "18.83")


def test_given_village_clinic_signup_and_claims_when_run_then_inside_centre_line():
    centre = make_provider(code="V-CENTRE")
    village = make_provider(code="V-VILLAGE", kind="village", parent=centre)
    member = make_member(birth=date(2004, 1, 1))                       # age 20: group 1, 37
    make_signup(member=member, provider=village, effective_from=date(2022, 1, 1))
    make_claim(member=member, provider=village, charged=village, visit=date(2024, 3, 3), hifp_pay="12.30")
    make_claim(member=member, provider=village, charged=centre, visit=date(2024, 3, 4), hifp_pay="7.70")

    lines = _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-03"))

    assert list(lines) == ["V-CENTRE"]
    centre = lines["V-CENTRE"]
    assert (centre.members, str(centre.quota), str(centre.actual)) == (1, "3.08", "20.00")


def test_given_referral_to_county_tcm_when_run_then_counted_at_signed_provider():
    signed = make_provider(code="R-SIGNED")
    tcm = make_provider(code="R-TCM", kind="county_tcm", level="2")
    member = make_member(birth=date(2004, 1, 1))
    make_signup(member=member, provider=signed, effective_from=date(2022, 1, 1))
    make_claim(member=member, provider=tcm, charged=signed, visit=date(2024, 3, 9), hifp_pay="40.00")

    lines = _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-03"))

    assert list(lines) == ["R-SIGNED"] and str(lines["R-SIGNED"].actual) == "40.00"


def test_given_same_day_requests_when_run_then_the_later_request_wins():
    a = make_provider(code="T-A")
    b = make_provider(code="T-B")
    member = make_member(birth=date(2004, 1, 1))
    make_signup(member=member, provider=a, effective_from=date(2024, 3, 1))
    make_signup(member=member, provider=b, effective_from=date(2024, 3, 1), reason="provider_suspended")

    lines = _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-03"))

    assert list(lines) == ["T-B"]


def test_given_member_left_in_march_when_april_run_then_not_counted():
    a = make_provider(code="L-A")
    member = make_member(birth=date(2004, 1, 1), status="left", left_on=date(2024, 3, 20))
    make_signup(member=member, provider=a, effective_from=date(2022, 1, 1))

    assert _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-02"))["L-A"].members == 1
    assert _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-04")) == {}


@pytest.mark.parametrize("birth_year, group, quota", [
    (2024, 1, "3.08"), (2023, 2, "5.83"), (2022, 3, "11.75"), (2021, 5, "18.83"), (2018, 4, "15.08"),
    (1934, 2, "5.83"), (1936, 3, "11.75"), (1942, 5, "18.83"), (1943, 4, "15.08"), (1972, 3, "11.75"),
    (1971, 4, "15.08"),
])
def test_given_birth_year_when_monthly_run_then_age_group_is_year_minus_birth_year(birth_year, group, quota):
    provider = make_provider(code="AGE")
    member = make_member(birth=date(birth_year, 12, 31) if birth_year < 2024 else date(2024, 1, 2))
    make_signup(member=member, provider=provider, effective_from=date(2024, 2, 1))

    line = _lines(settlement_run_compute(admdvs=NANCHANG, kind="monthly", period="2024-03"))["AGE"]

    assert line.inputs["members_by_group"] == {str(group): 1} and str(line.quota) == quota
