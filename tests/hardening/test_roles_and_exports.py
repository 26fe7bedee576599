"""Findings 4, 5 and 6: no role manages users or permissions; approving a run needs scope over every
line; the admin's CSV export neutralises formula-like cells like every other export."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from budgets.models import SettlementLine, SettlementRun
from budgets.services import settlement_run_approve
from staff.roles import CITY_ADMIN, ROLES, role_permissions
from tests.factories import make_member, make_provider, make_staff

pytestmark = pytest.mark.django_db


def test_no_role_holds_a_user_group_permission_or_scope_write():
    for role in ROLES:
        held = role_permissions(role)
        assert not {p for p in held if p.startswith("auth.") and not p.startswith("auth.view_")}, role
        assert not held & {"staff.add_staffscope", "staff.change_staffscope", "staff.delete_staffscope"}, role


def test_a_city_administrator_cannot_make_itself_superuser():
    # given a city administrator (the role, not a superuser)
    admin_user = make_staff(all_regions=True, groups=[CITY_ADMIN])
    client = Client()
    client.force_login(admin_user)
    # when it opens its own user page and posts is_superuser
    page = client.get(f"/admin/auth/user/{admin_user.pk}/change/")
    posted = client.post(f"/admin/auth/user/{admin_user.pk}/change/", {
        "username": admin_user.username, "is_staff": "on", "is_active": "on", "is_superuser": "on"})
    # then the page is read-only (it may see who holds which role), the change is refused, and it is
    # still not a superuser
    assert page.status_code == 200 and 'name="is_superuser"' not in page.content.decode()
    assert posted.status_code == 403
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def _run_with_lines(districts: list[str], *, month: int = 3) -> SettlementRun:
    run = SettlementRun.objects.create(admdvs_id="360100", kind="monthly", period=f"2024-{month:02d}",
                                       period_start=date(2024, month, 1), period_end=date(2024, month, 28), totals={})
    for district in districts:
        provider = make_provider(admdvs="360100", district=district)
        SettlementLine.objects.create(run=run, provider=provider, district_id=district, actual=0)
    return run


def test_a_district_approver_cannot_approve_a_run_with_lines_outside_its_scope(api_client):
    # given a Nanchang run with lines in two districts, and an approver scoped to one of them
    run = _run_with_lines(["360102", "360103"])
    approver = make_staff(admdvs="360100", districts=["360102"], perms=["budgets.approve_settlement"])
    # when it approves (service and API)
    with pytest.raises(PermissionDenied):
        settlement_run_approve(run=run, by=approver)
    api_client.force_authenticate(approver)
    response = api_client.post(f"/api/v1/settlement-runs/{run.pk}/approve/")
    # then 403 and the run is still a draft
    assert response.status_code == 403
    assert SettlementRun.objects.get(pk=run.pk).status == "draft"


def test_an_approver_covering_every_line_or_the_city_may_approve():
    run = _run_with_lines(["360102"])
    both = make_staff(admdvs="360100", districts=["360102", "360103"], perms=["budgets.approve_settlement"])
    assert settlement_run_approve(run=run, by=both).status == "approved"
    other = _run_with_lines([], month=4)
    city = make_staff(admdvs="360100", perms=["budgets.approve_settlement"])
    assert settlement_run_approve(run=other, by=city).status == "approved"


def test_the_admin_csv_export_neutralises_formula_like_names():
    # given members whose names start with = + - @
    for index, name in enumerate(["=HYPERLINK(\"x\")", "+1+1", "-2+3", "@SUM(A1)"]):
        make_member(admdvs="360100", name=name, birth=date(1970, 1, 1 + index))
    client = Client()
    client.force_login(make_staff(all_regions=True, superuser=True))
    from members.models import Member

    # when they are exported with the admin action
    selected = list(Member.objects.values_list("pk", flat=True))
    response = client.post("/admin/members/member/", {"action": "export_csv", "_selected_action": selected})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    # then every such name is written with a leading apostrophe
    for name in ["=HYPERLINK(\"\"x\"\")", "+1+1", "-2+3", "@SUM(A1)"]:
        assert f"'{name}" in text, text
    assert ",=" not in text and "\n=" not in text
