"""Admin for out-of-area registrations 异地就医备案: a list with filters, a view, and two forms that go
through the writer (members/registrations.py): register (the API's request) and cancel 取消备案.

Registrations are history: never changed or deleted by hand. "Add" is not a model form: the request
(member, kind, destination, dates) is handed to ``registration_create`` so every refusal of RULES.md
appears on the form with its message and nothing is written; "cancel" is an action on a selected
registration with a cancellation day. The member's page shows them (``RegistrationHistoryInline``).
"""
from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from config.errors import Conflict
from staff.admin_mixins import (ScopedAdminMixin, ScopedRegionFilter, add_service_errors, export_certno,
                                masked_certno_column, scoped_regions_and_districts)
from staff.scope import certno_for

from .models import Member, OutOfAreaRegistration
from .selectors import member_search


class InForceFilter(admin.SimpleListFilter):
    title = _("今日是否有效")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("有效")), ("no", _("已结束或未开始")), ("cancelled", _("已取消"))]

    def queryset(self, request, queryset):
        today = date.today()
        in_force = queryset.filter(start_on__lte=today).exclude(end_on__lt=today)
        if self.value() == "yes":
            return in_force
        if self.value() == "no":
            return queryset.exclude(pk__in=in_force.values("pk"))
        if self.value() == "cancelled":
            return queryset.filter(cancelled_on__isnull=False)
        return queryset


class DestinationFilter(admin.SimpleListFilter):
    """就医地 by its code (a text box: any city of the country may be a destination)."""

    title = _("就医地统筹区")
    parameter_name = "dest_admdvs"
    template = "claims/admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]

    def queryset(self, request, queryset):
        code = (self.value() or "").strip()
        return queryset.filter(dest_admdvs=code) if code else queryset


class RegistrationRequestForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Member.objects.none(), required=False, widget=forms.HiddenInput)
    admdvs = forms.ModelChoiceField(queryset=None, required=False, label=_("参保地统筹区"))
    certno = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    kind = forms.ChoiceField(label=_("备案类别"), choices=OutOfAreaRegistration.Kind.choices)
    dest_admdvs = forms.CharField(label=_("就医地统筹区"), min_length=6, max_length=6,
                                  help_text=_("就医地地市级行政区划代码，如 440100"))
    start_on = forms.DateField(label=_("开始日期"), initial=date.today, widget=AdminDateWidget)
    end_on = forms.DateField(label=_("结束日期"), required=False, widget=AdminDateWidget,
                             help_text=_("临时外出就医必填；长期备案可空"))

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        regions, _districts = scoped_regions_and_districts(request)
        self.fields["admdvs"].queryset = regions
        # Nobody registers a member they cannot see: the members admin's scoped queryset.
        self.member_queryset = admin_site._registry[Member].get_queryset(request)
        self.fields["member"].queryset = self.member_queryset

    def clean(self):
        data = super().clean()
        if data.get("member") is None and not self.errors.get("member"):
            region, certno = data.get("admdvs"), (data.get("certno") or "").strip().upper()
            if region is None or not certno:
                raise ValidationError(_("请选择统筹区并填写参保人身份证号"))
            member = self.member_queryset.filter(admdvs=region, certno=certno).first()
            if member is None:
                self.add_error("certno", _("统筹区 %(r)s 没有身份证号为 %(c)s 的参保人（或不在您的数据范围内）")
                               % {"r": region.admdvs, "c": certno})
            data["member"] = member
        return data


class CancelForm(forms.Form):
    cancelled_on = forms.DateField(label=_("取消日期"), initial=date.today, widget=AdminDateWidget)


