"""Heyuan capitation after a change (第十二条(五)) and the out-of-city selection (第十二条(六), 第十六条):
settlement.md "Heyuan, one clinic, 2024", through the API."""
from datetime import date

import pytest

from policy.models import District, Region
from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_claim, make_member, make_provider,
                                   make_signup, post_run)

pytestmark = pytest.mark.django_db
HEYUAN = "441600"


def guangzhou_hospital(code: str):
    """A designated provider out of the city (Guangzhou 440100, RULES.md "Out-of-area providers")."""
    region, _ = Region.objects.get_or_create(admdvs="440100", defaults={"name": "广州市", "insutype": "310"})
    District.objects.get_or_create(code="440104", defaults={"region": region, "name": "越秀区"})
    return make_provider(code=code, admdvs="440100", district="440104", level="3", kind="hospital")


def test_given_provider_suspended_on_june_12_when_runs_then_a_keeps_june_and_b_from_july(staff_client):
    a = make_provider(code="HY-A", admdvs=HEYUAN, kind="community")
    b = make_provider(code="HY-B", admdvs=HEYUAN, kind="community")
    member = make_member(admdvs=HEYUAN)
    make_signup(member=member, provider=a, effective_from=date(2023, 1, 1))
    make_signup(member=member, provider=b, effective_from=date(2024, 6, 12), reason="provider_suspended")

    june = post_run(staff_client, HEYUAN, "monthly", "2024-06").json()
    july = post_run(staff_client, HEYUAN, "monthly", "2024-07").json()
    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()

    # June still A's (320 ÷ 12 = 26.67), July B's
    assert {code: line["quota"] for code, line in lines_by_code(staff_client, june["id"]).items()} == {
        "HY-A": "26.67"}
    assert {code: line["quota"] for code, line in lines_by_code(staff_client, july["id"]).items()} == {
        "HY-B": "26.67"}
    lines = lines_by_code(staff_client, year["id"])
    # A: January–June 320 ÷ 12 × 6 = 160.00; B: July–December 160.00
    assert (lines["HY-A"]["member_months"], lines["HY-A"]["budget"]) == (6, "160.00")
    assert (lines["HY-B"]["member_months"], lines["HY-B"]["budget"]) == (6, "160.00")


def test_given_out_of_city_selection_from_march_when_runs_then_no_capitation_line_and_visits_fee_for_service(
        staff_client):
    a = make_provider(code="HY-A", admdvs=HEYUAN, kind="community")
    guangzhou = guangzhou_hospital("GZ-H")
    member = make_member(admdvs=HEYUAN)
    make_signup(member=member, provider=a, effective_from=date(2020, 1, 1))
    make_signup(member=member, provider=guangzhou, effective_from=date(2024, 3, 1), reason="address_change",
                applied_on=date(2024, 2, 10))
    make_claim(member=member, charged=guangzhou, visit=date(2024, 3, 14), hifp_pay="120.00", medfee="300.00",
               out_of_area="long_term")
    make_claim(member=member, charged=a, visit=date(2024, 2, 14), hifp_pay="15.00")

    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()
    march = post_run(staff_client, HEYUAN, "monthly", "2024-03").json()
    ffs = post_run(staff_client, HEYUAN, "fee_for_service", "2024-03").json()

    # A: January and February, 2 × 320 ÷ 12 = 53.33; the Guangzhou hospital is in no capitation line
    lines = lines_by_code(staff_client, year["id"])
    assert set(lines) == {"HY-A"}
    assert (lines["HY-A"]["member_months"], lines["HY-A"]["budget"], lines["HY-A"]["actual"]) == (2, "53.33", "15.00")
    assert lines_by_code(staff_client, march["id"]) == {}
    # the Guangzhou visit is paid fee-for-service: 120.00 of a 300.00 cost
    assert {code: (line["actual"], line["medfee_sumamt"], line["visits"])
            for code, line in lines_by_code(staff_client, ffs["id"]).items()} == {"GZ-H": ("120.00", "300.00", 1)}
    assert approve_as_second_person(staff_client, ffs["id"]).status_code == 200
