"""Run life cycle through the API: idempotent posting, approval, immutability, errors, scope,
late reversals after approval."""
from datetime import date

import pytest

from budgets.models import SettlementRun
from claims.models import Claim
from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_claim, make_member, make_provider,
                                   make_signup, make_staff, post_run, reverse_claim)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed():
    provider = make_provider(code="RUN-A", admdvs="360100")
    member = make_member(birth=date(1954, 1, 1))                       # 226 ÷ 12 = 18.83
    make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))
    return provider, member


def test_given_draft_when_posted_again_then_same_run_recomputed(staff_client, signed):
    provider, member = signed
    first = post_run(staff_client, "360100", "monthly", "2024-03").json()
    make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="5.00")

    again = post_run(staff_client, "360100", "monthly", "2024-03")

    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert SettlementRun.objects.count() == 1
    assert lines_by_code(staff_client, first["id"])["RUN-A"]["actual"] == "5.00"
    assert again.json()["totals"]["actual"] == "5.00" and first["totals"]["actual"] == "0.00"


def test_given_approved_when_posted_again_then_untouched_and_claims_stamped(staff_client, signed):
    provider, member = signed
    claim = make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="5.00")
    run = post_run(staff_client, "360100", "monthly", "2024-03").json()
    approved = approve_as_second_person(staff_client, run['id'])
    make_claim(member=member, charged=provider, visit=date(2024, 3, 8), hifp_pay="9.00")   # posted late

    again = post_run(staff_client, "360100", "monthly", "2024-03").json()

    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert again["id"] == run["id"] and again["status"] == "approved" and again["totals"] == run["totals"]
    assert lines_by_code(staff_client, run["id"])["RUN-A"]["actual"] == "5.00"
    assert Claim.objects.get(pk=claim.pk).monthly_run_id == run["id"]


def test_given_reversal_after_approval_when_next_month_runs_then_it_is_counted_there(staff_client, signed):
    """A monthly run counts its month's visits plus earlier rows not counted by their approved run."""
    provider, member = signed
    claim = make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="12.00")
    march = post_run(staff_client, "360100", "monthly", "2024-03").json()
    approve_as_second_person(staff_client, march['id'])
    reversal = reverse_claim(claim)
    late_visit = make_claim(member=member, charged=provider, visit=date(2024, 3, 30), hifp_pay="3.00")
    make_claim(member=member, charged=provider, visit=date(2024, 4, 2), hifp_pay="10.00")

    april = post_run(staff_client, "360100", "monthly", "2024-04").json()
    approve_as_second_person(staff_client, april['id'])

    line = lines_by_code(staff_client, april["id"])["RUN-A"]
    assert (line["actual"], line["paid"], line["claims"]) == ("1.00", "1.00", 3)      # 10 − 12 + 3
    assert {Claim.objects.get(pk=c.pk).monthly_run_id for c in (reversal, late_visit)} == {april["id"]}
    assert lines_by_code(staff_client, march["id"])["RUN-A"]["actual"] == "12.00"


def test_given_earlier_month_still_draft_when_next_month_runs_then_its_claims_stay_with_it(staff_client, signed):
    provider, member = signed
    make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="12.00")
    post_run(staff_client, "360100", "monthly", "2024-03")

    april = post_run(staff_client, "360100", "monthly", "2024-04").json()

    assert lines_by_code(staff_client, april["id"])["RUN-A"]["actual"] == "0.00"


def test_given_claim_posted_after_compute_when_approving_then_409_and_nothing_changes(staff_client, signed):
    provider, member = signed
    run = post_run(staff_client, "360100", "monthly", "2024-03").json()
    claim = make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="5.00")

    response = approve_as_second_person(staff_client, run['id'])

    assert response.status_code == 409 and response.json()["code"] == "run_stale"
    assert SettlementRun.objects.get(pk=run["id"]).status == "draft"
    assert Claim.objects.get(pk=claim.pk).monthly_run_id is None


def test_given_user_without_permission_when_approving_then_403(api_client, signed):
    clerk = make_staff(admdvs="360100")
    api_client.force_authenticate(clerk)
    run = post_run(api_client, "360100", "monthly", "2024-03").json()

    response = api_client.post(f"/api/v1/settlement-runs/{run['id']}/approve/")

    assert response.status_code == 403 and SettlementRun.objects.get(pk=run["id"]).status == "draft"


@pytest.mark.parametrize("body, field", [
    ({"admdvs": "411300", "kind": "monthly", "period": "2024-03"}, "admdvs"),      # Nanyang: no capitation
    ({"admdvs": "360100", "kind": "monthly", "period": "2024-13"}, "period"),
    ({"admdvs": "360100", "kind": "monthly", "period": "2024"}, "period"),
    ({"admdvs": "360100", "kind": "year_end", "period": "2024-03"}, "period"),
    ({"admdvs": "360100", "kind": "monthly", "period": "2999-01"}, "period"),      # not closed yet
    ({"admdvs": "360100", "kind": "year_end", "period": "2999"}, "period"),
    ({"admdvs": "360100", "kind": "weekly", "period": "2024-03"}, "kind"),
    ({"admdvs": "360100", "kind": "monthly", "period": "2019-12"}, "period"),      # before the rules
])
def test_given_bad_request_when_posting_then_400_naming_the_field(staff_client, body, field):
    response = staff_client.post("/api/v1/settlement-runs/", body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert SettlementRun.objects.count() == 0


def test_given_district_clerk_when_reading_lines_then_only_own_district(api_client):
    mine = make_provider(code="D-MINE", district="360102")
    other = make_provider(code="D-OTHER", district="360103")
    for provider in (mine, other):
        member = make_member(birth=date(2004, 1, 1), district=provider.district_id)
        make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))
    clerk = make_staff(admdvs="360100", districts=["360102"])
    api_client.force_authenticate(clerk)
    run = post_run(api_client, "360100", "monthly", "2024-03").json()

    assert list(lines_by_code(api_client, run["id"])) == ["D-MINE"]
    assert api_client.get(f"/api/v1/settlement-runs/{run['id']}/").status_code == 200
    outsider = make_staff(admdvs="441600")
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/v1/settlement-runs/{run['id']}/").status_code == 404
    assert post_run(api_client, "360100", "monthly", "2024-03").status_code == 403
