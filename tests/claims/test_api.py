"""The claims endpoints: idempotency, reversal conflicts, refusals, scope, accumulators."""
from datetime import date

import pytest

from claims.models import Accumulator, Claim, ClaimItem
from tests.claims.helpers import body
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def zibo(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    return make_member(admdvs="370300"), make_provider(admdvs="370300", level="2", kind="hospital")


def test_idempotent_replay_returns_the_first_claim(api_client, zibo):
    # given a claim posted with an idempotency key
    member, provider = zibo
    payload = body(member=member, provider=provider, visit_at="2024-03-01T10:00", inscp="800.00",
                   idempotency_key="his-1")
    first = api_client.post("/api/v1/claims/", payload, format="json")
    # when the same request is posted again
    again = api_client.post("/api/v1/claims/", payload, format="json")
    # then the first result comes back with 200 and nothing new is written
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["setl_id"] == first.json()["setl_id"]
    assert again.json()["hifp_pay"] == first.json()["hifp_pay"] == "180.00"
    assert Claim.objects.count() == 1
    assert Accumulator.objects.get(member=member).fund_paid == 180


def test_same_key_with_other_content_is_a_conflict(api_client, zibo):
    member, provider = zibo
    api_client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at="2024-03-01T10:00",
                                            idempotency_key="his-2"), format="json")
    response = api_client.post("/api/v1/claims/", body(member=member, provider=provider, inscp="101.00",
                                                       visit_at="2024-03-01T10:00", idempotency_key="his-2"),
                               format="json")
    assert response.status_code == 409
    assert Claim.objects.count() == 1


def test_second_reversal_and_reversal_of_reversal_are_conflicts(api_client, zibo):
    member, provider = zibo
    setl_id = api_client.post("/api/v1/claims/", body(member=member, provider=provider, inscp="900.00",
                                                      visit_at="2024-03-01T10:00"), format="json").json()["setl_id"]
    first = api_client.post(f"/api/v1/claims/{setl_id}/reverse/")
    second = api_client.post(f"/api/v1/claims/{setl_id}/reverse/")
    of_reversal = api_client.post(f"/api/v1/claims/{first.json()['setl_id']}/reverse/")
    assert first.status_code == 201
    assert first.json()["status"] == "reversal" and first.json()["reverses"] == setl_id
    assert first.json()["hifp_pay"] == "-240.00" and first.json()["medfee_sumamt"] == "-900.00"
    assert second.status_code == 409 and of_reversal.status_code == 409
    assert Claim.objects.count() == 2
    accumulator = Accumulator.objects.get(member=member)
    assert accumulator.fund_paid == 0 and accumulator.buckets == {}
    assert api_client.get(f"/api/v1/claims/{setl_id}/").json()["reversed_by"] == first.json()["setl_id"]


def test_medfee_identity_refused_with_nothing_written(api_client, zibo):
    member, provider = zibo
    payload = body(member=member, provider=provider, visit_at="2024-03-01T10:00")
    payload["medfee_sumamt"] = "150.00"
    response = api_client.post("/api/v1/claims/", payload, format="json")
    assert response.status_code == 400 and "medfee_sumamt" in response.json()
    assert not Claim.objects.exists() and not Accumulator.objects.exists()


