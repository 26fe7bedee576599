"""District scope, masked certnos and search on the admin lists."""
from datetime import date

import pytest
from django.urls import reverse

from members.certno import make_certno
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db

MEMBERS = reverse("admin:members_member_changelist")
PROVIDERS = reverse("admin:providers_provider_changelist")
CLERK_PERMS = ["members.view_member", "members.view_signup", "members.view_memberchange", "providers.view_provider"]


def clerk(district="360102", perms=()):
    return make_staff(admdvs="360100", districts=[district], perms=CLERK_PERMS + list(perms))


def test_given_members_in_two_districts_when_clerk_lists_members_then_only_own_district_rows(client):
    # given
    ours = make_member(district="360102", name="王小明",
                       certno=make_certno(area="360102", birth=date(1980, 1, 1), sequence=11))
    theirs = make_member(district="360103", name="李大山",
                         certno=make_certno(area="360103", birth=date(1981, 1, 1), sequence=12))
    client.force_login(clerk())
    # when
    response = client.get(MEMBERS)
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "王小明" in html and "李大山" not in html
    assert ours.pk in [m.pk for m in response.context["cl"].result_list]
    assert theirs.pk not in [m.pk for m in response.context["cl"].result_list]


def test_given_providers_in_two_districts_when_clerk_lists_providers_then_only_own_district_rows(client):
    make_provider(code="HOURS01", district="360102")
    make_provider(code="HTHEIRS1", district="360103")
    client.force_login(clerk())
    html = client.get(PROVIDERS).content.decode()
    assert "HOURS01" in html and "HTHEIRS1" not in html


def test_given_another_districts_member_and_provider_when_clerk_opens_change_pages_then_404(client):
    member = make_member(district="360103")
    provider = make_provider(district="360103")
    client.force_login(clerk())
    assert client.get(reverse("admin:members_member_change", args=[member.pk])).status_code == 404
    assert client.get(reverse("admin:providers_provider_change", args=[provider.pk])).status_code == 404
    assert client.get(reverse("admin:members_member_history", args=[member.pk])).status_code == 404


def test_given_own_member_when_clerk_opens_change_page_then_sign_up_history_newest_first(client):
    from tests.factories import make_signup

    member = make_member(district="360102")
    old = make_provider(code="HOLD0001", district="360102")
    new = make_provider(code="HNEW0001", district="360102")
    make_signup(member=member, provider=old, effective_from=date(2023, 1, 5))
    make_signup(member=member, provider=new, effective_from=date(2023, 7, 1), reason="address_change",
                applied_on=date(2023, 6, 10))
    client.force_login(clerk())
    html = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert html.index("HNEW0001") < html.index("HOLD0001")


def test_given_clerk_without_permission_when_listing_then_certno_masked(client):
    certno = make_certno(area="360102", birth=date(1970, 5, 1), sequence=123)
    make_member(certno=certno, district="360102")
    client.force_login(clerk())
    html = client.get(MEMBERS).content.decode()
    assert certno not in html
    assert f"{certno[:6]}********{certno[-4:]}" in html


def test_given_user_with_full_certno_permission_when_listing_then_certno_in_full(client):
    certno = make_certno(area="360102", birth=date(1970, 5, 1), sequence=125)
    make_member(certno=certno, district="360102")
    client.force_login(clerk(perms=["staff.view_full_certno"]))
    assert certno in client.get(MEMBERS).content.decode()


def test_given_members_when_searching_by_full_certno_then_exact_match_only(client):
    target = make_certno(area="360102", birth=date(1975, 3, 3), sequence=7)
    make_member(certno=target, name="赵一", district="360102")
    make_member(certno=make_certno(area="360102", birth=date(1975, 3, 3), sequence=8), name="赵二", district="360102")
    client.force_login(clerk())
    results = client.get(MEMBERS, {"q": target.lower()}).context["cl"].result_list
    assert [m.certno for m in results] == [target]


def test_given_members_when_searching_by_name_then_prefix_match(client):
    make_member(name="王建国", district="360102")
    make_member(name="王芳", district="360102")
    make_member(name="李王", district="360102")
    client.force_login(clerk())
    names = sorted(m.psn_name for m in client.get(MEMBERS, {"q": "王"}).context["cl"].result_list)
    assert names == ["王建国", "王芳"]


def test_given_other_district_member_when_clerk_searches_their_certno_then_nothing(client):
    certno = make_certno(area="360103", birth=date(1975, 3, 3), sequence=9)
    make_member(certno=certno, district="360103")
    client.force_login(clerk())
    assert list(client.get(MEMBERS, {"q": certno}).context["cl"].result_list) == []


def test_given_provider_when_searching_by_code_or_name_then_found(client):
    make_provider(code="H360102777", district="360102")
    client.force_login(clerk())
    assert "H360102777" in client.get(PROVIDERS, {"q": "H360102777"}).content.decode()
    assert "H360102777" in client.get(PROVIDERS, {"q": "测试机构H3601027"}).content.decode()


def test_given_clerk_when_exporting_members_then_only_scope_and_masked(client):
    certno = make_certno(area="360102", birth=date(1970, 5, 1), sequence=131)
    member = make_member(certno=certno, district="360102", name="钱多")
    other = make_member(district="360103", name="孙少")
    client.force_login(clerk())
    response = client.post(MEMBERS, {"action": "export_csv", "_selected_action": [member.pk, other.pk]})
    body = b"".join(response.streaming_content).decode()
    assert "钱多" in body and "孙少" not in body
    assert certno not in body and mask_like(certno) in body


def mask_like(certno):
    return certno[:6] + "*" * 8 + certno[-4:]


def test_given_member_created_by_service_when_clerk_opens_page_then_history_shows_certno_masked(client):
    from members import services

    certno = make_certno(area="360102", birth=date(1988, 8, 8), sequence=55)
    member = services.member_create(admdvs="360100", certno=certno, psn_name="郑历史", insutype="390",
                                    psn_type="1501", district="360102", enrolled_on=date(2020, 1, 1))
    client.force_login(clerk())
    html = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert "郑历史" in html and mask_like(certno) in html
    assert certno not in html


def test_given_providers_in_two_districts_when_clerk_uses_autocomplete_then_only_own_district(client):
    make_provider(code="HAUTO0001", district="360102")
    make_provider(code="HAUTO0002", district="360103")
    client.force_login(clerk())
    response = client.get(reverse("admin:autocomplete"), {"app_label": "members", "model_name": "signup",
                                                           "field_name": "provider", "term": "HAUTO"})
    ids = [item["text"] for item in response.json()["results"]]
    assert len(ids) == 1 and "HAUTO0001" in ids[0]
