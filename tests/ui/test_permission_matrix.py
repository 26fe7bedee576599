"""Who gets what: every admin changelist, the dashboard, the API endpoints and the exports, for each
role (200 / 403 / 404 / redirect to the login page), and district scope on rows."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from rest_framework.test import APIClient

from staff.roles import ROLES, role_permissions, roles_unknown_permissions

pytestmark = pytest.mark.django_db

ROLE_OF = {"city_admin": "市级管理员", "clerk_a": "县区经办员", "clerk_b": "县区经办员", "reviewer": "结算审核员",
           "approver": "结算审批员", "auditor": "审计员"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def action_names(response) -> set[str]:
    form = response.context["action_form"]
    return set() if form is None else {name for name, _label in form.fields["action"].choices if name}


def changelists():
    for model in admin.site._registry:
        opts = model._meta
        yield f"{opts.app_label}.{opts.model_name}", f"/admin/{opts.app_label}/{opts.model_name}/"


def test_roles_name_only_permissions_the_apps_define():
    # given the permissions every installed app defines (after migrate)
    # when the roles are checked against them
    # then no role names a codename that does not exist (e.g. a misspelt approve permission)
    assert roles_unknown_permissions() == []
    assert {"claims.reverse_claim", "claims.review_claim"} <= role_permissions("结算审核员")
    assert "budgets.approve_settlement" in role_permissions("结算审批员")
    assert {"imports.add_importjob", "members.add_member", "members.add_signup"} <= role_permissions("县区经办员")
    auditor = role_permissions("审计员")
    assert "staff.view_full_certno" in auditor
    assert all(p.split(".")[1].startswith("view_") for p in auditor)
    assert set(ROLES) == set(ROLE_OF.values())


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_each_admin_changelist_answers_by_the_roles_permissions(world, who):
    # given a user holding one role
    user = world.users[who]
    perms = role_permissions(ROLE_OF[who])
    client = logged_in(user)
    for label, url in changelists():
        app_label, model_name = label.split(".")
        # when it opens the changelist
        response = client.get(url, follow=True)  # the admin's warnings list leads to /supervision/warnings/
        # then it is shown exactly when the role may view (or change) that model
        allowed = {f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"} & perms
        expected = 200 if allowed else 403
        assert response.status_code == expected, (who, url, response.status_code)


def test_anonymous_is_sent_to_the_login_page(world):
    client = Client()
    for _label, url in list(changelists()) + [("dashboard", "/dashboard/")]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_every_role_opens_the_dashboard_and_a_staff_user_without_a_role_does_not(world, who):
    from tests.factories import make_staff

    assert logged_in(world.users[who]).get("/dashboard/?year=2024").status_code == 200
    nobody = make_staff(username="ui_norole", admdvs="360100")
    assert logged_in(nobody).get("/dashboard/").status_code == 403


def test_the_admin_index_links_the_dashboard(world):
    response = logged_in(world.users["clerk_a"]).get("/admin/")
    assert b'href="/dashboard/"' in response.content


@pytest.mark.parametrize("who,expected", [
    ("city_admin", {"approve_runs", "recompute_runs"}), ("approver", {"approve_runs", "recompute_runs"}),
    ("auditor", set()), ("clerk_a", None), ("reviewer", None)])
def test_only_approvers_see_the_approve_action(world, who, expected):
    response = logged_in(world.users[who]).get("/admin/budgets/settlementrun/")
    if expected is None:
        assert response.status_code == 403
        return
    actions = action_names(response)
    assert expected <= actions and not ({"approve_runs", "recompute_runs"} - expected) & actions


@pytest.mark.parametrize("who,expected", [("reviewer", True), ("city_admin", True), ("auditor", False),
                                          ("clerk_a", False)])
def test_only_reviewers_see_the_reversal_action(world, who, expected):
    response = logged_in(world.users[who]).get("/admin/claims/claim/")
    assert response.status_code == 200
    assert any("revers" in name for name in action_names(response)) is expected


def test_a_district_clerk_never_sees_another_districts_rows(world):
    # given clerks of district A and district B
    a, b = logged_in(world.users["clerk_a"]), logged_in(world.users["clerk_b"])
    # when A lists members, sign-ups and claims, then only A's rows appear
    for url in ("/admin/members/member/", "/admin/members/signup/", "/admin/claims/claim/"):
        ids = {obj.pk for obj in a.get(url).context["cl"].result_list}
        if "member/" in url:
            assert ids == {m.pk for m in world.members_a}
        elif "claim/" in url:
            assert ids == {world.claim_a.pk}
        else:
            assert ids and all(s.member.district_id == "360102" for s in a.get(url).context["cl"].result_list)
    # and B's objects are "not found", in the admin and in the API
    assert a.get(f"/admin/members/member/{world.members_b[0].pk}/change/").status_code == 404
    assert a.get(f"/admin/claims/claim/{world.claim_b.pk}/change/").status_code == 404
    assert b.get(f"/admin/members/member/{world.members_a[0].pk}/change/").status_code == 404
    member_b = world.members_b[0]
    assert api(world.users["clerk_a"]).get(f"/api/v1/members/360100/{member_b.certno}/").status_code == 404
    assert api(world.users["clerk_a"]).get(f"/api/v1/claims/{world.claim_b.setl_id}/").status_code == 404
    listed = api(world.users["clerk_a"]).get("/api/v1/members/?admdvs=360100").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {row["psn_name"] for row in rows} == {m.psn_name for m in world.members_a}
    # and the dashboard counts only A's members
    assert a.get("/dashboard/?year=2024").context["totals"]["members"] == 2


def api_reads(world):
    member = world.members_a[0]
    return [f"/api/v1/members/360100/{member.certno}/", "/api/v1/members/?admdvs=360100",
            f"/api/v1/members/360100/{member.certno}/accumulators/?year=2024",
            f"/api/v1/signups/?admdvs=360100&certno={member.certno}", "/api/v1/providers/",
            f"/api/v1/claims/{world.claim_a.setl_id}/", "/api/v1/settlement-runs/",
            f"/api/v1/settlement-runs/{world.run.pk}/", f"/api/v1/settlement-runs/{world.run.pk}/lines/"]


@pytest.mark.parametrize("who", sorted(ROLE_OF))
def test_api_reads_in_scope_are_open_to_every_role_and_closed_to_anonymous(world, who):
    client = api(world.users[who])
    for url in api_reads(world):
        expected = 404 if who == "clerk_b" and ("certno" in url or "/members/360100/" in url
                                                 or "/claims/" in url) else 200
        assert client.get(url).status_code == expected, (who, url)
    for url in api_reads(world):
        assert APIClient().get(url).status_code in (401, 403), url


CLAIM = {"admdvs": "360100", "visit_at": "2024-03-10T09:00:00+08:00", "medfee_sumamt": "100.00",
         "inscp_scp_amt": "100.00"}


@pytest.mark.parametrize("who,member_post,claim_post,reverse,run_post", [
    ("city_admin", 201, 201, 201, 201),
    ("clerk_a", 201, 201, 403, 403),
    ("reviewer", 403, 403, 201, 403),
    ("approver", 403, 403, 403, 201),
    ("auditor", 403, 403, 403, 403),
])
def test_api_writes_follow_the_role(world, who, member_post, claim_post, reverse, run_post):
    from members.certno import make_certno
    from datetime import date

    client = api(world.users[who])
    new = {"certno": make_certno(area="360102", birth=date(1990, 1, 2), sequence=321), "psn_name": "新人",
           "admdvs": "360100", "insutype": "390", "psn_type": "1501", "district": "360102",
           "enrolled_on": "2024-01-01"}
    assert client.post("/api/v1/members/", new, format="json").status_code == member_post
    claim = dict(CLAIM, certno=world.members_a[1].certno, fixmedins_code=world.provider_a.fixmedins_code)
    assert client.post("/api/v1/claims/", claim, format="json").status_code == claim_post
    assert client.post(f"/api/v1/claims/{world.claim_a.setl_id}/reverse/").status_code == reverse
    response = client.post("/api/v1/settlement-runs/", {"admdvs": "360100", "kind": "monthly", "period": "2024-02"},
                           format="json")
    assert response.status_code == run_post


@pytest.mark.parametrize("who,expected", [("city_admin", 200), ("approver", 200), ("auditor", 200),
                                          ("clerk_a", 403), ("reviewer", 403)])
def test_the_settlement_export_and_statement(world, who, expected):
    client = logged_in(world.users[who])
    export = client.get(f"/admin/budgets/settlementrun/{world.run.pk}/export/")
    assert export.status_code == (expected if expected == 200 else export.status_code)
    if expected == 200:
        assert export["Content-Type"].startswith("application/vnd.openxmlformats")
        line = world.run.lines.first()
        assert client.get(f"/admin/budgets/settlementrun/line/{line.pk}/statement/").status_code == 200
    else:
        assert export.status_code in (403, 404)


@pytest.mark.parametrize("who,expected", [("clerk_a", 200), ("city_admin", 200), ("auditor", 200),
                                          ("reviewer", 200), ("approver", 403)])
def test_the_member_csv_export_action(world, who, expected):
    client = logged_in(world.users[who])
    response = client.post("/admin/members/member/", {"action": "export_csv",
                                                       "_selected_action": [m.pk for m in world.members_a]})
    assert response.status_code == expected
