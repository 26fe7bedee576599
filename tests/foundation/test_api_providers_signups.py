"""Providers and sign-ups API v1: contract shapes, scope, computed effective dates, refusals with reasons."""
from datetime import date

import pytest
from django.utils import timezone

from members.models import SignUp
from providers.models import Provider
from staff.scope import mask_certno
from tests.factories import make_member, make_provider, make_signup, make_staff

pytestmark = pytest.mark.django_db
PROVIDERS, SIGNUPS = "/api/v1/providers/", "/api/v1/signups/"


@pytest.fixture
def clerk(api_client):
    """A clerk of Donghu district (360102), Nanchang, without the full-certno permission."""
    user = make_staff(admdvs="360100", districts=["360102"])
    api_client.force_authenticate(user)
    return user


def provider_body(**overrides):
    values = {"fixmedins_code": "H36010200001", "fixmedins_name": "东湖区某社区卫生服务中心", "admdvs": "360100",
              "district": "360102", "dedc_hosp_lv": "1", "kind": "community", "parent_code": None}
    values.update(overrides)
    return values


def test_given_clerk_when_provider_posted_then_201_and_readable(api_client, clerk):
    response = api_client.post(PROVIDERS, provider_body(latitude="28.683000", longitude=115.9), format="json")
    assert response.status_code == 201, response.data
    assert response.data == {**provider_body(), "status": "active", "status_changed_on": None,
                             "latitude": "28.683000", "longitude": "115.900000"}
    assert api_client.get(f"{PROVIDERS}H36010200001/").data["fixmedins_name"] == "东湖区某社区卫生服务中心"


