"""Simulation pages (server-rendered in the admin's chrome, staff only, whole-region scope).

Thin: read the form or the run, call one service or selector, render. Starting and cancelling a run
needs ``simulation.run_simulation``.
"""
from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from policy.models import Region
from policy.rules import REGIONS

from .charts import grouped_bars
from .exports import simulation_workbook
from .forms import SimulationForm, draft_forms, drafts_submitted
from .selectors import (capitation_rows, comparison_tables, region_visible, simulation_findings,
                        simulation_runs_visible)
from .services import draft_base, simulation_run_cancel, simulation_run_submit

RUN = "simulation.run_simulation"


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _run(request, pk: int):
    run = simulation_runs_visible(user=request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


@staff_member_required
def run_list(request):
    runs = simulation_runs_visible(user=request.user)[:100]
    return render(request, "simulation/run_list.html", _context(request, "政策测算", runs=runs,
                                                                 can_run=request.user.has_perm(RUN)))


@staff_member_required
def run_new(request):
    """GET with a region and year: the drafts' parameter fields, copied from the set in force that
    year; POST: the run, or the page again with each refusal next to its field."""
    if not request.user.has_perm(RUN):
        raise PermissionDenied
    regions = [r for r in Region.objects.all() if region_visible(user=request.user, admdvs=r.admdvs)]
    source = request.POST if request.method == "POST" else request.GET
    admdvs = source.get("admdvs") or (regions[0].admdvs if regions else None)
    base = _draft_base(admdvs, source.get("year"), regions)
    drafts = draft_forms(admdvs=admdvs, base=base, data=request.POST or None) if base is not None else []
    if request.method == "POST":
        form = SimulationForm(request.POST, regions=regions)
        if base is None:
            form.add_error(None, "请先选择统筹区和年度并载入参数，再修改方案")
        elif form.is_valid() and (submitted := drafts_submitted(drafts)) is not None:
            try:
                run = simulation_run_submit(admdvs=admdvs, year=form.cleaned_data["year"], drafts=submitted,
                                            by=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"测算 #{run.pk} 已提交")
                return redirect("simulation:run", pk=run.pk)
    else:
        form = SimulationForm(initial={"admdvs": admdvs, "year": source.get("year")}, regions=regions)
    return render(request, "simulation/run_new.html", _context(request, "新建政策测算", form=form, drafts=drafts,
                                                                base=base))


def _draft_base(admdvs: str | None, year: str | None, regions: list):
    """The set the drafts are copied from, or None while no visible region and valid year are chosen."""
    if admdvs not in {r.admdvs for r in regions} or admdvs not in REGIONS:
        return None
    try:
        return draft_base(admdvs=admdvs, year=int(year))
    except (TypeError, ValueError, ValidationError):
        return None


@staff_member_required
def run_detail(request, pk: int):
    run = _run(request, pk)
    labels = [s["label"] for s in run.results.get("scenarios", [])]
    return render(request, "simulation/run_detail.html", _context(
        request, f"政策测算 #{run.pk}", run=run, labels=labels, drafts=labels[1:],
        tables=comparison_tables(run=run), capitation=capitation_rows(run=run),
        capitation_note=(run.results.get("capitation") or {}).get("note", ""),
        findings=simulation_findings(run=run), can_run=request.user.has_perm(RUN),
        scenarios=run.scenarios.select_related("based_on").order_by("position"),
        percent=round(100 * run.partitions_done / run.partitions_total) if run.partitions_total else 0))


@require_POST
@staff_member_required
def run_cancel(request, pk: int):
    run = _run(request, pk)
    simulation_run_cancel(run=run, by=request.user)
    messages.info(request, "已请求取消：尚未重放的分片不再计算")
    return redirect("simulation:run", pk=run.pk)


@staff_member_required
def run_chart(request, pk: int):
    run = _run(request, pk)
    labels = [s["label"] for s in run.results.get("scenarios", [])]
    tables = {t["name"]: t for t in run.results.get("breakdowns", [])}
    charts = []
    for name, title in (("total", "统筹基金支付合计"), ("month", "各月统筹基金支付"), ("level", "按医疗机构等级"),
                        ("person_type", "按人员类别"), ("benefit", "按门诊类别")):
        rows = tables.get(name, {}).get("rows", [])
        charts.append({"title": title, "chart": grouped_bars(
            groups=[(row["label"], row["fund_pay"]) for row in rows], series=labels)})
    members = run.results.get("members")
    if members and all(members["deciles"]):
        charts.append({"title": "人均统筹基金支付分位数", "chart": grouped_bars(
            groups=[(f"{10 * (n + 1)}%", [d[n] for d in members["deciles"]]) for n in range(9)], series=labels)})
    capitation = capitation_rows(run=run)
    if capitation:
        charts.append({"title": "各机构年度预算（定额包干）", "chart": grouped_bars(
            groups=[(line["code"], line["budget"]["values"]) for line in capitation[:30]], series=labels)})
    return render(request, "simulation/run_chart.html", _context(request, f"政策测算 #{run.pk} 图表", run=run,
                                                                  charts=charts))


@staff_member_required
def run_workbook(request, pk: int):
    run = _run(request, pk)
    if not run.results:
        raise Http404
    response = HttpResponse(simulation_workbook(run=run),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}-{run.admdvs_id}-{run.year}.xlsx"'
    return response
