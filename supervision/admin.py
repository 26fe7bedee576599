"""Admin for supervision: thresholds (versioned), inpatient stays (maintained by staff), and read-only
views of indicators and warnings (warnings are worked on the /supervision/ pages, through the services)."""
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from staff.admin_mixins import ReadOnlyAdminMixin, ScopedAdminMixin, masked_certno_column, scoped_region_codes
from staff.scope import scope_for_user
from supervision.models import InpatientStay, ProviderIndicator, SupervisionSettings, Warning, WarningEvent


@admin.register(SupervisionSettings)
class SupervisionSettingsAdmin(admin.ModelAdmin):
    list_display = ("region", "effective_from", "effective_to", "growth_threshold", "peer_percentile", "min_peers",
                    "max_visits_per_day", "self_paid_share_max", "exam_share_max", "out_of_catalogue_share_max")
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
    list_display = ("period", "provider", "level", "visits", "members", "avg_cost", "fund_per_member",
                    "self_paid_share", "exam_share", "out_of_catalogue_share", "growth_mom", "growth_yoy")
    list_filter = ("period", "level")
    list_select_related = ("provider",)
    search_fields = ("provider__fixmedins_code",)


class WarningEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WarningEvent
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor", "owner", "note")
    readonly_fields = fields


@admin.register(Warning)
class WarningAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("period", "provider", "kind", "indicator", "subject", "status", "owner", "page")
    list_filter = ("status", "kind", "period")
    list_select_related = ("provider", "owner")
    search_fields = ("provider__fixmedins_code", "subject")
    inlines = [WarningEventInline]
    exclude = ("member",)

    @admin.display(description="处理页面")
    def page(self, obj):
        return format_html('<a href="{}">处理</a>', reverse("supervision:warning", args=[obj.pk]))
