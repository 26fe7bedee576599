"""End to end: visits posted and reversed through the claims API, then settled through the runs API."""
from datetime import date

import pytest

from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_member, make_provider, make_signup,
                                   make_staff, post_run)

pytestmark = pytest.mark.django_db


def _visit(client, member, code, day, amount, **extra):
    body = {"admdvs": member.admdvs_id, "certno": member.certno, "fixmedins_code": code,
            "visit_at": f"{day}T10:00:00+08:00", "medfee_sumamt": amount, "inscp_scp_amt": amount, **extra}
    response = client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_given_visits_and_reversals_through_claims_api_when_runs_then_actual_net_at_signed_centre(api_client):
    admin = make_staff(all_regions=True, superuser=True)
    api_client.force_authenticate(admin)
    centre = make_provider(code="E2E-C")
    make_provider(code="E2E-V", kind="village", parent=centre)
    make_provider(code="E2E-TCM", kind="county_tcm", level="2")
    member = make_member(birth=date(1954, 6, 1))                           # group 5: quota 18.83
    make_signup(member=member, provider=centre, effective_from=date(2023, 1, 1))

    at_village = _visit(api_client, member, "E2E-V", "2024-03-04", "100.00")          # 60% → 60.00
    referral = _visit(api_client, member, "E2E-TCM", "2024-03-05", "50.00", referral=True)   # 40% → 20.00
    reversed_now = _visit(api_client, member, "E2E-C", "2024-03-06", "10.00")           # 6.00, reversed
    api_client.post(f"/api/v1/claims/{reversed_now['setl_id']}/reverse/")
    march = post_run(api_client, "360100", "monthly", "2024-03").json()
    api_client.user = admin
    assert approve_as_second_person(api_client, march['id']).status_code == 200
    api_client.post(f"/api/v1/claims/{referral['setl_id']}/reverse/")                  # after approval
    april = post_run(api_client, "360100", "monthly", "2024-04").json()

    assert (at_village["hifp_pay"], referral["hifp_pay"]) == ("60.00", "20.00")
    line = lines_by_code(api_client, march["id"])["E2E-C"]
    assert list(lines_by_code(api_client, march["id"])) == ["E2E-C"]
    assert (line["members"], line["quota"], line["actual"], line["paid"], line["claims"]) == \
        (1, "18.83", "80.00", "18.83", 4)
    line = lines_by_code(api_client, april["id"])["E2E-C"]
    assert (line["actual"], line["paid"], line["claims"]) == ("-20.00", "-20.00", 1)


def test_given_signups_through_members_service_when_year_end_then_address_change_split_75_33_150_67(api_client):
    from members.signups import signup_request

    api_client.force_authenticate(make_staff(all_regions=True, superuser=True))
    make_provider(code="E2E-A")
    make_provider(code="E2E-B")
    member = make_member(birth=date(1954, 6, 1), enrolled_on=date(2019, 1, 1))
    signup_request(admdvs="360100", certno=member.certno, fixmedins_code="E2E-A", applied_on=date(2020, 2, 3),
                   reason="first")
    moved = signup_request(admdvs="360100", certno=member.certno, fixmedins_code="E2E-B",
                           applied_on=date(2024, 4, 20), reason="address_change")

    year = post_run(api_client, "360100", "year_end", "2024").json()

    lines = lines_by_code(api_client, year["id"])
    assert moved.effective_from == date(2024, 5, 1)
    assert (lines["E2E-A"]["budget"], lines["E2E-B"]["budget"]) == ("75.33", "150.67")
