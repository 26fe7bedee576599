"""Writes from the admin go through the services: sign-up requests, member create/update."""
from datetime import date

import pytest
from django.urls import reverse

from members.certno import make_certno
from members.models import Member, MemberChange, SignUp
from tests.factories import make_member, make_provider, make_signup, make_staff

pytestmark = pytest.mark.django_db

SIGNUP_ADD = reverse("admin:members_signup_add")
PERMS = ["members.view_member", "members.add_member", "members.change_member", "members.view_signup",
         "members.add_signup", "providers.view_provider"]


def clerk(district="360102", admdvs="360100"):
    return make_staff(admdvs=admdvs, districts=[district], perms=PERMS)


def test_given_a_member_without_sign_up_when_first_sign_up_posted_then_recorded_effective_that_day(client):
    member = make_member(district="360102")
    centre = make_provider(district="360102", kind="township")
    client.force_login(clerk())
    response = client.post(SIGNUP_ADD, {"member": member.pk, "provider": centre.pk, "applied_on": "2024-03-05",
                                        "reason": "first", "family_doctor": "on"})
    assert response.status_code == 302
    signup = SignUp.objects.get(member=member)
    assert (signup.provider_id, signup.effective_from, signup.family_doctor) == (centre.pk, date(2024, 3, 5), True)


def test_given_annual_request_outside_window_when_posted_then_refused_with_rule_message_and_nothing_written(client):
    member = make_member(district="360102")
    first = make_provider(district="360102", kind="township")
    other = make_provider(district="360102", kind="community")
    make_signup(member=member, provider=first, effective_from=date(2023, 1, 5))
    client.force_login(clerk())
    response = client.post(SIGNUP_ADD, {"member": member.pk, "provider": other.pk, "applied_on": "2024-05-10",
                                        "reason": "annual"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors  # the service's refusal, shown on the form
    html = response.content.decode()
    assert "申请未被受理" in html and "年度重新选择只能在每年 10-01 至 12-31 申请" in html
    assert SignUp.objects.filter(member=member).count() == 1


def test_given_region_without_sign_up_when_requested_by_certno_then_refused(client):
    member = make_member(admdvs="411300", district="411302")
    provider = make_provider(admdvs="411300", district="411302", kind="hospital", level="2")
    client.force_login(make_staff(admdvs="411300", districts=["411302"], perms=PERMS))
    response = client.post(SIGNUP_ADD, {"admdvs": "411300", "certno": member.certno, "provider": provider.pk,
                                        "applied_on": "2024-03-05", "reason": "first"})
    assert response.status_code == 200
    assert not SignUp.objects.exists()


def test_given_another_districts_member_when_clerk_requests_sign_up_then_refused(client):
    member = make_member(district="360103")
    centre = make_provider(district="360102", kind="township")
    client.force_login(clerk())
    response = client.post(SIGNUP_ADD, {"admdvs": "360100", "certno": member.certno, "provider": centre.pk,
                                        "applied_on": "2024-03-05", "reason": "first"})
    assert response.status_code == 200 and "certno" in response.context["form"].errors
    assert not SignUp.objects.exists()


def test_given_sign_ups_when_clerk_tries_change_or_delete_then_refused(client):
    member = make_member(district="360102")
    signup = make_signup(member=member, provider=make_provider(district="360102"), effective_from=date(2023, 1, 5))
    client.force_login(clerk())
    url = reverse("admin:members_signup_change", args=[signup.pk])
    client.post(url, {"reason": "annual"})
    assert client.post(reverse("admin:members_signup_delete", args=[signup.pk]), {"post": "yes"}).status_code == 403
    signup.refresh_from_db()
    assert signup.reason == "first"


def test_given_clerk_when_adding_a_member_then_created_by_the_service_with_history(client):
    certno = make_certno(area="360102", birth=date(1990, 2, 3), sequence=41)
    client.force_login(clerk())
    response = client.post(reverse("admin:members_member_add"), {
        "admdvs": "360100", "certno": certno, "psn_name": "周新", "insutype": "390", "psn_type": "1501",
        "district": "360102", "enrolled_on": "2020-01-01", "retired_on": "", "contribution_base": ""})
    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Member.objects.get(certno=certno)
    assert (member.brdy, member.gend) == (date(1990, 2, 3), "1")  # sequence 041: odd = male
    assert MemberChange.objects.filter(member=member, action="create").exists()


def test_given_a_member_when_an_invalid_change_is_saved_then_service_message_shown_and_nothing_written(client):
    member = make_member(district="360102", name="吴原")
    client.force_login(clerk())
    url = reverse("admin:members_member_change", args=[member.pk])
    data = {"psn_name": "吴新", "insutype": "390", "psn_type": "1101", "district": "360102",
            "enrolled_on": "2015-01-01", "status": "active", "chronic_diseases": "[]"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "psn_type" in response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.psn_name == "吴原" and not MemberChange.objects.filter(member=member).exists()
    response = client.post(url, dict(data, psn_type="1501"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.psn_name == "吴新"
    assert MemberChange.objects.get(member=member).after == {"psn_name": "吴新"}
