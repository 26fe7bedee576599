"""Admin for supervision: thresholds (versioned), inpatient stays (maintained by staff), and read-only
views of indicators and warnings (warnings are worked on the /supervision/ pages, through the services)."""
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from config import display
from staff.admin_mixins import ReadOnlyAdminMixin, ScopedAdminMixin, masked_certno_column, scoped_region_codes
from staff.scope import scope_for_user
from supervision.models import InpatientStay, ProviderIndicator, SupervisionSettings, Warning, WarningEvent
from supervision.selectors import INDICATOR_LABELS


def _percent(name: str, label: str):
    """A list column of a 0–1 figure shown as a percentage (the one number format)."""
    def column(obj):
        return display.ratio(getattr(obj, name)) if getattr(obj, name) is not None else "—"

    return admin.display(description=label, ordering=name)(column)


@admin.register(SupervisionSettings)
class SupervisionSettingsAdmin(admin.ModelAdmin):
    # Fits 1440 px: the thresholds as percentages under short headers (the form names them in full).
    list_display = ("region", "effective_from", "effective_to",
                    _percent("growth_threshold", "增长预警线"), _percent("peer_percentile", "同级分位数"),
                    "min_peers", "max_visits_per_day", _percent("self_paid_share_max", "自费比例"),
                    _percent("exam_share_max", "检查占比"), _percent("out_of_catalogue_share_max", "目录外占比"))
    list_filter = ("region",)
    readonly_fields = ("created_at", "created_by")

    def get_queryset(self, request):
        regions = scoped_region_codes(request)
        queryset = super().get_queryset(request)
        return queryset if regions is None else queryset.filter(region_id__in=regions)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InpatientStay)
class InpatientStayAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_region_field = "member__admdvs"
    scope_district_field = "member__district"
    list_display = ("member", "admitted_on", "discharged_on", "hospital", "note")
    raw_id_fields = ("member", "hospital")
    readonly_fields = ("created_at", "created_by")
    date_hierarchy = "admitted_on"

    def get_list_display(self, request):
        return ("member", masked_certno_column(request, path="member__certno"), "admitted_on", "discharged_on",
                "hospital", "note")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        scope = scope_for_user(request.user)

        class ScopedStayForm(form_class):
            def clean_member(self):
                member = self.cleaned_data["member"]
                if member and not scope.covers(admdvs=member.admdvs_id, district=member.district_id):
                    raise ValidationError("该参保人不在您的数据范围内")
                return member

        return ScopedStayForm

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)



@admin.register(ProviderIndicator)
class ProviderIndicatorAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    # Fits 1440 px: the level is a filter, the year-on-year growth is on the provider's indicator page.
    list_display = ("period", "provider", "visits", "members", "avg_cost_shown", "fund_per_member_shown",
                    _percent("self_paid_share", "自费比例"), _percent("exam_share", "检查费用占比"),
                    _percent("out_of_catalogue_share", "目录外项目占比"), _percent("growth_mom", "费用环比增长"))
    list_filter = ("period", "level")
    list_select_related = ("provider",)
    search_fields = ("provider__fixmedins_code",)

    @admin.display(description="次均费用", ordering="avg_cost")
    def avg_cost_shown(self, obj):
        return display.money(obj.avg_cost)

    @admin.display(description="人均基金支付", ordering="fund_per_member")
    def fund_per_member_shown(self, obj):
        return display.money(obj.fund_per_member)


class WarningEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WarningEvent
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor", "owner", "note")
    readonly_fields = fields


@admin.register(Warning)
class WarningAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("period", "provider", "kind", "indicator_shown", "subject", "status", "owner", "page")
    list_filter = ("status", "kind", "period")
    list_select_related = ("provider", "owner")
    search_fields = ("provider__fixmedins_code", "subject")
    inlines = [WarningEventInline]
    exclude = ("member", "indicator", "figures")
    readonly_fields = ("indicator_shown", "figures_table")

    def changelist_view(self, request, extra_context=None):
        # One warnings list: the supervision pages' (filters, export, the way to work a warning).
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect

        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return redirect("supervision:warnings")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        warning = self.get_object(request, object_id)
        if warning is not None:  # its __str__ names the indicator by its code
            title = " ".join(part for part in (warning.get_kind_display(), self.indicator_shown(warning).strip("—"),
                                               warning.subject, f"{warning.period:%Y-%m}") if part)
            extra_context.update(subtitle=title, original=display.Titled(warning, title))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="指标", ordering="indicator")
    def indicator_shown(self, obj):
        return INDICATOR_LABELS.get(obj.indicator, obj.indicator) or "—"

    @admin.display(description="依据数据")
    def figures_table(self, obj):
        from staff.templatetags.staff_display import evidence_table

        return evidence_table(obj.figures)

    @admin.display(description="处理页面")
    def page(self, obj):
        return format_html('<a href="{}">处理</a>', reverse("supervision:warning", args=[obj.pk]))
