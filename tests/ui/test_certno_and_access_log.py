"""Personal data: no page, API answer or export shown to a non-auditor contains a full certno of the
members in view; the auditor sees them in full, and every view it makes is in the access log."""
from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import Client
from rest_framework.test import APIClient

from staff.models import AccessLog, AuditEvent

pytestmark = pytest.mark.django_db
CERTNO = re.compile(r"\d{17}[\dX]")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def pages(world) -> list[str]:
    urls = [f"/admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry]
    member = world.members_a[0]
    urls += [f"/admin/members/member/{member.pk}/change/", f"/admin/claims/claim/{world.claim_a.pk}/change/",
             f"/admin/members/member/{member.pk}/history/", "/dashboard/?year=2024", "/admin/",
             f"/admin/budgets/settlementrun/{world.run.pk}/change/",
             f"/admin/budgets/settlementrun/{world.run.pk}/export/"]
    urls += [f"/admin/staff/auditevent/{event.pk}/change/" for event in AuditEvent.objects.all()[:20]]
    return urls


def api_urls(world) -> list[str]:
    member = world.members_a[0]
    return [f"/api/v1/members/360100/{member.certno}/", "/api/v1/members/?admdvs=360100",
            f"/api/v1/signups/?admdvs=360100&certno={member.certno}", f"/api/v1/claims/{world.claim_a.setl_id}/",
            f"/api/v1/members/360100/{member.certno}/accumulators/?year=2024"]


def bodies(world, user):
    client, rest = logged_in(user), api(user)
    for url in pages(world):
        response = client.get(url)
        if response.status_code == 200:
            yield url, b"".join(response.streaming_content) if response.streaming else response.content
    for url in api_urls(world):
        response = rest.get(url)
        if response.status_code == 200:
            yield url, response.content
    export = client.post("/admin/members/member/", {"action": "export_csv",
                                                    "_selected_action": [m.pk for m in world.members_a]})
    if export.status_code == 200:
        yield "member csv export", b"".join(export.streaming_content)


@pytest.mark.parametrize("who", ["city_admin", "clerk_a", "clerk_b", "reviewer", "approver"])
def test_no_full_certno_reaches_a_non_auditor(world, who):
    # given members whose full certnos we know, and a user holding a role other than auditor
    full = set(world.certnos)
    seen = 0
    # when it opens every page, API answer and export it may
    for url, body in bodies(world, world.users[who]):
        seen += 1
        # then none of those certnos appears unmasked
        leaked = full & set(CERTNO.findall(body.decode("utf-8", "replace")))
        assert not leaked, (who, url)
    assert seen > 5


def test_the_auditor_sees_full_certnos_and_every_view_is_logged(world):
    auditor = world.users["auditor"]
    member = world.members_a[0]
    before = AccessLog.objects.filter(user=auditor).count()
    client = logged_in(auditor)
    # when the auditor opens a member's page, the member list, the dashboard and a settlement run
    change = client.get(f"/admin/members/member/{member.pk}/change/")
    listing = client.get("/admin/members/member/")
    client.get("/dashboard/?year=2024")
    client.get(f"/admin/budgets/settlementrun/{world.run.pk}/change/")
    answer = api(auditor).get(f"/api/v1/members/360100/{member.certno}/")
    # then the certnos are shown in full
    assert member.certno in change.content.decode() and member.certno in listing.content.decode()
    assert member.certno in answer.content.decode()
    # and each of those five views is in the access log, with who and which member
    logs = AccessLog.objects.filter(user=auditor).order_by("id")[before:]
    assert len(logs) == 5
    assert logs[0].what == "members.Member" and logs[0].object_ids == [str(member.pk)]
    assert logs[1].action == "list"
    assert logs[4].object_ids == [str(member.pk)]
    # and the auditor can read the log and the trail in the admin, but change nothing
    assert client.get("/admin/staff/accesslog/").status_code == 200
    assert client.get("/admin/staff/auditevent/").status_code == 200
    assert client.post(f"/admin/members/member/{member.pk}/change/", {"psn_name": "改"}).status_code == 403


def test_personal_data_views_of_other_roles_are_logged_and_other_pages_are_not(world):
    clerk = world.users["clerk_a"]
    client = logged_in(clerk)
    member = world.members_a[0]
    client.get(f"/admin/members/member/{member.pk}/change/")
    client.get("/admin/members/member/")
    client.post("/admin/members/member/", {"action": "export_csv", "_selected_action": [member.pk]})
    client.get("/admin/providers/provider/")
    client.get("/dashboard/?year=2024")
    logs = list(AccessLog.objects.filter(user=clerk).order_by("id").values_list("action", "what", "object_ids"))
    assert logs[:3] == [("view", "members.Member", [str(member.pk)]), ("list", "members.Member", []),
                        ("export", "members_member_changelist", [str(member.pk)])]
    assert not [row for row in logs if "provider" in row[1]]
    # and the access log never keeps a full certno in the path
    api(clerk).get(f"/api/v1/members/360100/{member.certno}/")
    last = AccessLog.objects.filter(user=clerk).latest("id")
    assert member.certno not in last.path and last.object_ids == [str(member.pk)]
