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

DASHBOARD = "dashboards.view_dashboard"
READ_POLICY = ["policy.view_region", "policy.view_district", "policy.view_parameterset"]

ROLES: dict[str, list[str]] = {
    # Everything (still limited to its StaffScope; a city administrator normally has the whole city).
    # Full certnos are the auditor's alone (any role without staff.view_full_certno sees them masked).
    # No role manages users, groups, permissions or data scopes (auth.*, staff.*_staffscope): whoever
    # may change a user may make themselves superuser, give their group every permission or widen
    # their own scope, so that stays the superuser's. Reading them stays (who holds which role).
    CITY_ADMIN: ["*", "-staff.view_full_certno",
                 *(f"-{model}" for verb in ("add", "change", "delete")
                   for model in (f"auth.{verb}_*", f"staff.{verb}_staffscope"))],
    # Registers members, sign-ups and imports within its districts (imports.admin lets a user import
    # a kind when it may add that kind: members.add_member, members.add_signup, claims.add_claim for
    # clinic claim files); posts claims for its districts; reads what it needs for that.
    DISTRICT_CLERK: READ_POLICY + [
        DASHBOARD,
        "providers.view_provider",
        "members.view_member", "members.add_member", "members.change_member", "members.view_memberchange",
        "members.view_signup", "members.add_signup",
        "claims.view_claim", "claims.add_claim", "claims.view_claimitem", "claims.view_accumulator",
        "imports.view_importjob", "imports.add_importjob",
        "accounts.view_account", "accounts.view_accountentry", "accounts.view_relative",
    ],
    # Works the pending-review queue and reverses claims (claims.reverse_claim / claims.review_claim,
    # defined in claims.models.Claim.Meta.permissions); reads supervision warnings about claims.
    CLAIMS_REVIEWER: READ_POLICY + [
        DASHBOARD,
        "providers.view_provider", "members.view_member", "members.view_signup",
        "claims.view_claim", "claims.view_claimitem", "claims.view_accumulator",
        "claims.reverse_claim", "claims.review_claim",
        "supervision.view_*",
    ],
    # Computes and approves settlement runs (budgets.approve_settlement, defined in
    # budgets.models.SettlementRun.Meta.permissions) and sees what it approves.
    SETTLEMENT_APPROVER: READ_POLICY + [
        DASHBOARD,
        "providers.view_provider", "claims.view_claim",
        "budgets.view_*", "budgets.add_settlementrun", "budgets.approve_settlement",
    ],
    # Read-only everywhere, sees full certno; every view it makes is logged (staff.middleware).
    AUDITOR: ["*.view_*", "staff.view_full_certno"],
}

def roles_sync(Group=None, Permission=None) -> None:
    """Create or update the role groups to exactly the permissions defined above."""
    if Group is None or Permission is None:
        from django.contrib.auth.models import Group, Permission

    all_perms = list(Permission.objects.select_related("content_type"))
    missing = roles_unknown_permissions(all_perms)
    if missing and _all_apps_migrated(all_perms):
        import logging

        logging.getLogger(__name__).warning("roles name permissions no app defines: %s", missing)
    for name, patterns in ROLES.items():
        chosen = [p for p in all_perms if _granted(patterns, p)]
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(chosen)


def _granted(patterns: list[str], perm) -> bool:
    """Granted by some pattern and not taken away by a "-app.codename" pattern."""
    return (any(_matches(p, perm) for p in patterns if not p.startswith("-"))
            and not any(_matches(p[1:], perm) for p in patterns if p.startswith("-")))


def _matches(pattern: str, perm) -> bool:
    if pattern == "*":
        return True
    app_label, _, codename = pattern.partition(".")
    if app_label not in ("*", perm.content_type.app_label):
        return False
    if codename.endswith("*"):
        return perm.codename.startswith(codename[:-1])
    return perm.codename == codename


def roles_unknown_permissions(all_perms=None) -> list[str]:
    """Exact codenames named by a role that no installed app defines (tests assert there are none)."""
    if all_perms is None:
        from django.contrib.auth.models import Permission

        all_perms = list(Permission.objects.select_related("content_type"))
    return [pattern for patterns in ROLES.values() for pattern in patterns
            if "*" not in pattern and not any(_matches(pattern.lstrip("-"), p) for p in all_perms)]


def _all_apps_migrated(all_perms) -> bool:
    """Only complain about unknown codenames once every installed app's permissions exist."""
    from django.apps import apps

    labels = {p.content_type.app_label for p in all_perms}
    return all(config.label in labels for config in apps.get_app_configs() if config.models_module is not None
               and any(m._meta.managed or m._meta.permissions for m in config.get_models()))


def role_permissions(name: str) -> set[str]:
    """The "app_label.codename" permissions a role holds once synced (for tests and docs)."""
    from django.contrib.auth.models import Permission

    return {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
            if _granted(ROLES[name], p)}
