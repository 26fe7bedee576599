"""Admin for designated providers 定点医疗机构: scoped by district, written through the providers service."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from policy.rules import REGIONS

from imports.admin_mixins import ExportFilteredMixin
from imports.resources import ProviderResource
from staff.admin_mixins import (ScopedAdminMixin, ScopedDistrictFilter, ScopedRegionFilter,
                                ServiceFormAdminMixin, scoped_regions_and_districts, plain)
from staff.scope import scope_for_user

from .models import Provider
from .selectors import providers_in_scope

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


class ProviderForm(forms.ModelForm):
    """Region and district as codes: an out-of-area provider 异地定点机构 has a city code and a district
    that are not rows of ours (RULES.md "Out-of-area care"); the providers service checks both."""

    admdvs = forms.CharField(label=_("统筹区"), min_length=6, max_length=6,
                             help_text=_("本系统五个统筹区之一，或异地定点机构所在地市的6位代码（如 440100）"))
    district = forms.CharField(label=_("县区"), min_length=6, max_length=6,
                               help_text=_("异地定点机构：与所在地市代码前四位相同"))

    class Meta:
        model = Provider
        exclude = ["admdvs", "district"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["district"].initial = self.instance.district_id

    def _post_clean(self):
        # The codes onto the instance before the model's own checks (the village centre's region).
        for name in ("admdvs", "district"):
            if self.cleaned_data.get(name):
                setattr(self.instance, f"{name}_id", self.cleaned_data[name])
        super()._post_clean()


class OutOfAreaFilter(admin.SimpleListFilter):
    title = _("异地定点机构")
    parameter_name = "out_of_area"

    def lookups(self, request, model_admin):
        return [("yes", _("是")), ("no", _("否"))]

    def queryset(self, request, queryset):
        ours = Q(admdvs_id__in=sorted(REGIONS))
        return {"yes": queryset.exclude(ours), "no": queryset.filter(ours)}.get(self.value(), queryset)


@admin.register(Provider)
class ProviderAdmin(ExportFilteredMixin, ScopedAdminMixin, ServiceFormAdminMixin, admin.ModelAdmin):
    form = ProviderForm
    export_resource_class = ProviderResource
    list_display = ("fixmedins_code", "fixmedins_name", "region_code", "district_code", "dedc_hosp_lv", "kind",
                    "parent", "status")
    list_filter = (("admdvs", ScopedRegionFilter), ("district", ScopedDistrictFilter), OutOfAreaFilter,
                   "dedc_hosp_lv", "kind", "status")
    # Not admdvs/district: an out-of-area provider has no such rows (an inner join would hide it).
    list_select_related = ("parent",)
    ordering = ("-id",)
    search_fields = ("fixmedins_code", "fixmedins_name")
    search_help_text = _("机构编码开头或名称中的字")
    autocomplete_fields = ("parent",)
    service_field_map = {"parent_code": "parent"}

    @admin.display(description=_("统筹区"), ordering="admdvs")
    def region_code(self, obj):
        module = REGIONS.get(obj.admdvs_id)
        return f"{module.NAME} ({obj.admdvs_id})" if module else f"{obj.admdvs_id}（异地）"

    @admin.display(description=_("县区"), ordering="district")
    def district_code(self, obj):
        return obj.district_id

    def get_queryset(self, request):
        # Out-of-area providers: seen by city-wide staff and by those whose members use them.
        queryset = super(ScopedAdminMixin, self).get_queryset(request)
        return providers_in_scope(queryset, scope=scope_for_user(request.user))

    def get_fields(self, request, obj=None):
        if obj is None:
            return CREATE_FIELDS
        return tuple("region_code" if name == "admdvs" else name for name in FIELDS)

    def get_readonly_fields(self, request, obj=None):
        # The code is the provider's identity in claims and sign-ups; the region never changes.
        return ("fixmedins_code", "region_code") if obj is not None else ()

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
        # Codes are typed, not chosen from the scoped lists: a place outside the user's scope (an
        # out-of-area provider included, unless city-wide) is refused on the field.
        admdvs = data.get("admdvs") if adding else obj.admdvs_id
        district = data.get("district", obj.district_id if not adding else None)
        if not scope_for_user(request.user).covers(admdvs=admdvs, district=district):
            from django.core.exceptions import ValidationError
            raise ValidationError({"district": [_("县区 %(d)s 不在您的数据范围内") % {"d": district}]})
        if adding:
            return provider_write(provider=None, data=data, changed=changed, user=request.user)
        stored = Provider.objects.get(pk=obj.pk)
        return provider_write(provider=stored, data=data, changed=changed, user=request.user)
