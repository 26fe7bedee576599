"""The member form (issue 20, point 9): 人员类别 is a choice list, the districts are its region's
(grouped by region on the add form), and a member added through it is written by the service."""
from datetime import date

import pytest

from members.certno import make_certno
from members.models import Member
from staff.roles import CITY_ADMIN
from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


def test_given_city_admin_when_adding_and_changing_a_member_then_choice_lists_and_region_districts(client):
    client.force_login(make_staff(all_regions=True, groups=[CITY_ADMIN]))

    add = client.get("/admin/members/member/add/").content.decode()

    assert '<optgroup label="南昌市">' in add and '<optgroup label="河源市">' in add
    assert '<select name="psn_type"' in add and "1501 城乡居民" in add
    certno = make_certno(area="360102", birth=date(1988, 8, 8), sequence=41)
    saved = client.post("/admin/members/member/add/", {
        "admdvs": "360100", "certno": certno, "psn_name": "表单甲", "insutype": "390", "psn_type": "1501",
        "district": "360102", "enrolled_on": "2024-01-01"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    member = Member.objects.get(certno=certno)
    assert member.psn_type == "1501" and member.district_id == "360102"

    change = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    form = change[change.index('name="district"'):]
    form = form[:form.index("</select>")]
    assert 'value="360102"' in form and 'value="441602"' not in form and "optgroup" not in form
    psn = change[change.index('name="psn_type"'):]
    psn = psn[:psn.index("</select>")]
    assert "1501 城乡居民" in psn and "1101" not in psn                # a resident: the resident codes only


def test_given_member_with_an_unlisted_code_when_changing_then_its_code_is_still_offered(client):
    client.force_login(make_staff(all_regions=True, groups=[CITY_ADMIN]))
    member = make_member(admdvs="360100", district="360102", psn_type="1599")

    page = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()

    assert '<option value="1599" selected>' in page
