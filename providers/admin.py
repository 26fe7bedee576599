"""Admin for designated providers 定点医疗机构: scoped by district, written through the providers service."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from imports.admin_mixins import ExportFilteredMixin
from imports.resources import ProviderResource
from staff.admin_mixins import (ScopedAdminMixin, ScopedDistrictFilter, ScopedRegionFilter,
                                ServiceFormAdminMixin, scoped_regions_and_districts, plain)

from .models import Provider

FIELDS = ("fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind", "parent", "status",
          "status_changed_on", "latitude", "longitude")
CREATE_FIELDS = tuple(f for f in FIELDS if f != "status_changed_on")


def _service_data(data: dict, names) -> dict:
    """Form values as the service takes them: codes for related rows, ``parent`` as ``parent_code``."""
    values = {k: plain(data[k]) for k in names if k in data and k != "parent"}
    if "parent" in names and "parent" in data:
        # The parent is referred to by its code (the FK's to_field), not by its id.
        values["parent_code"] = data["parent"].fixmedins_code if data["parent"] else None
    return values


def provider_write(*, provider: Provider | None, data: dict, changed: list[str], user) -> Provider:
    """The one place the admin writes a provider: the providers service."""
    from providers import services

    if provider is None:
        return services.provider_create(**_service_data(data, CREATE_FIELDS), by=user)
    return services.provider_update(provider=provider, data=_service_data(data, changed), by=user)


@admin.register(Provider)
class ProviderAdmin(ExportFilteredMixin, ScopedAdminMixin, ServiceFormAdminMixin, admin.ModelAdmin):
    export_resource_class = ProviderResource
    list_display = ("fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind", "parent",
                    "status")
    list_filter = (("admdvs", ScopedRegionFilter), ("district", ScopedDistrictFilter), "dedc_hosp_lv", "kind",
                   "status")
    list_select_related = ("admdvs", "district", "parent")
    ordering = ("-id",)
    search_fields = ("fixmedins_code", "fixmedins_name")
    search_help_text = _("机构编码开头或名称中的字")
    autocomplete_fields = ("parent",)
    service_field_map = {"parent_code": "parent"}

    def get_fields(self, request, obj=None):
        return FIELDS + ("assessment_and_renewal",) if obj is not None else CREATE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        # The code is the provider's identity in claims and sign-ups; the region never changes.
        return ("fixmedins_code", "admdvs", "assessment_and_renewal") if obj is not None else ()

    @admin.display(description=_("考核与续约"))
    def assessment_and_renewal(self, obj):
        """Assessments and deductions are budgets' (RULES.md "Assessment and deductions"); shown here
        so a failed assessment is seen where the agreement is managed."""
        from budgets.selectors import provider_assessment_record

        record = provider_assessment_record(provider=obj)
        rows = format_html_join("", "<li>{} 年：{} 分，{}（{}，{}）</li>", (
            (a.year, a.score, _("合格") if a.passed else _("不合格"), a.document_no, a.get_status_display())
            for a in record["assessments"]))
        flag = format_html('<p class="errornote">{}</p>', _("最近一次考核不合格：续签协议前须复核（河源 第十四条）")) \
            if record["renewal_flag"] else ""
        return format_html("{}<ul>{}</ul><p>{} {}</p>", flag, rows or _("无考核记录"), _("待扣款余额："),
                           record["deductions_outstanding"])

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if not term:
            return queryset, False
        # Provider tables hold thousands of rows, not millions: a name substring is affordable.
        return queryset.filter(Q(fixmedins_code__startswith=term.upper()) | Q(fixmedins_code__startswith=term)
                               | Q(fixmedins_name__contains=term)), False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        regions, districts = scoped_regions_and_districts(request)
        if db_field.name == "admdvs":
            kwargs["queryset"] = regions
        elif db_field.name == "district":
            kwargs["queryset"] = districts
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_save(self, request, obj, data, changed, *, adding):
        if adding:
            return provider_write(provider=None, data=data, changed=changed, user=request.user)
        stored = Provider.objects.get(pk=obj.pk)
        return provider_write(provider=stored, data=data, changed=changed, user=request.user)
