"""Admin for settlements 门诊结算 and year-to-date accumulators 年度累计.

Settlement records are append-only: nobody (superusers included) can add, change or delete one
here. Staff with ``claims.reverse_claim`` reverse a settlement through ``claims.services.claim_reverse``
(the "撤销" action, or the button on the detail page), after a confirmation page.
"""
from __future__ import annotations

import json
from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config.errors import Conflict
from staff.admin_mixins import (ReadOnlyAdminMixin, ScopedAdminMixin, ScopedDistrictFilter, ScopedRegionFilter,
                                masked_certno_column)
from staff.scope import can_see_full_certno, mask_certno, mask_certnos_in

from policy.rules.common import REASON_LABELS

from . import services
from .models import Accumulator, Claim, ClaimItem

RULE_LABELS = {
    "eligible": "政策范围内费用", "deductible": "起付线", "ratio": "按比例支付", "annual_cap": "年度最高支付限额",
    "per_visit_cap": "单次支付限额", "subcap": "两病专项限额", "fund_pay": "统筹基金支付", "reversal": "撤销",
    "temporary_out_of_area": "临时外出先行自付", "first_pay": "先行自付", "signup": "签约/选点机构",
    "prescription": "外配处方", "out_of_area": "异地就医（备案）", "where": "就医地点",
    **REASON_LABELS,  # a refused visit's last step is named by its reason code (Chinese labels: policy.rules.common)
}


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
    list_display = ("setl_id", "visit_date", "member_name", "provider", "benefit", "status", "hifp_pay",
                    "psn_part_amt", "reverses")
    list_filter = (("admdvs", ScopedRegionFilter), ("district", ScopedDistrictFilter), ProviderCodeFilter,
                   "status", MonthFilter, "benefit")
    list_select_related = ("member", "provider", "reverses")
    search_fields = ("=setl_id",)
    ordering = ("-id",)
    inlines = [ClaimItemInline]
    actions = ["reverse_selected", "export_csv"]
    change_form_template = "claims/admin/claim_change_form.html"
    fieldsets = (
        (_("结算结果"), {"fields": ("setl_id", "status", "reason_label", "act_pay_dedc", "pool_prop_selfpay",
                                  "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay", "reverses",
                                  "reversed_by_link")}),
        (_("计算步骤"), {"fields": ("steps_table",)}),
        (_("就诊"), {"fields": ("member", "certno_shown", "provider", "charged_provider", "visit_at", "benefit",
                              "emergency", "referral", "out_of_area", "channel", "exclusion",
                              "prescribing_provider")}),
        (_("费用"), {"fields": ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                              "inscp_scp_amt", "acct_used")}),
        (_("记录"), {"fields": ("parameter_set", "deltas", "inputs", "idempotency_key", "created_at",
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

    @admin.display(description=_("输入事实"))
    def inputs_masked(self, obj):
        return json.dumps(mask_certnos_in(obj.inputs), ensure_ascii=False)

    @admin.display(description=_("幂等键"))
    def idempotency_key_masked(self, obj):
        return mask_certnos_in(obj.idempotency_key) or "—"

    def get_fieldsets(self, request, obj=None):
        # Whoever may not see full certnos sees them masked wherever they appear: the member's, and
        # any inside the recorded inputs or a key the client built from one.
        full = can_see_full_certno(request.user)
        shown = {"certno_shown": "certno_full" if full else "certno_masked"}
        if not full:
            shown.update(inputs="inputs_masked", idempotency_key="idempotency_key_masked")
        return [(title, {"fields": tuple(shown.get(f, f) for f in block["fields"])})
                for title, block in self.fieldsets]

    @admin.display(description=_("原因"))
    def reason_label(self, obj):
        from policy.rules import REASONS

        if not obj.reason:
            return "—"
        return f"{REASON_LABELS.get(obj.reason, obj.reason)}（{obj.reason}）— {REASONS.get(obj.reason, '')}"

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
                                ((n, RULE_LABELS.get(s.get("rule"), s.get("rule")), s.get("amount") or "",
                                  s.get("note", "")) for n, s in enumerate(obj.steps or [], start=1)))
        return format_html('<table class="claim-steps"><thead><tr><th>序号</th><th>规则</th><th>金额（元）</th>'
                           '<th>说明</th></tr></thead><tbody>{}</tbody></table>', rows)

    # -- 撤销 ---------------------------------------------------------------------------------
    def get_urls(self):
        return [path("<int:pk>/reverse/", self.admin_site.admin_view(self.reverse_view),
                     name="claims_claim_reverse")] + super().get_urls()

    def can_reverse(self, request) -> bool:
        return request.user.has_perm("claims.reverse_claim")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_reverse": self.can_reverse(request)}
        return super().change_view(request, object_id, form_url, extra_context)

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
    list_display = ("member", "year", "fund_paid", "buckets", "updated_at")
    list_select_related = ("member",)
    list_filter = ("year",)
    readonly_fields = ("member", "year", "fund_paid", "buckets", "updated_at")
    actions = []
