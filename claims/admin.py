"""Admin for settlements 门诊结算 and year-to-date accumulators 年度累计.

Settlement records are append-only: nobody (superusers included) can add, change or delete one
here. Staff with ``claims.reverse_claim`` reverse a settlement through ``claims.services.claim_reverse``
(the "撤销" action, or the button on the detail page), after a confirmation page.
"""
from __future__ import annotations

import contextvars
from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config import display, labels
from config.errors import Conflict
from staff.admin_mixins import (ReadOnlyAdminMixin, ScopedAdminMixin, ScopedDistrictFilter, ScopedRegionFilter,
                                masked_certno_column)
from staff.scope import can_see_full_certno, mask_certno, mask_certnos_in


from . import services
from .models import Accumulator, Claim, ClaimItem

_full_certno: contextvars.ContextVar = contextvars.ContextVar("claim_admin_full_certno", default=False)


class ProviderCodeFilter(admin.SimpleListFilter):
    """就诊机构 by code (a text box: a region has thousands of providers, too many for a list)."""

    title = _("就诊机构编码")
    parameter_name = "fixmedins_code"
    template = "claims/admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]

    def queryset(self, request, queryset):
        code = (self.value() or "").strip()
        return queryset.filter(provider__fixmedins_code=code) if code else queryset


class MonthFilter(admin.SimpleListFilter):
    """就诊月份: the last 12 months (a visit_date range, so the index serves it)."""

    title = _("就诊月份")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        today = date.today()
        months = [(today.year - (today.month - 1 - n < 0), (today.month - 1 - n) % 12 + 1) for n in range(12)]
        return [(f"{y:04d}-{m:02d}", f"{y}年{m}月") for y, m in months]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            year, month = (int(x) for x in value.split("-"))
            start = date(year, month, 1)
        except ValueError:
            return queryset.none()
        end = date(year + (month == 12), month % 12 + 1, 1)
        return queryset.filter(visit_date__gte=start, visit_date__lt=end)


class ClaimItemInline(admin.TabularInline):
    model = ClaimItem
    extra = 0
    can_delete = False
    fields = ("code", "name", "category", "chrgitm_lv", "amount")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AppendOnlyAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """View-only for everyone: the records are written by the claims service alone."""


