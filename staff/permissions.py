from rest_framework.permissions import BasePermission


class IsStaffUser(BasePermission):
    """The API is for agency staff and clinic system accounts that the agency marked as staff."""

    message = "需要经办机构工作人员账号"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)
