"""Roles as Django groups. The definitions live here; a migration and every later ``migrate`` sync
them (post_migrate), so a permission added by a later migration reaches its role without a new data
migration.

Each role names permissions as "app_label.codename"; a trailing "*" takes every permission of an
app with that prefix ("members.view_*").
"""
from __future__ import annotations

CITY_ADMIN = "市级管理员"
DISTRICT_CLERK = "县区经办员"
CLAIMS_REVIEWER = "结算审核员"
SETTLEMENT_APPROVER = "结算审批员"
AUDITOR = "审计员"

ROLES: dict[str, list[str]] = {
    # Everything (still limited to its StaffScope; a city administrator normally has the whole city).
    CITY_ADMIN: ["*"],
    # Registers members, sign-ups and imports within its districts; reads what it needs for that.
    DISTRICT_CLERK: [
        "policy.view_region", "policy.view_district", "policy.view_parameterset",
        "providers.view_provider",
        "members.view_member", "members.add_member", "members.change_member", "members.view_memberchange",
        "members.view_signup", "members.add_signup",
        "claims.view_claim", "claims.add_claim",
        "imports.*",
        "accounts.view_*",
    ],
    # Works the pending-review queue and reverses claims.
    CLAIMS_REVIEWER: [
        "policy.view_region", "policy.view_district", "policy.view_parameterset",
        "providers.view_provider", "members.view_member", "members.view_signup",
        "claims.view_claim", "claims.reverse_claim", "claims.review_claim",
        "supervision.view_*",
    ],
    # Approves settlement runs (and sees what it approves).
    SETTLEMENT_APPROVER: [
        "policy.view_region", "policy.view_district", "policy.view_parameterset",
        "providers.view_provider", "claims.view_claim",
        "budgets.view_*", "budgets.add_settlementrun", "budgets.approve_settlement",
    ],
    # Read-only everywhere, sees full certno; every view it makes is logged (staff.audit).
    AUDITOR: ["*.view_*", "staff.view_full_certno"],
}


def roles_sync(Group=None, Permission=None) -> None:
    """Create or update the role groups to exactly the permissions defined above."""
    if Group is None or Permission is None:
        from django.contrib.auth.models import Group, Permission

    all_perms = list(Permission.objects.select_related("content_type"))
    for name, patterns in ROLES.items():
        chosen = [p for p in all_perms if any(_matches(pattern, p) for pattern in patterns)]
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(chosen)


def _matches(pattern: str, perm) -> bool:
    if pattern == "*":
        return True
    app_label, _, codename = pattern.partition(".")
    if app_label not in ("*", perm.content_type.app_label):
        return False
    if codename.endswith("*"):
        return perm.codename.startswith(codename[:-1])
    return perm.codename == codename