@admin.register(Claim)
class ClaimAdmin(AppendOnlyAdmin):
    # Fits 1440 px beside the filters: the provider by name (its code is the filter's), money as ¥.
    list_display = ("setl_id", "visit_date", "member_name", "provider_name", "benefit", "status", "fund_shown",
                    "member_share_shown")
    list_filter = (("admdvs", ScopedRegionFilter), ("district", ScopedDistrictFilter), ProviderCodeFilter,
                   "status", MonthFilter, "benefit")
    list_select_related = ("member", "provider", "reverses")
    # 结算ID or 身份证号 exactly, or the start of a name, as on the members list (index-served lookups).
    search_fields = ("=setl_id", "=member__certno", "member__psn_name__startswith")
    search_help_text = _("输入结算ID、完整18位身份证号，或姓名开头（如“王”“王建”）")
    ordering = ("-id",)
    inlines = [ClaimItemInline]
    actions = ["reverse_selected", "export_csv"]
    change_form_template = "claims/admin/claim_change_form.html"
    fieldsets = (
        (_("结算结果"), {"fields": ("setl_id", "status", "reason_label", "deductible_shown", "ratio_shown",
                                  "fund_shown", "member_share_shown", "account_shown", "cash_shown", "reverses",
                                  "reversed_by_link")}),
        (_("计算步骤"), {"fields": ("steps_table",)}),
        (_("就诊"), {"fields": ("member", "certno_shown", "provider", "charged_provider", "visit_at", "benefit",
                              "emergency", "referral", "out_of_area_shown", "channel_shown", "exclusion_shown",
                              "prescribing_provider")}),
        (_("费用"), {"fields": ("total_shown", "own_expense_shown", "over_limit_shown", "first_pay_shown",
                              "eligible_shown", "acct_used")}),
        (_("记录"), {"fields": ("parameter_set", "deltas_table", "inputs_table", "idempotency_key", "created_at",
                              "created_by")}),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f for block in self.get_fieldsets(request, obj) for f in block[1]["fields"]]

    def get_list_display(self, request):
        columns = list(self.list_display)
        columns.insert(3, masked_certno_column(request, path="member__certno"))
        return columns

    @admin.display(description=_("参保人"), ordering="member__psn_name")
    def member_name(self, obj):
        return obj.member.psn_name

    @admin.display(description=_("身份证号"))
    def certno_masked(self, obj):
        return mask_certno(obj.member.certno)

    @admin.display(description=_("身份证号"))
    def certno_full(self, obj):
        return obj.member.certno

    @admin.display(description=_("幂等键"))
    def idempotency_key_masked(self, obj):
        return mask_certnos_in(obj.idempotency_key) or "—"

    def get_fieldsets(self, request, obj=None):
        # Whoever may not see full certnos sees them masked wherever they appear: the member's, and
        # any inside the recorded inputs or a key the client built from one.
        full = can_see_full_certno(request.user)
        shown = {"certno_shown": "certno_full" if full else "certno_masked"}
        if not full:
            shown.update(idempotency_key="idempotency_key_masked")
        return [(title, {"fields": tuple(shown.get(f, f) for f in block["fields"])})
                for title, block in self.fieldsets]

    @admin.display(description=_("原因"))
    def reason_label(self, obj):
        return labels.reason_label(obj.reason)

    @admin.display(description=_("就诊机构"), ordering="provider__fixmedins_name")
    def provider_name(self, obj):
        return obj.provider.fixmedins_name

    @admin.display(description=_("统筹基金支付"), ordering="hifp_pay")
    def fund_shown(self, obj):
        return display.money(obj.hifp_pay)

    @admin.display(description=_("个人负担"), ordering="psn_part_amt")
    def member_share_shown(self, obj):
        return display.money(obj.psn_part_amt)

    @admin.display(description=_("本次起付线"))
    def deductible_shown(self, obj):
        return display.money(obj.act_pay_dedc)

    @admin.display(description=_("基金支付比例"))
    def ratio_shown(self, obj):
        return display.ratio(obj.pool_prop_selfpay)

    @admin.display(description=_("个人账户支付"))
    def account_shown(self, obj):
        return display.money(obj.acct_pay)

    @admin.display(description=_("现金支付"))
    def cash_shown(self, obj):
        return display.money(obj.psn_cash_pay)

    @admin.display(description=_("医疗费总额"))
    def total_shown(self, obj):
        return display.money(obj.medfee_sumamt)

    @admin.display(description=_("全自费金额"))
    def own_expense_shown(self, obj):
        return display.money(obj.fulamt_ownpay_amt)

    @admin.display(description=_("超限价自费"))
    def over_limit_shown(self, obj):
        return display.money(obj.overlmt_selfpay)

    @admin.display(description=_("先行自付"))
    def first_pay_shown(self, obj):
        return display.money(obj.preselfpay_amt)

    @admin.display(description=_("政策范围内费用"))
    def eligible_shown(self, obj):
        return display.money(obj.inscp_scp_amt)

    @admin.display(description=_("异地就医"))
    def out_of_area_shown(self, obj):
        return labels.OUT_OF_AREA_LABELS.get(obj.out_of_area, obj.out_of_area)

    @admin.display(description=_("结算方式"))
    def channel_shown(self, obj):
        return labels.CHANNEL_LABELS.get(obj.channel, obj.channel)

    @admin.display(description=_("除外情形"))
    def exclusion_shown(self, obj):
        return labels.EXCLUSION_LABELS.get(obj.exclusion, obj.exclusion) if obj.exclusion else "—"

    @admin.display(description=_("本次计入年度累计"))
    def deltas_table(self, obj):
        return display.data_table(obj.deltas or {})

    @admin.display(description=_("输入事实"))
    def inputs_table(self, obj):
        # Any certno inside (a relative paying from their account, a record older than masking at
        # write) masked for whoever may not see full ones.
        inputs = dict(obj.inputs or {}) if _full_certno.get() else mask_certnos_in(dict(obj.inputs or {}))
        request = dict(inputs.get("request") or {})
        if request.get("certno"):
            # the claim's page shows the certno as the viewer may see it (masked for most roles)
            request["certno"] = obj.member.certno if _full_certno.get() else mask_certno(request["certno"])
            inputs["request"] = request
        return display.data_table(inputs)

    @admin.display(description=_("被撤销"))
    def reversed_by_link(self, obj):
        reversal = Claim.objects.filter(reverses_id=obj.pk).only("pk", "setl_id").first()
        if reversal is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[reversal.pk]),
                           reversal.setl_id)

    @admin.display(description=_("计算步骤"))
    def steps_table(self, obj):
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td style='text-align:right'>{}</td><td>{}</td></tr>",
                                ((n, labels.step_label(s.get("rule")),
                                  display.money(s["amount"]) if s.get("amount") not in (None, "") else "",
                                  display.readable_note(s.get("note", "")))
                                 for n, s in enumerate(obj.steps or [], start=1)))
        return format_html('<table class="claim-steps"><thead><tr><th>序号</th><th>规则</th><th>金额</th>'
                           '<th>说明</th></tr></thead><tbody>{}</tbody></table>', rows)

    # -- 撤销 ---------------------------------------------------------------------------------
    def get_urls(self):
        return [path("<int:pk>/reverse/", self.admin_site.admin_view(self.reverse_view),
                     name="claims_claim_reverse")] + super().get_urls()

    def can_reverse(self, request) -> bool:
        return request.user.has_perm("claims.reverse_claim")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_reverse": self.can_reverse(request)}
        # inputs_table gets only the object: whether this viewer sees full certnos is set for the request
        token = _full_certno.set(can_see_full_certno(request.user))
        try:
            return super().change_view(request, object_id, form_url, extra_context)
        finally:
            _full_certno.reset(token)

    def reverse_view(self, request, pk: int):
        claim = self.get_queryset(request).filter(pk=pk).first()
        if claim is None:
            raise Http404(_("对象不存在或不在您的数据范围内"))
        return self._confirm_or_reverse(request, [claim], back=reverse("admin:claims_claim_change", args=[pk]))

    @admin.action(description=_("撤销所选结算"), permissions=["reverse"])
    def reverse_selected(self, request, queryset):
        return self._confirm_or_reverse(request, list(queryset.select_related("member", "provider")[:200]),
                                        back=reverse("admin:claims_claim_changelist"))

    def has_reverse_permission(self, request):
        return self.can_reverse(request)

    def _confirm_or_reverse(self, request, claims: list[Claim], *, back: str):
        if not self.can_reverse(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            for claim in claims:
                try:
                    reversal = services.claim_reverse(setl_id=claim.setl_id, by=request.user)
                    self.message_user(request, f"已撤销 {claim.setl_id}，撤销记录 {reversal.setl_id}", messages.SUCCESS)
                except (Conflict, Http404) as exc:
                    self.message_user(request, f"{claim.setl_id}: {getattr(exc, 'message', exc)}", messages.ERROR)
            return HttpResponseRedirect(back)
        context = {**self.admin_site.each_context(request), "title": _("确认撤销结算"), "claims": claims,
                   "opts": self.model._meta, "back": back,
                   "action_name": request.POST.get("action", ""),
                   "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)}
        return TemplateResponse(request, "claims/admin/reverse_confirm.html", context)


@admin.register(Accumulator)
class AccumulatorAdmin(AppendOnlyAdmin):
    scope_region_field = "member__admdvs"
    scope_district_field = "member__district"
    list_display = ("member_shown", "year_shown", "fund_shown", "buckets_shown", "updated_at")
    list_select_related = ("member",)
    list_filter = ("year",)
    fields = ("member_shown", "year_shown", "fund_shown", "buckets_shown", "updated_at")
    readonly_fields = fields
    actions = []

    @admin.display(description=_("参保人"), ordering="member__psn_name")
    def member_shown(self, obj):
        return obj.member.psn_name

    @admin.display(description=_("年度"), ordering="year")
    def year_shown(self, obj):
        return str(obj.year)  # a year, not a number: "2026", never "2,026"

    @admin.display(description=_("统筹基金累计支付"), ordering="fund_paid")
    def fund_shown(self, obj):
        return display.money(obj.fund_paid)

    @admin.display(description=_("分项累计"))
    def buckets_shown(self, obj):
        return display.data_table(obj.buckets or {})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None:
            title = f"{obj.member.psn_name} {obj.year}年度累计"
            extra_context.update(subtitle=title, original=display.Titled(obj, title))
        return super().change_view(request, object_id, form_url, extra_context)
