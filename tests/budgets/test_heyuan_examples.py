"""settlement.md "Heyuan, one clinic, 2024" — every figure, through the API."""
from datetime import date

import pytest

from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_claim, make_member, make_provider,
                                   make_signup, members_signed,
                                   post_run)

pytestmark = pytest.mark.django_db
HEYUAN = "441600"


@pytest.fixture
def clinic():
    """Given one clinic selected by 100 members all year."""
    provider = make_provider(code="HY-1", admdvs=HEYUAN, kind="community")
    members = members_signed(n=100, provider=provider, birth=date(1980, 1, 1), since=date(2023, 1, 1), admdvs=HEYUAN)
    return provider, members


def _approve_twelve_months(client):
    for month in range(1, 13):
        run = post_run(client, HEYUAN, "monthly", f"2024-{month:02d}").json()
        assert approve_as_second_person(client, run['id']).status_code == 200
        yield lines_by_code(client, run["id"])["HY-1"]


@pytest.mark.parametrize("actual, band, determined, balance_due", [
    ("27000.00", "80_to_100", "31000.00", "5400.04"),
    ("20000.00", "below_80", "22400.00", "-3199.96"),
    ("40000.00", "over_100", "32000.00", "6400.04"),
])
def test_given_100_members_when_twelve_prepayments_and_year_end_then_rule(staff_client, clinic, actual, band,
                                                                         determined, balance_due):
    provider, members = clinic
    make_claim(member=members[0], charged=provider, visit=date(2024, 7, 1), hifp_pay=actual)

    monthly = list(_approve_twelve_months(staff_client))
    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()

    assert {(m["members"], m["quota"], m["paid"]) for m in monthly} == {(100, "2666.67", "2133.33")}
    line = lines_by_code(staff_client, year["id"])["HY-1"]
    assert (line["budget"], line["actual"], line["band"]) == ("32000.00", actual, band)
    assert (line["prepaid"], line["determined"], line["balance_due"]) == ("25599.96", determined, balance_due)


def test_given_selection_on_2024_04_10_when_year_end_then_240(staff_client):
    provider = make_provider(code="HY-2", admdvs=HEYUAN, kind="community")
    member = make_member(admdvs=HEYUAN)
    make_signup(member=member, provider=provider, effective_from=date(2024, 4, 10))

    march = post_run(staff_client, HEYUAN, "monthly", "2024-03").json()
    april = post_run(staff_client, HEYUAN, "monthly", "2024-04").json()
    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()

    assert "HY-2" not in lines_by_code(staff_client, march["id"])
    assert lines_by_code(staff_client, april["id"])["HY-2"]["quota"] == "26.67"
    line = lines_by_code(staff_client, year["id"])["HY-2"]
    assert (line["budget"], line["member_months"]) == ("240.00", 9)


def test_given_2022_when_year_end_then_only_august_to_december(staff_client):
    provider = make_provider(code="HY-3", admdvs=HEYUAN, kind="community")
    member = make_member(admdvs=HEYUAN)
    make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))

    july = post_run(staff_client, HEYUAN, "monthly", "2022-07")
    year = post_run(staff_client, HEYUAN, "year_end", "2022").json()

    assert july.status_code == 400 and "period" in july.json()
    line = lines_by_code(staff_client, year["id"])["HY-3"]
    assert (line["budget"], line["member_months"]) == ("133.33", 5)


def test_given_change_of_residence_when_year_end_then_old_to_change_month_new_from_next(staff_client):
    old = make_provider(code="HY-OLD", admdvs=HEYUAN, kind="community")
    new = make_provider(code="HY-NEW", admdvs=HEYUAN, kind="community")
    member = make_member(admdvs=HEYUAN)
    make_signup(member=member, provider=old, effective_from=date(2023, 1, 1))
    make_signup(member=member, provider=new, effective_from=date(2024, 7, 1), reason="address_change",
                applied_on=date(2024, 6, 12))

    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()

    lines = lines_by_code(staff_client, year["id"])
    assert (lines["HY-OLD"]["member_months"], lines["HY-OLD"]["budget"]) == (6, "160.00")
    assert (lines["HY-NEW"]["member_months"], lines["HY-NEW"]["budget"]) == (6, "160.00")
