"""Read-only admin for the audit trail and the personal-data access log.

Snapshots of members hold their certno: it is shown masked unless the viewer may see full certnos
(the auditor), like everywhere else in the admin."""
import contextvars
import re

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config import display
from config.labels import AUDIT_ACTION_LABELS, AUDIT_CHANNEL_LABELS

from .admin_mixins import ReadOnlyAdminMixin

from .models import AccessLog, AuditEvent
from .scope import can_see_full_certno, mask_certno

CERTNO_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_viewer: contextvars.ContextVar = contextvars.ContextVar("audit_admin_viewer", default=None)


class _ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Logs are written by the system only; nobody edits or deletes them."""


def _masked(user, value):
    """The snapshot with every certno in it masked, unless the viewer may see full certnos."""
    if can_see_full_certno(user):
        return value
    if isinstance(value, str):
        return CERTNO_IN_TEXT.sub(lambda m: mask_certno(m.group(0)), value)
    if isinstance(value, dict):
        return {k: _masked(user, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(user, v) for v in value]
    return value


def model_label(label: str) -> str:
    """"budgets.SettlementRun" → its verbose name 结算批次."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def field_label(model: str, name: str) -> str:
    """A snapshot key by the model field's verbose name (foreign keys are stored as <name>_id)."""
    try:
        field = apps.get_model(model)._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        return str(field.verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return display.key_label(name)


def labelled_filter(field: str, title, label):
    """A list filter on a free-text code column that offers the codes by their labels."""

    class LabelledFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            codes = model_admin.get_queryset(request).order_by().values_list(field, flat=True).distinct()
            return sorted((code, label(code)) for code in codes)

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    LabelledFilter.title = title
    return LabelledFilter


def _shown(user, obj, value: dict):
    value = _masked(user, value or {})
    if not value:
        return "—"
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>",
                            ((field_label(obj.model, key), display.value_shown(key, item))
                             for key, item in sorted(value.items())))
    return format_html('<table class="data-table">{}</table>', rows)


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    list_display = ("at", "user", "channel_shown", "action_shown", "model_shown", "object_id")
    list_filter = (labelled_filter("channel", _("渠道"), lambda c: AUDIT_CHANNEL_LABELS.get(c, c)),
                   labelled_filter("action", _("操作"), lambda c: AUDIT_ACTION_LABELS.get(c, c)),
                   labelled_filter("model", _("对象类型"), model_label))
    search_fields = ("object_id", "user__username")
    date_hierarchy = "at"
    list_select_related = ("user",)
    fields = ("at", "user", "channel_shown", "action_shown", "model_shown", "object_id", "before_shown",
              "after_shown")
    readonly_fields = fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = _viewer.set(request.user)  # the display methods below get only the object
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        finally:
            _viewer.reset(token)

    @admin.display(description=_("变更前"))
    def before_shown(self, obj):
        return _shown(_viewer.get(), obj, obj.before)

    @admin.display(description=_("变更后"))
    def after_shown(self, obj):
        return _shown(_viewer.get(), obj, obj.after)

    @admin.display(description=_("渠道"), ordering="channel")
    def channel_shown(self, obj):
        return AUDIT_CHANNEL_LABELS.get(obj.channel, obj.channel)

    @admin.display(description=_("操作"), ordering="action")
    def action_shown(self, obj):
        return AUDIT_ACTION_LABELS.get(obj.action, obj.action)

    @admin.display(description=_("对象类型"), ordering="model")
    def model_shown(self, obj):
        return model_label(obj.model)


@admin.register(AccessLog)
class AccessLogAdmin(_ReadOnlyAdmin):
    list_display = ("at", "user", "action_shown", "what_shown", "count", "path")
    list_filter = (labelled_filter("action", _("操作"), lambda c: AUDIT_ACTION_LABELS.get(c, c)),
                   labelled_filter("what", _("数据"), model_label))
    search_fields = ("user__username", "path")
    date_hierarchy = "at"
    list_select_related = ("user",)
    fields = ("at", "user", "action_shown", "what_shown", "object_ids_shown", "count", "path")
    readonly_fields = fields

    @admin.display(description=_("操作"), ordering="action")
    def action_shown(self, obj):
        return AUDIT_ACTION_LABELS.get(obj.action, obj.action)

    @admin.display(description=_("数据"), ordering="what")
    def what_shown(self, obj):
        return model_label(obj.what)

    @admin.display(description=_("对象"))
    def object_ids_shown(self, obj):
        return "、".join(str(i) for i in obj.object_ids or []) or "—"
