"""Admin for sign-ups 签约/选点: list, view, and a request form that goes through the service.

Sign-ups are append-only history, so there is no change or delete. "Add" is not a model form: it is
the same request a clinic system posts to the API (member, provider, day, reason), handed to
``members.services.signup_request`` so every region rule applies; a refusal is shown on the form
with the rule's message and nothing is written.
"""
from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.parsing import code_normalise
from providers.models import Provider
from staff.admin_mixins import (ScopedAdminMixin, ScopedRegionFilter, scoped_regions_and_districts,
                                add_service_errors, export_certno, masked_certno_column)
from staff.scope import certno_for

from .models import Member, SignUp
from .selectors import CERTNO_LIKE, member_search


def signup_write(*, member: Member, provider: Provider, applied_on: date, reason: str, family_doctor: bool, user):
    """The one place the admin asks for a sign-up: the service that applies the region's rules."""
    from members import services

    return services.signup_request(admdvs=member.admdvs_id, certno=member.certno,
                                   fixmedins_code=provider.fixmedins_code, applied_on=applied_on, reason=reason,
                                   family_doctor=family_doctor, by=user)


class SignUpRequestForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Member.objects.none(), required=False, widget=forms.HiddenInput)
    admdvs = forms.ModelChoiceField(queryset=None, required=False, label=_("统筹区"))
    certno = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), label=_("签约/选点机构"))
    applied_on = forms.DateField(label=_("申请日期"), initial=date.today, widget=AdminDateWidget)
    reason = forms.ChoiceField(label=_("原因"), choices=SignUp.Reason.choices)
    family_doctor = forms.BooleanField(label=_("家庭医生签约"), required=False)

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        regions, _districts = scoped_regions_and_districts(request)
        self.fields["admdvs"].queryset = regions.filter(has_signup=True)
        # Both lookups use the admins' scoped querysets: nobody signs up a member they cannot see.
        self.member_queryset = admin_site._registry[Member].get_queryset(request)
        self.fields["member"].queryset = self.member_queryset
        provider = self.fields["provider"]
        provider.widget = AutocompleteSelect(SignUp._meta.get_field("provider"), admin_site)
        provider.queryset = admin_site._registry[Provider].get_queryset(request)  # also gives the widget its choices

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


@admin.register(SignUp)
class SignUpAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope_region_field = "member__admdvs"
    scope_district_field = "member__district"
    list_display_static = ("member", "provider", "reason", "family_doctor", "applied_on", "effective_from",
                           "created_by")
    list_filter = (("member__admdvs", ScopedRegionFilter), "reason", "family_doctor")
    list_select_related = ("member", "provider", "created_by")
    ordering = ("-id",)
    search_fields = ("member__certno", "member__psn_name", "provider__fixmedins_code")
    search_help_text = _("输入完整身份证号、姓名开头或机构编码")
    readonly_fields = ("member", "provider", "applied_on", "reason", "family_doctor", "effective_from",
                       "created_at", "created_by")
    fields = readonly_fields

    @property
    def export_columns(self):
        return ((_("身份证号"), export_certno("member__certno")), (_("姓名"), "member__psn_name"),
                (_("机构编码"), "provider_id"), (_("原因"), "reason"), (_("家庭医生"), "family_doctor"),
                (_("申请日期"), "applied_on"), (_("生效日期"), "effective_from"))

    def get_list_display(self, request):
        return (masked_certno_column(request, path="member__certno"),) + self.list_display_static

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if term and not CERTNO_LIKE.match(code_normalise(term)) and term.isascii():
            return queryset.filter(provider__fixmedins_code=term), False
        return member_search(queryset=queryset, term=term, prefix="member__"), False

    def has_change_permission(self, request, obj=None):
        return False  # append-only: a change is a new request

    @classmethod
    def add_url_for(cls, request, member_id) -> str:
        return reverse("admin:members_signup_add") + f"?member={member_id}"

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {}
        member = None
        if request.method == "GET" and request.GET.get("member", "").isdigit():
            member = self.admin_site._registry[Member].get_queryset(request).filter(pk=request.GET["member"]).first()
            initial = {"member": member.pk} if member else {}
        form = SignUpRequestForm(request.POST or None, initial=initial, request=request, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            member = form.cleaned_data["member"]
            try:
                with transaction.atomic():
                    signup = signup_write(member=member, provider=form.cleaned_data["provider"],
                                          applied_on=form.cleaned_data["applied_on"],
                                          reason=form.cleaned_data["reason"],
                                          family_doctor=form.cleaned_data["family_doctor"], user=request.user)
            except ValidationError as error:
                add_service_errors(form, error, {"fixmedins_code": "provider"})
            else:
                self.log_addition(request, signup, [{"added": {}}])
                messages.success(request, _("已登记签约：%(m)s → %(p)s，%(d)s 起生效")
                                 % {"m": member.psn_name, "p": signup.provider, "d": signup.effective_from})
                return HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))
        elif request.method == "POST":
            member = form.cleaned_data.get("member") if hasattr(form, "cleaned_data") else None
        context = {
            **self.admin_site.each_context(request),
            "title": _("新增签约/选点申请"),
            "subtitle": None,
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
            "member": member,
            "member_certno": certno_for(request.user, member.certno) if member else "",
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/members/signup/request_form.html", context)
