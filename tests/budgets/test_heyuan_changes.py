"""Heyuan capitation after a change (第十二条(五)) and the out-of-city selection (第十二条(六), 第十六条):
settlement.md "Heyuan, one clinic, 2024", through the API."""
from datetime import date

import json

import pytest

from budgets.models import SettlementLine
from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_claim, make_member, make_provider,
                                   make_signup, make_staff, post_run)
from tests.claims.helpers import body, build_case_world
from tests.shared_folder import shared_path

pytestmark = pytest.mark.django_db
HEYUAN = "441600"


def guangzhou_hospital(code: str):
    """A designated provider out of the city (Guangzhou 440100, RULES.md "Out-of-area providers"):
    its district is one of Guangzhou's, no row of ours."""
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
        staff_client, client):
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
    # the out-of-area provider's line (a district that is no row of ours) on the admin pages
    line = SettlementLine.objects.get(run_id=ffs["id"])
    client.force_login(make_staff(all_regions=True, superuser=True))
    assert client.get(f"/admin/budgets/settlementrun/{ffs['id']}/change/").status_code == 200
    statement = client.get(f"/admin/budgets/settlementrun/line/{line.pk}/statement/")
    assert statement.status_code == 200 and "300.00" in statement.content.decode()


def test_given_claims_second_reading_heyuan_case_when_settled_through_the_engine_then_guangzhou_paid_by_ffs(
        staff_client):
    """claims-second-reading.json "out-of-city selection with a long-term registration": HY-L1 selected
    from 2024-01-05, GZ-H3 (Guangzhou) from 1 March with a long-term registration to August. Its first
    visit (an emergency before any selection, December 2023) is left out: it is another month's."""
    cases = json.loads(shared_path("policy", "examples", "claims-second-reading.json").read_text())["cases"]
    case = next(c for c in cases if c["name"].startswith("out-of-city selection with a long-term registration"))
    member, providers = build_case_world(case)
    for visit in case["visits"][1:]:
        response = staff_client.post("/api/v1/claims/", body(
            member=member, provider=providers[visit["provider"]], visit_at=visit["visit_at"],
            inscp=visit["inscp_scp_amt"], emergency=visit.get("emergency", False)), format="json")
        assert response.status_code == 201 and response.json()["hifp_pay"] == visit["expect"]["hifp_pay"]

    march = post_run(staff_client, HEYUAN, "fee_for_service", "2024-03").json()
    september = post_run(staff_client, HEYUAN, "fee_for_service", "2024-09").json()
    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()

    # March: the Guangzhou visit, 150.00 of 1 000.00 (55% of 1 000 capped at L3's 150 per visit)
    assert {code: (line["actual"], line["medfee_sumamt"], line["visits"]) for code, line in
            lines_by_code(staff_client, march["id"]).items()} == {"GZ-H3": ("150.00", "1000.00", 1)}
    assert lines_by_code(staff_client, september["id"]) == {}             # not covered: nothing to pay
    # HY-L1: January and February only, 2 × 320 ÷ 12 = 53.33 (settlement.md)
    lines = lines_by_code(staff_client, year["id"])
    assert set(lines) == {"HY-L1"} and (lines["HY-L1"]["member_months"], lines["HY-L1"]["budget"]) == (2, "53.33")


def test_given_out_of_city_selection_when_emergency_in_the_city_then_fee_for_service_not_capitation(staff_client):
    """A member whose selection is out of the city counts in no capitation: an emergency at a city
    hospital is paid to that hospital fee-for-service (the engine charges it there)."""
    hospital = make_provider(code="HY-H", admdvs=HEYUAN, level="2", kind="hospital")
    clinic = make_provider(code="HY-K", admdvs=HEYUAN, kind="community")
    away, local = make_member(admdvs=HEYUAN), make_member(admdvs=HEYUAN)
    make_signup(member=away, provider=guangzhou_hospital("GZ-2"), effective_from=date(2024, 1, 1))
    make_signup(member=local, provider=clinic, effective_from=date(2024, 1, 1))
    make_claim(member=away, charged=hospital, visit=date(2024, 4, 3), hifp_pay="66.00", emergency=True)
    make_claim(member=local, charged=clinic, provider=hospital, visit=date(2024, 4, 4), hifp_pay="44.00",
               emergency=True)

    ffs = post_run(staff_client, HEYUAN, "fee_for_service", "2024-04").json()
    capitation = post_run(staff_client, HEYUAN, "monthly", "2024-04").json()

    assert {code: line["actual"] for code, line in lines_by_code(staff_client, ffs["id"]).items()} == {
        "HY-H": "66.00"}
    assert {code: line["actual"] for code, line in lines_by_code(staff_client, capitation["id"]).items()} == {
        "HY-K": "44.00"}