@pytest.mark.parametrize("field,value", [
    ("inscp_scp_amt", "-1.00"), ("inscp_scp_amt", "1.001"), ("benefit", "dental"), ("channel", "fax"),
    ("visit_at", "yesterday"), ("exclusion", "hangover"), ("certno", "110101199003070000"),
    ("fixmedins_code", "NOPE"),
])
def test_bad_input_names_the_field(api_client, zibo, field, value):
    member, provider = zibo
    payload = body(member=member, provider=provider, visit_at="2024-03-01T10:00")
    payload[field] = value
    response = api_client.post("/api/v1/claims/", payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Claim.objects.exists()


def test_json_numbers_are_exact(api_client, zibo):
    member, provider = zibo
    payload = body(member=member, provider=provider, visit_at="2024-03-01T10:00")
    payload.update(medfee_sumamt=600.1, inscp_scp_amt=600.1)
    response = api_client.post("/api/v1/claims/", payload, format="json")
    assert response.status_code == 201 and response.json()["inscp_scp_amt"] == "600.10"


def test_fee_details_must_add_up_and_are_stored(api_client, zibo):
    member, provider = zibo
    items = [{"code": "X1", "name": "阿莫西林", "category": "drug", "chrgitm_lv": "01", "amount": "60.00"},
             {"code": "E1", "name": "血常规", "category": "exam", "chrgitm_lv": "02", "amount": "40.00"}]
    wrong = body(member=member, provider=provider, visit_at="2024-03-01T10:00", inscp="90.00", own="20.00",
                 fee_details=items)
    refused = api_client.post("/api/v1/claims/", wrong, format="json")
    right = body(member=member, provider=provider, visit_at="2024-03-01T10:00", inscp="80.00", own="20.00",
                 fee_details=items)
    accepted = api_client.post("/api/v1/claims/", right, format="json")
    assert refused.status_code == 400 and "fee_details" in refused.json()
    assert accepted.status_code == 201
    assert ClaimItem.objects.filter(claim__setl_id=accepted.json()["setl_id"]).count() == 2
    detail = api_client.get(f"/api/v1/claims/{accepted.json()['setl_id']}/").json()
    assert [d["code"] for d in detail["fee_details"]] == ["X1", "E1"]


def test_another_districts_claim_is_not_found(api_client, zibo):
    # given a claim of a member in district 370302 and a clerk of district 370303
    member, provider = zibo
    setl_id = api_client.post("/api/v1/claims/", body(member=member, provider=provider,
                                                      visit_at="2024-03-01T10:00"), format="json").json()["setl_id"]
    clerk = make_staff(admdvs="370300", districts=["370303"])
    api_client.force_authenticate(clerk)
    # then it is invisible: read, reverse, list, accumulators, and claiming for that member
    assert api_client.get(f"/api/v1/claims/{setl_id}/").status_code == 404
    assert api_client.post(f"/api/v1/claims/{setl_id}/reverse/").status_code == 404
    assert api_client.get("/api/v1/claims/").json()["results"] == []
    assert api_client.get(f"/api/v1/members/370300/{member.certno}/accumulators/?year=2024").status_code == 404
    response = api_client.post("/api/v1/claims/", body(member=member, provider=provider,
                                                       visit_at="2024-03-02T10:00"), format="json")
    assert response.status_code == 400 and "certno" in response.json()
    assert Claim.objects.count() == 1


def test_accumulators_endpoint_figures(api_client, city_admin):
    # given a Zibo member with an L2 visit (deductible 500, 60%) and an L3 visit in 2023
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs="370300")
    l2 = make_provider(admdvs="370300", level="2", kind="hospital")
    l3 = make_provider(admdvs="370300", level="3", kind="hospital")
    api_client.post("/api/v1/claims/", body(member=member, provider=l2, visit_at="2023-02-01T10:00",
                                            inscp="700.00"), format="json")
    api_client.post("/api/v1/claims/", body(member=member, provider=l3, visit_at="2023-02-02T10:00",
                                            inscp="300.00"), format="json")
    # when the year's figures are read
    data = api_client.get(f"/api/v1/members/370300/{member.certno}/accumulators/?year=2023").json()
    # then deductibles per level, fund paid and the cap left are shown as money strings
    assert data["deductible_paid"]["2"] == "500.00" and data["deductible_paid"]["3"] == "300.00"
    assert data["fund_paid"] == "120.00"
    assert data["annual_cap"] == "3000.00" and data["cap_left"] == "2880.00"
    assert api_client.get(f"/api/v1/members/370300/{member.certno}/accumulators/?year=20x3").status_code == 400


def test_list_filters(api_client, zibo):
    member, provider = zibo
    for day in ("2024-03-01", "2024-04-01"):
        api_client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at=f"{day}T10:00"),
                        format="json")
    response = api_client.get("/api/v1/claims/", {"certno": member.certno, "visit_from": "2024-03-15"})
    assert [r["visit_date"] for r in response.json()["results"]] == ["2024-04-01"]
    assert date(2024, 4, 1).isoformat() == response.json()["results"][0]["visit_date"]
