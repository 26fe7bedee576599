"""Admin: runs (filters, read-only lines inline, approve/recompute actions), a printable statement
per provider line, an xlsx export of a run's lines, and the county fund totals staff enter."""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from config import display
from staff.admin_mixins import ReadOnlyAdminMixin
from staff.scope import scope_for_user

from . import admin_assessments  # noqa: F401  (registers the assessment and deduction admins)
from .admin_jobs import run_job_urls
from .exports import run_lines_xlsx
from .models import CountyFund, SettlementLine, SettlementRun
from .selectors import (settlement_line_visible, settlement_lines_visible, settlement_runs_visible,
                        settlement_runs_with_staleness)
from .services import settlement_run_compute

LINE_FIELDS = ("provider", "district", "members", "member_months", "visits", "medfee_sumamt", "quota", "actual",
               "deductions", "deductions_carried", "paid", "budget", "determined", "ceiling_cut", "prepaid",
               "balance_due", "band", "claims")


class SettlementLineInline(admin.TabularInline):
    model = SettlementLine
    fields = LINE_FIELDS + ("statement",)
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        lines = super().get_queryset(request).select_related("provider")
        scope = scope_for_user(request.user)
        if scope.everything:
            return lines
        return lines.filter(Q(run__admdvs_id__in=sorted(scope.regions)) | Q(district_id__in=sorted(scope.districts)))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("结算单"))
    def statement(self, line):
        url = reverse("admin:budgets_settlementrun_statement", args=[line.pk])
        return format_html('<a href="{}" target="_blank">打印</a>', url)


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Fits 1440 px: the run's name already says region, kind and period; approver and export stay in view.
    list_display = ("__str__", "status_shown", "total_members", "total_actual", "total_paid_or_determined",
                    "computed_at", "approved_by", "approved_at", "export")
    list_filter = ("admdvs", "kind", "status", "period")
    search_fields = ("period",)
    readonly_fields = ("admdvs", "kind", "period", "period_start", "period_end", "status", "approval_state",
                       "parameter_set",
                       "totals_table", "computed_at", "computed_by", "approved_at", "approved_by")
    fields = readonly_fields
    inlines = [SettlementLineInline]
    actions = ["approve_runs", "recompute_runs"]

    def get_queryset(self, request):
        return settlement_runs_with_staleness(settlement_runs_visible(user=request.user))

    def get_object(self, request, object_id, from_field=None):
        run = super().get_object(request, object_id, from_field)
        if run is None:
            raise Http404
        return run

    def has_compute_permission(self, request):  # staff.roles: computing a run = budgets.add_settlementrun
        return request.user.has_perm("budgets.add_settlementrun")

    def has_approve_settlement_permission(self, request):
        return request.user.has_perm("budgets.approve_settlement")

    @admin.display(description=_("人数"))
    def total_members(self, run):
        return display.count(run.totals.get("members"))

    @admin.display(description=_("实际发生"))
    def total_actual(self, run):
        return display.money(run.totals.get("actual"))

    @admin.display(description=_("支付/决算"))
    def total_paid_or_determined(self, run):
        return display.money(run.totals.get("paid") or run.totals.get("determined"))

    @admin.display(description=_("合计"))
    def totals_table(self, run):
        return display.data_table(run.totals or {})

    @admin.display(description=_("导出"))
    def export(self, run):
        return format_html('<a href="{}">下载 Excel</a>',
                           reverse("admin:budgets_settlementrun_export", args=[run.pk]))

    @admin.action(description=_("审核所选结算批次"), permissions=["approve_settlement"])
    def approve_runs(self, request, queryset):
        """Approval goes through the run's confirmation page (what is approved, whether it is stale,
        who computed it), one run at a time."""
        runs = list(queryset[:2])
        if len(runs) != 1:
            self.message_user(request, "请只勾选一个批次：审核须在该批次的确认页面逐一进行", level=messages.ERROR)
            return None
        return redirect("admin:budgets_settlementrun_approve", runs[0].pk)

    @admin.display(description=_("状态"), ordering="status")
    def status_shown(self, run):
        if run.is_approved:
            return run.get_status_display()
        stale = mark_safe(' <strong class="run-stale">已过期，须重新计算</strong>') if run.is_stale else ""
        return format_html('{} <a href="{}">审核…</a>{}', run.get_status_display(),
                           reverse("admin:budgets_settlementrun_approve", args=[run.pk]), stale)

    @admin.display(description=_("审核"))
    def approval_state(self, run):
        if run.is_approved:
            return format_html("已由 {} 审核", run.approved_by.get_username() if run.approved_by else "—")
        stale = mark_safe('<p class="errornote run-stale">该批次计算后又有结算或撤销记录进入其期间，数据已过期：'
                          "请先重新计算，核对后再审核。</p>") if run.is_stale else ""
        return format_html('{}<a class="button" href="{}">审核该批次…</a>', stale,
                           reverse("admin:budgets_settlementrun_approve", args=[run.pk]))

    @admin.action(description=_("重新计算所选草稿批次"), permissions=["compute"])
    def recompute_runs(self, request, queryset):
        for run in queryset:
            try:
                run = settlement_run_compute(admdvs=run.admdvs_id, kind=run.kind, period=run.period, by=request.user)
                self.message_user(request, f"{run}: {run.get_status_display()}")
            except ValidationError as exc:
                self.message_user(request, f"{run}: {'; '.join(exc.messages)}", level=messages.ERROR)

    def get_urls(self):
        own = [
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view), name="budgets_settlementrun_export"),
            path("line/<int:pk>/statement/", self.admin_site.admin_view(self.statement_view),
                 name="budgets_settlementrun_statement"),
        ]
        return own + run_job_urls(self) + super().get_urls()

    def export_view(self, request, pk):
        run = settlement_runs_visible(user=request.user).filter(pk=pk).first()
        if run is None or not self.has_view_permission(request, run):
            raise Http404
        lines = settlement_lines_visible(run=run, user=request.user)
        response = HttpResponse(run_lines_xlsx(run=run, lines=lines),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        name = f"settlement-{run.admdvs_id}-{run.kind}-{run.period}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def statement_view(self, request, pk):
        line = settlement_line_visible(user=request.user, pk=pk)
        if line is None or not self.has_view_permission(request, line.run):
            raise Http404
        return TemplateResponse(request, "budgets/statement.html", {"line": line, "run": line.run})


@admin.register(CountyFund)
class CountyFundAdmin(admin.ModelAdmin):
    list_display = ("district", "year", "amount", "note", "created_at")
    list_filter = ("admdvs", "year")
    search_fields = ("district__name", "district__code")

    def get_queryset(self, request):
        return scope_for_user(request.user).filter(super().get_queryset(request), region_field="admdvs",
                                                   district_field="district")
