"""Read-only admin for the audit trail and the personal-data access log.

Snapshots of members hold their certno: it is shown masked unless the viewer may see full certnos
(the auditor), like everywhere else in the admin."""
import contextvars
import json
import re

from django.contrib import admin
from .admin_mixins import ReadOnlyAdminMixin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import AccessLog, AuditEvent
from .scope import can_see_full_certno, mask_certno

CERTNO_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_viewer: contextvars.ContextVar = contextvars.ContextVar("audit_admin_viewer", default=None)


class _ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Logs are written by the system only; nobody edits or deletes them."""


def _shown(user, value) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
    if not can_see_full_certno(user):
        text = CERTNO_IN_TEXT.sub(lambda m: mask_certno(m.group(0)), text)
    return format_html("<pre>{}</pre>", text)


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    list_display = ("at", "user", "channel", "action", "model", "object_id")
    list_filter = ("channel", "action", "model")
    search_fields = ("object_id", "user__username")
    date_hierarchy = "at"
    list_select_related = ("user",)
    fields = ("at", "user", "channel", "action", "model", "object_id", "before_shown", "after_shown")
    readonly_fields = fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = _viewer.set(request.user)  # the display methods below get only the object
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        finally:
            _viewer.reset(token)

    @admin.display(description=_("变更前"))
    def before_shown(self, obj):
        return _shown(_viewer.get(), obj.before)

    @admin.display(description=_("变更后"))
    def after_shown(self, obj):
        return _shown(_viewer.get(), obj.after)


@admin.register(AccessLog)
class AccessLogAdmin(_ReadOnlyAdmin):
    list_display = ("at", "user", "action", "what", "count", "path")
    list_filter = ("action", "what")
    search_fields = ("user__username", "path")
    date_hierarchy = "at"
    list_select_related = ("user",)
    readonly_fields = ("at", "user", "action", "what", "object_ids", "count", "path")
