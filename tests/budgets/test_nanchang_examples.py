"""settlement.md "Nanchang, one township centre, 2024" — every figure, through the API."""
from datetime import date

import pytest

from budgets.models import SettlementRun
from tests.budgets.helpers import (lines_by_code, make_claim, make_member, make_provider, make_signup,
                                   members_signed, post_run)

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre():
    """Given one township centre with 10 members born 1954 (group 5, 226) and 20 born 2004 (group 1, 37)."""
    provider = make_provider(code="NC-A", admdvs="360100")
    old = members_signed(n=10, provider=provider, birth=date(1954, 3, 1), since=date(2020, 1, 1))
    young = members_signed(n=20, provider=provider, birth=date(2004, 7, 1), since=date(2020, 1, 1))
    return provider, old + young


def test_given_30_members_when_monthly_run_then_quota_250_and_paid_capped(staff_client, centre):
    provider, members = centre
    make_claim(member=members[0], charged=provider, visit=date(2024, 3, 5), hifp_pay="180.00")
    make_claim(member=members[1], charged=provider, visit=date(2024, 3, 30), hifp_pay="120.00")
    make_claim(member=members[2], charged=provider, visit=date(2024, 4, 2), hifp_pay="100.00")

    march = post_run(staff_client, "360100", "monthly", "2024-03")
    april = post_run(staff_client, "360100", "monthly", "2024-04")

    assert march.status_code == 201, march.content
    body = march.json()
    assert {k: body[k] for k in ("admdvs", "kind", "period", "status")} == {
        "admdvs": "360100", "kind": "monthly", "period": "2024-03", "status": "draft"}
    line = lines_by_code(staff_client, body["id"])["NC-A"]
    assert (line["members"], line["quota"], line["actual"], line["paid"]) == (30, "250.00", "300.00", "250.00")
    assert line["inputs"]["members_by_group"] == {"1": 20, "5": 10}
    line = lines_by_code(staff_client, april.json()["id"])["NC-A"]
    assert (line["quota"], line["actual"], line["paid"]) == ("250.00", "100.00", "100.00")


@pytest.mark.parametrize("actual, band, determined, balance_due", [
    ("2500.00", "80_to_90", "2750.00", "-50.00"),
    ("2399.99", "below_80", "2399.99", "-400.01"),
    ("2700.00", "90_and_over", "3000.00", "200.00"),
])
def test_given_budget_3000_when_year_end_then_band_rule(staff_client, centre, actual, band, determined, balance_due):
    provider, members = centre
    make_claim(member=members[0], charged=provider, visit=date(2024, 6, 1), hifp_pay=actual)
    # 2 800.00 paid monthly: twelve approved monthly runs are simulated by one approved run per month
    # whose line paid the amounts below (11 × 233.33 + 233.37 = 2 800.00).
    _approved_monthly_paid(provider, ["233.33"] * 11 + ["233.37"])

    response = post_run(staff_client, "360100", "year_end", "2024")

    line = lines_by_code(staff_client, response.json()["id"])["NC-A"]
    assert (line["budget"], line["actual"], line["band"]) == ("3000.00", actual, band)
    assert (line["determined"], line["prepaid"], line["balance_due"]) == (determined, "2800.00", balance_due)
    assert line["members"] == 30 and line["member_months"] == 360


def _approved_monthly_paid(provider, amounts):
    from decimal import Decimal

    from budgets.models import SettlementLine
    from budgets.sql import month_end

    for month, amount in enumerate(amounts, start=1):
        run = SettlementRun.objects.create(admdvs_id="360100", kind="monthly", period=f"2024-{month:02d}",
                                           period_start=date(2024, month, 1), period_end=month_end(2024, month),
                                           status="approved")
        SettlementLine.objects.create(run=run, provider=provider, district_id=provider.district_id,
                                      actual=Decimal("0"), paid=Decimal(amount), quota=Decimal("250.00"))


def test_given_first_signup_mid_year_when_runs_then_full_year_in_budget_monthly_from_september(staff_client):
    centre_b = make_provider(code="NC-B", admdvs="360100")
    member = make_member(admdvs="360100", birth=date(1954, 1, 1))
    make_signup(member=member, provider=centre_b, effective_from=date(2024, 9, 15))

    august = post_run(staff_client, "360100", "monthly", "2024-08").json()
    september = post_run(staff_client, "360100", "monthly", "2024-09").json()
    year = post_run(staff_client, "360100", "year_end", "2024").json()

    assert "NC-B" not in lines_by_code(staff_client, august["id"])
    assert lines_by_code(staff_client, september["id"])["NC-B"]["quota"] == "18.83"   # 226 ÷ 12
    line = lines_by_code(staff_client, year["id"])["NC-B"]
    assert (line["budget"], line["members"], line["member_months"]) == ("226.00", 1, 12)


def test_given_address_change_in_april_when_year_end_then_75_33_and_150_67(staff_client):
    a = make_provider(code="NC-A", admdvs="360100")
    b = make_provider(code="NC-B", admdvs="360100")
    member = make_member(admdvs="360100", birth=date(1954, 1, 1))
    make_signup(member=member, provider=a, effective_from=date(2020, 3, 1))
    make_signup(member=member, provider=b, effective_from=date(2024, 5, 1), reason="address_change",
                applied_on=date(2024, 4, 20))

    year = post_run(staff_client, "360100", "year_end", "2024").json()
    april = post_run(staff_client, "360100", "monthly", "2024-04").json()
    may = post_run(staff_client, "360100", "monthly", "2024-05").json()

    lines = lines_by_code(staff_client, year["id"])
    assert (lines["NC-A"]["budget"], lines["NC-A"]["member_months"]) == ("75.33", 4)
    assert (lines["NC-B"]["budget"], lines["NC-B"]["member_months"]) == ("150.67", 8)
    assert list(lines_by_code(staff_client, april["id"])) == ["NC-A"]
    assert list(lines_by_code(staff_client, may["id"])) == ["NC-B"]
