"""Read-only admin for the audit trail and the personal-data access log."""
from django.contrib import admin


from .models import AccessLog, AuditEvent


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    list_display = ("at", "user", "channel", "action", "model", "object_id")
    list_filter = ("channel", "action", "model")
    search_fields = ("object_id", "user__username")
    date_hierarchy = "at"
    readonly_fields = ("at", "user", "channel", "action", "model", "object_id", "before", "after")


@admin.register(AccessLog)
class AccessLogAdmin(_ReadOnlyAdmin):
    list_display = ("at", "user", "action", "what", "count", "path")
    list_filter = ("action", "what")
    search_fields = ("user__username", "path")
    date_hierarchy = "at"
    readonly_fields = ("at", "user", "action", "what", "object_ids", "count", "path")