@admin.register(OutOfAreaRegistration)
class OutOfAreaRegistrationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_region_field = "member__admdvs"
    scope_district_field = "member__district"
    list_display_static = ("member", "kind", "dest_admdvs", "start_on", "end_on", "cancelled_on", "created_at")
    list_filter = (("member__admdvs", ScopedRegionFilter), "kind", DestinationFilter, InForceFilter)
    list_select_related = ("member",)
    ordering = ("-id",)
    search_fields = ("member__certno", "member__psn_name")
    search_help_text = _("输入完整身份证号或姓名开头")
    readonly_fields = ("member", "kind", "dest_admdvs", "start_on", "end_on", "cancelled_on", "created_at",
                       "created_by", "cancelled_by")
    fields = readonly_fields

    @property
    def export_columns(self):
        return ((_("身份证号"), export_certno("member__certno")), (_("姓名"), "member__psn_name"),
                (_("参保地"), "member__admdvs_id"), (_("备案类别"), "kind"), (_("就医地"), "dest_admdvs"),
                (_("开始日期"), "start_on"), (_("结束日期"), "end_on"), (_("取消日期"), "cancelled_on"))

    def get_list_display(self, request):
        return (masked_certno_column(request, path="member__certno"),) + self.list_display_static

    def get_search_results(self, request, queryset, search_term):
        return member_search(queryset=queryset, term=search_term, prefix="member__"), False

    def has_change_permission(self, request, obj=None):
        return False  # history: a change is a cancellation or a new registration

    def get_urls(self):
        return [path("<int:pk>/cancel/", self.admin_site.admin_view(self.cancel_view),
                     name="members_outofarearegistration_cancel")] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        if self.has_add_permission(request):
            extra["cancel_url"] = reverse("admin:members_outofarearegistration_cancel", args=[object_id])
        return super().change_view(request, object_id, form_url, extra)

    def _render(self, request, title, form, member, extra=None):
        context = {
            **self.admin_site.each_context(request), "title": title, "subtitle": None, "opts": self.model._meta,
            "form": form, "media": self.media + form.media, "member": member,
            "member_certno": certno_for(request.user, member.certno) if member else "",
            "has_view_permission": self.has_view_permission(request), **(extra or {}),
        }
        return TemplateResponse(request, "admin/members/outofarearegistration/request_form.html", context)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial, member = {}, None
        if request.method == "GET" and request.GET.get("member", "").isdigit():
            member = self.admin_site._registry[Member].get_queryset(request).filter(pk=request.GET["member"]).first()
            initial = {"member": member.pk} if member else {}
        form = RegistrationRequestForm(request.POST or None, initial=initial, request=request,
                                       admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            member, data = form.cleaned_data["member"], form.cleaned_data
            from members.registrations import registration_create

            try:
                with transaction.atomic():
                    registration = registration_create(
                        admdvs=member.admdvs_id, certno=member.certno, kind=data["kind"],
                        dest_admdvs=data["dest_admdvs"].strip(), start_on=data["start_on"], end_on=data["end_on"],
                        by=request.user)
            except ValidationError as error:
                add_service_errors(form, error, {})
            else:
                self.log_addition(request, registration, [{"added": {}}])
                messages.success(request, _("已办理异地就医备案：%(m)s %(r)s")
                                 % {"m": member.psn_name, "r": registration})
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))
        return self._render(request, _("新增异地就医备案"), form, member, extra_context)

    def cancel_view(self, request, pk: int):
        if not self.has_add_permission(request):
            raise PermissionDenied
        registration = self.get_object(request, str(pk))
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            from members.registrations import registration_cancel

            try:
                with transaction.atomic():
                    registration = registration_cancel(registration_id=registration.pk, by=request.user,
                                                       cancelled_on=form.cleaned_data["cancelled_on"])
            except ValidationError as error:
                add_service_errors(form, error, {})
            except Conflict as conflict:
                form.add_error("cancelled_on", conflict.message)
            else:
                self.log_change(request, registration, [{"changed": {"fields": ["cancelled_on", "end_on"]}}])
                messages.success(request, _("已取消备案：%(r)s") % {"r": registration})
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[registration.member_id]))
        return self._render(request, _("取消异地就医备案"), form, registration.member, {"registration": registration})
