"""Admin for the policy reference data: regions, districts and versioned parameter sets.

Parameter sets are what every claim is computed with, so: visible to staff with the view permission,
editable only with ``policy.change_parameterset``, validated by ``ParameterSet.clean`` (which names
the parameter key), and frozen once any claim used them (end-date the set and add a new one): the
rule is ``policy.services.parameter_set_update``'s; the admin only shows a frozen set read-only.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from staff.admin_mixins import scoped_region_codes

from .admin_parameters import parameter_fields, parameter_table, parameter_values
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


class InternalJSONField(forms.JSONField):
    """The parameter object travels in no input of the page: the labelled fields make it (clean)."""

    def prepare_value(self, value):
        return ""


class ParameterSetForm(forms.ModelForm):
    """Dates and note as fields of the model, the parameters as one labelled field each
    (policy/admin_parameters.py); a subclass per region declares them (``form_for_region``)."""

    values = InternalJSONField(label=_("参数"), required=False, widget=forms.HiddenInput)
    region_code: str | None = None

    class Meta:
        model = ParameterSet
        fields = ("region", "effective_from", "effective_to", "values", "note")

    def clean(self):
        cleaned = super().clean()
        region = cleaned.get("region")
        code = self.region_code
        if code is None or (region is not None and region.pk != code):
            # the region was chosen (or changed) on this submit: its parameters are asked for next
            raise forms.ValidationError(_("请先选择统筹区，页面将显示该统筹区的参数"))
        values, errors = parameter_values(code, cleaned, self.instance.values if self.instance.pk else None)
        for field, message in errors.items():
            if field not in self.errors:  # a field's own check (e.g. at most 100 %) already speaks for it
                self.add_error(field, message)
        cleaned["values"] = values
        if self.instance.pk is not None and not errors:
            # The service's refusal shown next to the field; the instance is still the stored row here
            # (the form's values are copied onto it only after clean()).
            parameter_set_update_check(parameter_set=self.instance, changes=submitted_changes(cleaned))
        return cleaned


class FrozenParameterSetForm(forms.ModelForm):
    """A set claims used (or a viewer without the change permission): only its end date may change."""

    class Meta:
        model = ParameterSet
        fields = ("region", "effective_from", "effective_to", "note")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            parameter_set_update_check(parameter_set=self.instance, changes=submitted_changes(cleaned))
        return cleaned


def form_for_region(code: str | None, values: dict | None):
    """The form of one region's parameter set: its parameters as declared fields (initial: ``values``)."""
    if code is None:
        return ParameterSetForm
    return type(f"ParameterSetForm{code}", (ParameterSetForm,),
                {"region_code": code, **parameter_fields(code, values)})


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

    def region_code(self, request, obj=None) -> str | None:
        """The region whose parameters the form asks for: the set's, else the one chosen (?region=),
        else the only region of the user's scope."""
        if obj is not None:
            return obj.region_id
        chosen = request.POST.get("region") or request.GET.get("region")
        regions = scoped_region_codes(request)
        if chosen and Region.objects.filter(pk=chosen).exists() and (regions is None or chosen in regions):
            return chosen
        if regions is not None and len(regions) == 1:
            return next(iter(regions))
        return None

    def _frozen(self, request, obj) -> bool:
        return obj is not None and (self._used(obj) or not self.has_change_permission(request, obj))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self._frozen(request, obj):
            base = FrozenParameterSetForm
        else:
            base = form_for_region(self.region_code(request, obj), obj.values if obj is not None else None)
        return super().get_form(request, obj, change, **{**kwargs, "form": base})

    def get_fieldsets(self, request, obj=None):
        frozen = self._frozen(request, obj)
        head = ("region", "effective_from", "effective_to", "note")
        tail = (_("记录"), {"fields": self.readonly_fields})
        if frozen:
            return [(None, {"fields": head}), (_("参数"), {"fields": ("parameters_table",)}), tail]
        code = self.region_code(request, obj)
        if code is None:
            return [(None, {"fields": head + ("values",), "description": self._region_choice(request)}), tail]
        return [(None, {"fields": head + ("values",)}),
                (_("参数"), {"fields": tuple(parameter_fields(code, obj.values if obj is not None else None)),
                           "description": _("金额以元为单位，比例以百分比填写（如 55 表示 55%）。")}), tail]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and self._used(obj):
            # A set a claim already used is history (the claim records the version it used): the
            # only edit left is ending it, so that a new version can take over.
            return ("region", "effective_from", "note", "parameters_table") + self.readonly_fields
        if obj is not None and not self.has_change_permission(request, obj):
            return ("parameters_table",) + self.readonly_fields
        return self.readonly_fields

    @staticmethod
    def _region_choice(request):
        from django.utils.html import format_html, format_html_join

        regions = scoped_region_codes(request)
        choices = Region.objects.all() if regions is None else Region.objects.filter(admdvs__in=regions)
        links = format_html_join(" | ", '<a href="?region={}">{}</a>', ((r.admdvs, r.name) for r in choices))
        return format_html("先选择统筹区，页面随即显示该统筹区的各项参数：{}", links)

    @admin.display(description=_("参数"))
    def parameters_table(self, obj):
        return parameter_table(obj.region_id, obj.values)

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
