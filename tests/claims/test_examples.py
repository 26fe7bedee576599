"""Every worked case of shared/policy/examples/claims.json, through the REST API."""
import json

import pytest

from tests.claims.helpers import body, build_case_world
from tests.shared_folder import shared_path

CASES = json.loads(shared_path("policy", "examples", "claims.json").read_text())["cases"]
VISIT_KEYS = ("benefit", "emergency", "referral", "out_of_area", "channel", "exclusion")


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_case(case, api_client, city_admin):
    # given the case's providers, member and sign-ups
    member, providers = build_case_world(case)
    api_client.force_authenticate(city_admin)
    posted = []
    for number, visit in enumerate(case["visits"]):
        # when each visit is posted in order (or the named earlier visit reversed)
        if "reverse_visit" in visit:
            original = posted[visit["reverse_visit"]]
            response = api_client.post(f"/api/v1/claims/{original}/reverse/", format="json")
            assert response.status_code == 201, response.content
            data = response.json()
            assert data["reverses"] == original
        else:
            extra = {k: visit[k] for k in VISIT_KEYS if k in visit}
            response = api_client.post("/api/v1/claims/", body(
                member=member, provider=providers[visit["provider"]], visit_at=visit["visit_at"],
                inscp=visit["inscp_scp_amt"], **extra), format="json")
            assert response.status_code == 201, response.content
            data = response.json()
            posted.append(data["setl_id"])
        # then the answer has exactly the expected figures
        for field, expected in visit["expect"].items():
            assert data[field] == expected, (number, field, data)
        assert all(set(step) == {"rule", "amount", "note"} for step in data["steps"])
