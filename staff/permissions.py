from rest_framework.permissions import SAFE_METHODS, BasePermission

# API writes and the permission each needs (by URL name), for users holding a role (staff.roles).
# The same permissions gate the admin, so a role may do through the API exactly what it may do in
# the admin: an auditor writes nothing, a claims reviewer reverses but does not post claims, etc.
# Staff accounts without any role (clinic system accounts the agency marks as staff) keep the
# contract's rule: staff users, limited by their district scope.
WRITE_PERMISSIONS = {
    "provider-list": "providers.add_provider",
    "provider-detail": "providers.change_provider",
    "member-list": "members.add_member",
    "member-detail": "members.change_member",
    "signup-list": "members.add_signup",
    "claim-list": "claims.add_claim",
    "claim-reverse": "claims.reverse_claim",
    "settlement-run-list": "budgets.add_settlementrun",
    "settlement-run-approve": "budgets.approve_settlement",
    "member-relatives": "accounts.add_relative",
}


def holds_role(user) -> bool:
    cached = getattr(user, "_holds_role", None)
    if cached is None:
        from staff.roles import ROLES

        cached = user.groups.filter(name__in=list(ROLES)).exists()
        user._holds_role = cached
    return cached


class IsStaffUser(BasePermission):
    """The API is for agency staff and clinic system accounts that the agency marked as staff."""

    message = "需要经办机构工作人员账号"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        if request.method in SAFE_METHODS or user.is_superuser:
            return True
        match = getattr(request, "resolver_match", None) or getattr(request._request, "resolver_match", None)
        needed = WRITE_PERMISSIONS.get(match.url_name if match is not None else None)
        if needed is None or not holds_role(user):
            return True
        if not user.has_perm(needed):
            self.message = f"您的角色没有此操作的权限 (your role may not do this: {needed})"
            return False
        return True
