"""Members API v1: contract shapes, district scope (404 / 403), masked certno, 400s that write nothing."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from members.certno import make_certno
from members.models import Member, MemberChange
from staff.scope import mask_certno
from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db
URL = "/api/v1/members/"
CERTNO = make_certno(area="360102", birth=date(1970, 5, 1), sequence=21)   # 021: odd -> male


def body(**overrides):
    values = {"certno": CERTNO, "psn_name": "赵六", "admdvs": "411300", "insutype": "310", "psn_type": "1101",
              "contribution_base": 5000, "district": "411302", "enrolled_on": "2015-01-01"}
    values.update(overrides)
    return values


@pytest.fixture
def clerk(api_client):
    """A clerk of Wancheng district (411302) without the full-certno permission."""
    user = make_staff(admdvs="411300", districts=["411302"])
    api_client.force_authenticate(user)
    return user


def test_given_clerk_when_member_posted_then_201_with_contract_fields_and_masked_certno(api_client, clerk):
    response = api_client.post(URL, body(), format="json")
    assert response.status_code == 201, response.data
    assert response.data == {
        "certno": mask_certno(CERTNO), "psn_name": "赵六", "admdvs": "411300", "insutype": "310",
        "psn_type": "1101", "retired_on": None, "contribution_base": "5000.00", "poverty": False,
        "inpatient_only": False, "district": "411302", "enrolled_on": "2015-01-01", "brdy": "1970-05-01", "gend": "1",
        "status": "active", "left_on": None, "chronic_diseases": []}
    assert MemberChange.objects.get().changed_by == clerk


def test_given_permitted_user_when_member_posted_then_full_certno_upper_case(api_client):
    api_client.force_authenticate(make_staff(admdvs="441600", perms=["staff.view_full_certno"]))
    response = api_client.post(URL, body(certno="11010519491231002x", admdvs="441600", district="441602",
                                         psn_type="1201", retired_on="2009-12-31"), format="json")
    assert response.status_code == 201, response.data
    assert response.data["certno"] == "11010519491231002X" and response.data["gend"] == "2"


@pytest.mark.parametrize("overrides, field", [
    ({"certno": CERTNO[:17] + ("0" if CERTNO[17] != "0" else "1")}, "certno"),
    ({"certno": "110105491231002"}, "certno"),
    ({"insutype": "390"}, "insutype"),
    ({"psn_type": "1501"}, "psn_type"),
    ({"retired_on": "2020-01-01"}, "retired_on"),
    ({"district": "411303", "admdvs": "360100"}, "district"),
    ({"contribution_base": "-1"}, "contribution_base"),
    ({"contribution_base": "12.345"}, "contribution_base"),
    ({"enrolled_on": "2015-02-30"}, "enrolled_on"),
    ({"brdy": "1980-01-01"}, "brdy"),
    ({"psn_name": None}, "psn_name"),
])
def test_given_bad_field_when_member_posted_then_400_names_it_and_nothing_written(api_client, overrides, field):
    api_client.force_authenticate(make_staff(all_regions=True))
    response = api_client.post(URL, body(**overrides), format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert Member.objects.count() == 0 and MemberChange.objects.count() == 0


def test_given_duplicate_when_member_posted_then_400_on_certno(api_client, clerk):
    make_member(admdvs="411300", certno=CERTNO, district="411302")
    response = api_client.post(URL, body(), format="json")
    assert response.status_code == 400 and "certno" in response.data
    assert Member.objects.count() == 1


def test_given_clerk_when_member_posted_into_other_district_then_403_and_nothing_written(api_client, clerk):
    response = api_client.post(URL, body(district="411303"), format="json")
    assert response.status_code == 403
    assert Member.objects.count() == 0


def test_given_members_in_two_districts_when_clerk_lists_then_only_own_district_masked(api_client, clerk):
    own = make_member(admdvs="411300", district="411302", name="王一")
    make_member(admdvs="411300", district="411303", name="王二")
    response = api_client.get(URL)
    assert response.status_code == 200
    assert [row["certno"] for row in response.data["results"]] == [mask_certno(own.certno)]
    assert response.data["count"] == 1


def test_given_filters_when_listing_then_prefix_district_and_certno_apply(api_client):
    api_client.force_authenticate(make_staff(all_regions=True, perms=["staff.view_full_certno"]))
    wang = make_member(admdvs="360100", name="王小明")
    make_member(admdvs="360100", name="李小明")
    other = make_member(admdvs="360100", name="王大明", district="360103")
    names = lambda query: sorted(r["psn_name"] for r in api_client.get(URL, query).data["results"])  # noqa: E731
    assert names({"psn_name": "王"}) == ["王大明", "王小明"]
    assert names({"psn_name": "王", "district": "360103"}) == ["王大明"]
    assert names({"certno": wang.certno.lower()}) == ["王小明"]
    assert names({"admdvs": "411300"}) == []
    assert other.certno in [r["certno"] for r in api_client.get(URL, {"district": "360103"}).data["results"]]


def test_given_member_of_other_district_when_clerk_reads_detail_then_404(api_client, clerk):
    other = make_member(admdvs="411300", district="411303")
    assert api_client.get(f"{URL}411300/{other.certno}/").status_code == 404
    assert api_client.patch(f"{URL}411300/{other.certno}/", {"psn_name": "改"}, format="json").status_code == 404


def test_given_own_member_when_detail_read_with_lower_case_x_then_200_masked(api_client, clerk):
    member = make_member(admdvs="411300", district="411302", certno="11010519491231002X")
    response = api_client.get(f"{URL}411300/11010519491231002x/")
    assert response.status_code == 200
    assert response.data["certno"] == "110105********002X"
    assert response.data["brdy"] == "1949-12-31" and response.data["psn_name"] == member.psn_name


def test_given_permitted_user_when_detail_read_then_full_certno(api_client):
    member = make_member(admdvs="411300", district="411302")
    api_client.force_authenticate(make_staff(admdvs="411300", perms=["staff.view_full_certno"]))
    assert api_client.get(f"{URL}411300/{member.certno}/").data["certno"] == member.certno


def test_given_own_member_when_patched_then_saved_and_audited(api_client, clerk):
    member = make_member(admdvs="411300", district="411302")
    response = api_client.patch(f"{URL}411300/{member.certno}/",
                                {"psn_type": "1201", "retired_on": "2024-01-31", "contribution_base": "6200.5"},
                                format="json")
    assert response.status_code == 200, response.data
    assert (response.data["retired_on"], response.data["contribution_base"]) == ("2024-01-31", "6200.50")
    change = MemberChange.objects.get(member=member, action="update")
    assert change.changed_by == clerk and change.after["psn_type"] == "1201"


def test_given_own_member_when_patched_into_other_district_then_403(api_client, clerk):
    member = make_member(admdvs="411300", district="411302")
    response = api_client.patch(f"{URL}411300/{member.certno}/", {"district": "411303"}, format="json")
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.district_id == "411302"


def test_given_bad_patch_when_applied_then_400_and_unchanged(api_client, clerk):
    member = make_member(admdvs="411300", district="411302")
    response = api_client.patch(f"{URL}411300/{member.certno}/", {"psn_type": "1501", "gend": "2"}, format="json")
    assert response.status_code == 400 and "gend" in response.data
    response = api_client.patch(f"{URL}411300/{member.certno}/", {"psn_type": "1501"}, format="json")
    assert response.status_code == 400 and "psn_type" in response.data
    member.refresh_from_db()
    assert member.psn_type == "1101" and not MemberChange.objects.exists()


def test_given_no_staff_flag_or_no_login_when_calling_then_refused(api_client):
    assert api_client.get(URL).status_code in (401, 403)
    api_client.force_authenticate(get_user_model().objects.create_user("citizen", password="x-123456"))
    assert api_client.get(URL).status_code == 403


def test_given_staff_without_scope_when_listing_then_nothing(api_client):
    make_member(admdvs="411300")
    api_client.force_authenticate(make_staff())
    assert api_client.get(URL).data["count"] == 0
