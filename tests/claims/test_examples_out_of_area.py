"""The out-of-area cases of shared/policy/examples/claims-second-reading.json through the REST API,
including the derived ``out_of_area`` (RULES.md "Out-of-area care"). The pharmacy and inpatient-only
cases of that file belong to the pharmacy/corrections work and are run with it."""
import json

import pytest

from tests.claims.helpers import body, build_case_world
from tests.shared_folder import shared_path

ALL_CASES = json.loads(shared_path("policy", "examples", "claims-second-reading.json").read_text())["cases"]
VISIT_KEYS = ("benefit", "emergency", "referral", "channel", "exclusion")


def concerns_out_of_area(case: dict) -> bool:
    return bool(case["member"].get("registrations")) or any("admdvs" in p for p in case["providers"])


# Its first visit is an emergency without a selection in effect (Heyuan 第十七条, RULES.md "Heyuan"),
# the correction of the issue-17b branch (whole case now expected to pass).
NEEDS_17B = {"out-of-city selection with a long-term registration; emergency without a selection"}
CASES = [pytest.param(c, id=c["name"]) for c in ALL_CASES if concerns_out_of_area(c)]


def post_case(case, api_client, *, skip_first: bool = False):
    member, providers = build_case_world(case)
    answers = []
    for visit in case["visits"][1 if skip_first else 0:]:
        extra = {k: visit[k] for k in VISIT_KEYS if k in visit}
        response = api_client.post("/api/v1/claims/", body(
            member=member, provider=providers[visit["provider"]], visit_at=visit["visit_at"],
            inscp=visit["inscp_scp_amt"], **extra), format="json")
        assert response.status_code == 201, response.content
        answers.append((visit, response.json()))
    return answers


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_out_of_area_case(case, api_client, city_admin):
    # given the case's providers (some out of area), member, registrations and sign-ups
    api_client.force_authenticate(city_admin)
    # when each visit is posted in order, without out_of_area (the back office derives it)
    for number, (visit, data) in enumerate(post_case(case, api_client)):
        # then the answer has exactly the expected figures, the derived out_of_area included
        for field, expected in visit["expect"].items():
            assert data[field] == expected, (number, field, data)
        if data["out_of_area"] != "none":
            assert data["steps"][0]["rule"] == "out_of_area", data["steps"]


@pytest.mark.django_db
def test_heyuan_case_after_its_emergency_visit(api_client, city_admin):
    # given the Heyuan case, without its first visit (the emergency before any selection: issue-17b)
    case = next(c for c in ALL_CASES if c["name"] in NEEDS_17B)
    api_client.force_authenticate(city_admin)
    # when the other visits are posted, then each is exactly as expected
    for visit, data in post_case(case, api_client, skip_first=True):
        for field, expected in visit["expect"].items():
            assert data[field] == expected, (visit["visit_at"], field, data)