@pytest.mark.parametrize("overrides, field", [
    ({"dedc_hosp_lv": "4"}, "dedc_hosp_lv"),
    ({"kind": "clinic"}, "kind"),
    ({"district": "441602"}, "district"),
    ({"kind": "village"}, "parent_code"),
    ({"fixmedins_code": ""}, "fixmedins_code"),
])
def test_given_bad_field_when_provider_posted_then_400_names_it_and_nothing_written(api_client, overrides, field):
    api_client.force_authenticate(make_staff(admdvs="360100"))   # city-wide Nanchang staff
    response = api_client.post(PROVIDERS, provider_body(**overrides), format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert Provider.objects.count() == 0


def test_given_clerk_when_provider_posted_into_other_district_then_403(api_client, clerk):
    assert api_client.post(PROVIDERS, provider_body(district="360103"), format="json").status_code == 403
    assert Provider.objects.count() == 0


def test_given_providers_in_two_districts_when_clerk_lists_and_reads_then_other_district_hidden(api_client, clerk):
    make_provider(code="OWN", district="360102")
    make_provider(code="OTHER", district="360103")
    response = api_client.get(PROVIDERS)
    assert [row["fixmedins_code"] for row in response.data["results"]] == ["OWN"]
    assert api_client.get(f"{PROVIDERS}OTHER/").status_code == 404
    assert api_client.patch(f"{PROVIDERS}OTHER/", {"status": "suspended"}, format="json").status_code == 404


def test_given_provider_when_status_patched_then_change_day_recorded(api_client, clerk):
    make_provider(code="OWN")
    response = api_client.patch(f"{PROVIDERS}OWN/", {"status": "suspended"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["status_changed_on"] == timezone.localdate().isoformat()


def test_given_provider_when_code_patched_then_400(api_client, clerk):
    make_provider(code="OWN")
    response = api_client.patch(f"{PROVIDERS}OWN/", {"fixmedins_code": "NEW"}, format="json")
    assert response.status_code == 400 and "fixmedins_code" in response.data


def signup_body(member, provider, **overrides):
    values = {"certno": member.certno, "admdvs": member.admdvs_id, "fixmedins_code": provider.fixmedins_code,
              "applied_on": "2024-04-20", "reason": "address_change", "family_doctor": False}
    values.update(overrides)
    return values


def test_given_signed_member_when_address_change_posted_then_201_effective_next_month(api_client, clerk):
    member, old, new = make_member(admdvs="360100"), make_provider(), make_provider()
    make_signup(member=member, provider=old, effective_from=date(2024, 1, 1))
    response = api_client.post(SIGNUPS, signup_body(member, new, certno=member.certno.lower()), format="json")
    assert response.status_code == 201, response.data
    assert response.data["effective_from"] == "2024-05-01"
    assert (response.data["certno"], response.data["fixmedins_code"]) == (mask_certno(member.certno),
                                                                          new.fixmedins_code)


def test_given_effective_from_in_request_when_posted_then_400_and_nothing_written(api_client, clerk):
    member, provider = make_member(admdvs="360100"), make_provider()
    response = api_client.post(SIGNUPS, signup_body(member, provider, reason="first", effective_from="2024-01-01"),
                               format="json")
    assert response.status_code == 400 and "effective_from" in response.data
    assert SignUp.objects.count() == 0


def test_given_outside_window_when_annual_posted_then_400_says_why(api_client, clerk):
    member = make_member(admdvs="360100")
    make_signup(member=member, provider=make_provider(), effective_from=date(2024, 1, 1))
    response = api_client.post(SIGNUPS, signup_body(member, make_provider(), reason="annual", applied_on="2024-09-15"),
                               format="json")
    assert response.status_code == 400 and "10-01 至 12-31" in response.data["reason"][0]
    assert SignUp.objects.count() == 1


@pytest.mark.parametrize("overrides, field", [
    ({"reason": "whim"}, "reason"), ({"applied_on": "2024-13-01"}, "applied_on"), ({"certno": None}, "certno"),
    ({"family_doctor": "maybe"}, "family_doctor"), ({"fixmedins_code": "NOPE", "reason": "first"}, "fixmedins_code"),
])
def test_given_bad_field_when_signup_posted_then_400_names_it(api_client, clerk, overrides, field):
    member = make_member(admdvs="360100")
    response = api_client.post(SIGNUPS, signup_body(member, make_provider(), **overrides), format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert SignUp.objects.count() == 0


def test_given_region_without_signups_when_posted_then_400_on_admdvs(api_client):
    api_client.force_authenticate(make_staff(all_regions=True))
    member = make_member(admdvs="370300")
    response = api_client.post(SIGNUPS, signup_body(member, make_provider(admdvs="370300"), reason="first"),
                               format="json")
    assert response.status_code == 400 and "不实行门诊签约" in response.data["admdvs"][0]


def test_given_member_of_other_district_when_signup_posted_or_history_read_then_refused(api_client, clerk):
    member = make_member(admdvs="360100", district="360103")
    response = api_client.post(SIGNUPS, signup_body(member, make_provider(), reason="first"), format="json")
    assert response.status_code == 403 and SignUp.objects.count() == 0
    assert api_client.get(SIGNUPS, {"admdvs": "360100", "certno": member.certno}).status_code == 404


def test_given_history_when_listed_then_in_effective_order_with_masked_certno(api_client, clerk):
    member, a, b = make_member(admdvs="360100"), make_provider(code="NC-A"), make_provider(code="NC-B")
    make_signup(member=member, provider=b, effective_from=date(2024, 5, 1), reason="address_change",
                applied_on=date(2024, 4, 20))
    make_signup(member=member, provider=a, effective_from=date(2023, 2, 1), family_doctor=True)
    response = api_client.get(SIGNUPS, {"admdvs": "360100", "certno": member.certno})
    assert response.status_code == 200
    rows = [(r["fixmedins_code"], r["reason"], r["applied_on"], r["effective_from"], r["family_doctor"])
            for r in response.data["results"]]
    assert rows == [("NC-A", "first", "2023-02-01", "2023-02-01", True),
                    ("NC-B", "address_change", "2024-04-20", "2024-05-01", False)]
    assert {r["certno"] for r in response.data["results"]} == {mask_certno(member.certno)}


def test_given_missing_query_when_history_read_then_400_names_fields(api_client, clerk):
    response = api_client.get(SIGNUPS)
    assert response.status_code == 400 and {"admdvs", "certno"} <= set(response.data)


def test_schema_and_docs_are_served(api_client, clerk):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/providers/{fixmedins_code}/", "/api/v1/members/{admdvs}/{certno}/", "/api/v1/signups/"):
        assert path in text
    assert api_client.get("/api/docs/").status_code == 200
