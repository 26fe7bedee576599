"""Admin: account statements (read-only ledger), crediting runs with totals, run crediting for a month."""
from django import forms
from django.contrib import admin, messages
from django.template.defaultfilters import linebreaksbr
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.models import Account, AccountEntry, CreditRun, NoAccountEnrolment, Relative
from accounts.services import account_credit_month
from accounts.services.crediting import parse_period
from policy.models import Region
from members.selectors import certno_normalise
from staff.admin_mixins import ReadOnlyAdminMixin, masked_certno_column
from staff.scope import can_see_full_certno, mask_certno, scope_for_user



class EntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AccountEntry
    fields = ("created_at", "kind", "amount", "running_balance", "reference", "period", "purpose",
              "beneficiary_certno", "note", "created_by")

    def get_fields(self, request, obj=None):
        # The mutual-aid beneficiary's certno, masked like members' unless the user may see it (the
        # choice is made per request: the admin object is shared by every request).
        if can_see_full_certno(request.user):
            return self.fields
        return tuple("beneficiary_certno_masked" if f == "beneficiary_certno" else f for f in self.fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="受益人身份证号")
    def beneficiary_certno_masked(self, entry):
        return mask_certno(entry.beneficiary_certno) if entry.beneficiary_certno else "—"
    ordering = ("id",)
    extra = 0
    can_delete = False
    verbose_name_plural = "账户明细（对账单）"


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("member", "member_region", "status", "balance", "opened_on", "closed_on")
    list_filter = ("status", "member__admdvs")
    search_fields = ("member__certno", "member__psn_name")
    readonly_fields = ("member", "status", "balance", "opened_on", "closed_on", "close_reason")
    fields = readonly_fields
    inlines = [EntryInline]
    list_select_related = ("member",)

    @admin.display(description="统筹区")
    def member_region(self, obj):
        return obj.member.admdvs_id

    def get_queryset(self, request):
        from staff.scope import scope_for_user

        return scope_for_user(request.user).filter(super().get_queryset(request), region_field="member__admdvs",
                                                   district_field="member__district")


class CreditForm(forms.Form):
    admdvs = forms.ModelChoiceField(Region.objects.filter(insutype="310"), label="统筹区")
    period = forms.CharField(label="月份 (YYYY-MM)", max_length=7)

    def clean_period(self):
        try:
            return parse_period(self.cleaned_data["period"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["period"]) from None


@admin.register(CreditRun)
class CreditRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("period_label", "admdvs", "employed_count", "employed_amount", "retired_count", "retired_amount",
                    "total_amount", "skipped_count", "refused_count", "created_at", "created_by")
    list_filter = ("admdvs", "period")
    # The refusals are a list of {part, message}: shown as their messages, one a line (no JSON on a page);
    # the list keeps their count only, so it fits 1440 px.
    readonly_fields = [f.name for f in CreditRun._meta.fields if f.name != "refused"] + ["refused_summary"]
    fields = readonly_fields
    actions = ["rerun"]
    change_list_template = "accounts/admin/creditrun_change_list.html"

    @admin.display(description="月份", ordering="period")
    def period_label(self, obj):
        return f"{obj.period:%Y-%m}"

    @admin.display(description="划入合计")
    def total_amount(self, obj):
        return obj.total_amount

    @admin.display(description="未划入原因")
    def refused_summary(self, obj):
        return linebreaksbr("\n".join(item["message"] for item in obj.refused)) or "—"

    def get_urls(self):
        return [path("credit/", self.admin_site.admin_view(self.credit_view), name="accounts_creditrun_credit")
                ] + super().get_urls()

    def _run(self, request, admdvs, period):
        try:
            run = account_credit_month(admdvs=admdvs, period=period, by=request.user)
        except ValidationError as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, f"{run}: 在职 {run.employed_count} 人 {run.employed_amount}，退休 "
                                   f"{run.retired_count} 人 {run.retired_amount}，已划入跳过 {run.skipped_count}")
        for item in run.refused:
            self.message_user(request, item["message"], messages.WARNING)

    def credit_view(self, request):
        if not request.user.has_perm("accounts.add_creditrun"):
            self.message_user(request, "没有执行划入的权限 (needs accounts.add_creditrun)", messages.ERROR)
            return redirect(reverse("admin:accounts_creditrun_changelist"))
        form = CreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._run(request, form.cleaned_data["admdvs"].admdvs, form.cleaned_data["period"])
            return redirect(reverse("admin:accounts_creditrun_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": "执行个人账户划入"}
        return TemplateResponse(request, "accounts/admin/credit_form.html", context)

    @admin.action(description="按所选批次的统筹区和月份重新执行划入（只补划未划入部分）",
                  permissions=["add_creditrun"])
    def rerun(self, request, queryset):
        for admdvs, period in sorted(set(queryset.values_list("admdvs", "period"))):
            self._run(request, admdvs, period)

    def has_add_creditrun_permission(self, request):
        return request.user.has_perm("accounts.add_creditrun")


@admin.register(Relative)
class RelativeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bindings within the user's scope (the holder's district); the relative's certno masked like
    members' unless the user may see full certnos (list, detail page and search alike)."""

    list_display = ("holder", "relation", "consented_on", "revoked_on", "created_by")
    fields = ("holder", "relative_certno", "relation", "consented_on", "revoked_on", "created_at", "created_by")
    list_select_related = ("holder", "created_by")

    def get_queryset(self, request):
        return scope_for_user(request.user).filter(super().get_queryset(request), region_field="holder__admdvs",
                                                   district_field="holder__district")

    def get_list_display(self, request):
        return ("holder", masked_certno_column(request, path="relative_certno", description="亲属身份证号"),
                *self.list_display[1:])

    def get_fields(self, request, obj=None):
        if can_see_full_certno(request.user):
            return self.fields
        return tuple("relative_certno_masked" if f == "relative_certno" else f for f in self.fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_search_results(self, request, queryset, search_term):
        # Exact certno only (holder's or relative's), normalised like every other certno lookup.
        certno = certno_normalise(search_term)
        if not certno:
            return queryset, False
        return queryset.filter(Q(holder__certno=certno) | Q(relative_certno=certno)), False

    search_fields = ("relative_certno",)  # shows the search box; get_search_results decides

    @admin.display(description="亲属身份证号")
    def relative_certno_masked(self, obj):
        return mask_certno(obj.relative_certno)


@admin.register(NoAccountEnrolment)
class NoAccountEnrolmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("member", "since", "note")
    search_fields = ("member__certno",)
