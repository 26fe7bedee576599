"""Admin for the policy reference data: regions, districts and versioned parameter sets.

Parameter sets are what every claim is computed with, so: visible to staff with the view permission,
editable only with ``policy.change_parameterset``, validated by ``ParameterSet.clean`` (which names
the parameter key), and frozen once any claim used them (end-date the set and add a new one): the
rule is ``policy.services.parameter_set_update``'s; the admin only shows a frozen set read-only.
"""
from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from staff.admin_mixins import scoped_region_codes

from .models import District, ParameterSet, Region
from .selectors import parameter_set_used_by_claims
from .services import parameter_set_update, parameter_set_update_check

admin.site.site_header = _("医保经办管理系统")
admin.site.site_title = _("医保经办管理系统")
admin.site.index_title = _("经办业务")
# No sidebar of every app beside each page: the lists need the width (1440 px shows every column);
# the index and the breadcrumbs lead to the other pages.
admin.site.enable_nav_sidebar = False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("admdvs", "name", "insutype", "has_signup")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("code", "name")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PrettyJSONField(forms.JSONField):
    """JSON shown indented with Chinese kept readable, so staff can edit one value at a time."""

    def prepare_value(self, value):
        if isinstance(value, str):
            return value  # what the user typed, on a redisplay after an error
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)


class ParameterSetForm(forms.ModelForm):
    values = PrettyJSONField(
        label=_("参数"),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 90, "style": "font-family: monospace"}),
        help_text=_("JSON 对象：金额、比例写成字符串（如 \"0.55\"、\"1500.00\"），未知的参数写 null"))

    class Meta:
        model = ParameterSet
        fields = ("region", "effective_from", "effective_to", "values", "note")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # The service's refusal shown next to the field; the instance is still the stored row here
            # (the form's values are copied onto it only after clean()).
            parameter_set_update_check(parameter_set=self.instance, changes=submitted_changes(cleaned))
        return cleaned


def submitted_changes(cleaned_data: dict) -> dict:
    """The form's fields as the service's keyword arguments (a frozen set's form has only its end date)."""
    changes = {name: cleaned_data[name] for name in ParameterSetForm.Meta.fields if name in cleaned_data}
    if changes.get("region") is not None:
        changes["region"] = changes["region"].pk
    return changes


@admin.register(ParameterSet)
class ParameterSetAdmin(admin.ModelAdmin):
    form = ParameterSetForm
    list_display = ("region", "effective_from", "effective_to", "note", "used_by_claims", "updated_at", "created_by")
    list_filter = ("region",)
    list_select_related = ("region", "created_by")
    readonly_fields = ("created_at", "updated_at", "created_by")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        regions = scoped_region_codes(request)
        return queryset if regions is None else queryset.filter(region_id__in=regions)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("对象不存在或不在您的数据范围内"))
        return obj

    @admin.display(description=_("已被结算使用"), boolean=True)
    def used_by_claims(self, obj) -> bool:
        return self._used(obj)

    @staticmethod
    def _used(obj) -> bool:
        if obj is None or obj.pk is None:
            return False
        cached = getattr(obj, "_used_by_claims", None)
        if cached is None:
            cached = obj._used_by_claims = parameter_set_used_by_claims(parameter_set=obj)
        return cached

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and obj is not None and not self._used(obj)

    def get_fields(self, request, obj=None):
        if obj is not None and (self._used(obj) or not self.has_change_permission(request, obj)):
            return ("region", "effective_from", "effective_to", "pretty_values", "note") + self.readonly_fields
        return ("region", "effective_from", "effective_to", "values", "note") + self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self._used(obj):
            # A set a claim already used is history (the claim records the version it used): the
            # only edit left is ending it, so that a new version can take over.
            return ("region", "effective_from", "values", "pretty_values", "note") + self.readonly_fields
        return self.readonly_fields

    @admin.display(description=_("参数"))
    def pretty_values(self, obj):
        from django.utils.html import format_html

        return format_html("<pre>{}</pre>", json.dumps(obj.values, indent=2, ensure_ascii=False))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            regions = scoped_region_codes(request)
            if regions is not None:
                kwargs["queryset"] = Region.objects.filter(admdvs__in=regions)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            return
        parameter_set_update(parameter_set=obj, **submitted_changes(form.cleaned_data), by=request.user)
        obj.refresh_from_db()  # the admin's history and message read the saved row

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and self._used(obj):
            from django.contrib import messages

            messages.info(request, _("该参数版本已被结算使用，参数不能修改：如需调整，请填写失效日期并新增一个版本。"))
        return super().change_view(request, object_id, form_url, extra_context)
