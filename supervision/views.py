"""Supervision pages (server-rendered in the admin's chrome, staff only, scoped by district).

Thin: read the query string, call a selector or one service, render. Reading needs
``supervision.view_warning``; working a warning needs ``supervision.change_warning``.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import Conflict
from policy.models import District, Region
from providers.models import Provider
from staff.audit import access_log
from staff.scope import certno_for, scope_for_user
from supervision import selectors
from supervision.charts import line_chart
from supervision.exports import xlsx_response
from supervision.models import Warning
from supervision.periods import period_label, period_parse
from supervision.services.warnings import warning_assign, warning_close, warning_reopen, warning_review_start

VIEW = "supervision.view_warning"
CHANGE = "supervision.change_warning"
INDICATOR_COLUMNS = [("period", "月份"), ("fixmedins_code", "机构编码"), ("fixmedins_name", "机构名称"),
                     ("visits", "就诊人次"), ("members", "就诊人数"), ("medfee_sumamt", "医疗费总额"),
                     ("hifp_pay", "统筹基金支付"), ("avg_cost", "次均费用"), ("fund_per_member", "人均基金支付"),
                     ("visits_per_member", "人次人头比"), ("self_paid_share", "自费比例"),
                     ("exam_share", "检查费用占比"),
                     ("out_of_catalogue_share", "目录外项目占比"), ("growth_mom", "费用环比增长"),
                     ("growth_yoy", "费用同比增长")]
CHARTED = ["avg_cost", "fund_per_member", "visits_per_member", "self_paid_share", "exam_share",
           "out_of_catalogue_share", "growth_mom", "growth_yoy", "visits", "medfee_sumamt"]


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def _filters(request) -> dict:
    scope = scope_for_user(request.user)
    try:
        period = period_parse(request.GET["period"]) if request.GET.get("period") else None
    except ValidationError:
        period = None
    period = period or selectors.latest_period(scope=scope)
    district_regions = set(District.objects.filter(code__in=scope.districts).values_list("region_id", flat=True))
    regions = [r for r in Region.objects.all()
               if scope.everything or r.admdvs in scope.regions or r.admdvs in district_regions]
    districts = [d for d in District.objects.filter(region__in=regions)
                 if scope.covers(admdvs=d.region_id, district=d.code)]
    return {"scope": scope, "period": period, "admdvs": request.GET.get("admdvs") or None,
            "district": request.GET.get("district") or None, "regions": regions, "districts": districts,
            "period_text": period_label(period) if period else ""}


def _number(text):
    """A figure stored as text ("0.3001", "-0.1000") as a number for the spreadsheet, else the text."""
    try:
        return Decimal(text) if text not in (None, "") else ""
    except (InvalidOperation, TypeError, ValueError):
        return text


def _warning_rows(request, warnings):
    for w in warnings:
        yield [period_label(w.period), w.provider.fixmedins_code, w.provider.fixmedins_name, w.district_id,
               w.get_kind_display(), selectors.INDICATOR_LABELS.get(w.indicator, ""), _number(w.figures.get("value")),
               _number(w.figures.get("peer_value") or w.figures.get("threshold")),
               w.member.psn_name if w.member else "", certno_for(request.user, w.member.certno) if w.member else "",
               w.subject, w.get_status_display(), w.owner.get_username() if w.owner else "", w.note]


@staff_member_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request):
    f = _filters(request)
    warnings = selectors.warning_list(scope=f["scope"], admdvs=f["admdvs"], district=f["district"], period=f["period"])
    worst = selectors.worst_providers(warnings=warnings)
    series = selectors.indicator_series(provider_ids=[w["provider_id"] for w in worst], until=f["period"]) \
        if f["period"] else {}
    for row in worst:
        points = [(period_label(r.period)[2:], r.avg_cost) for r in series.get(row["provider_id"], [])]
        row["chart"] = line_chart(points, width=240, height=60, pad=6)
    return render(request, "supervision/dashboard.html", _context(
        request, "基金监测预警", f=f, by_kind=_labelled(selectors.warnings_by_kind(warnings=warnings)), worst=worst,
        total=warnings.count(), open=warnings.exclude(status=Warning.Status.CLOSED).count()))


def _labelled(rows: list[dict]) -> list[dict]:
    kinds = dict(Warning.Kind.choices)
    for row in rows:
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        row["indicator_label"] = selectors.INDICATOR_LABELS.get(row["indicator"], "")
    return rows


@staff_member_required
@permission_required(VIEW, raise_exception=True)
def warning_list(request):
    f = _filters(request)
    warnings = selectors.warning_list(scope=f["scope"], admdvs=f["admdvs"], district=f["district"], period=f["period"],
                                      status=request.GET.get("status") or None, kind=request.GET.get("kind") or None)
    if request.GET.get("export") == "xlsx":
        rows = list(warnings[:50_000])
        access_log(user=request.user, action="export", what="supervision.Warning",
                   object_ids=[w.pk for w in rows], count=len(rows), request=request)
        return xlsx_response(filename=f"warnings-{f['period_text']}.xlsx", sheet="预警",
                             rows=_warning_rows(request, rows),
                             headers=["月份", "机构编码", "机构名称", "县区", "预警类型", "指标", "指标值", "比较值",
                                      "参保人", "身份证号", "对象", "状态", "责任人", "处理说明"])
    page = Paginator(warnings, 100).get_page(request.GET.get("page"))
    return render(request, "supervision/warning_list.html", _context(
        request, "预警清单", f=f, page=page, statuses=Warning.Status.choices, kinds=Warning.Kind.choices,
        rows=[(w, row) for w, row in zip(page.object_list, _warning_rows(request, page.object_list))],
        query=request.GET.urlencode()))


def _scoped_warning(request, pk: int) -> Warning:
    warning = selectors.warning_list(scope=scope_for_user(request.user)).filter(pk=pk).first()
    if warning is None:
        raise Http404("预警不存在或不在您的数据范围内")
    return warning


@staff_member_required
@permission_required(VIEW, raise_exception=True)
def warning_detail(request, pk: int):
    warning = _scoped_warning(request, pk)
    if warning.member_id:
        access_log(user=request.user, action="view", what="supervision.Warning", object_ids=[warning.pk],
                   request=request)
    return render(request, "supervision/warning_detail.html", _context(
        request, f"预警 #{warning.pk}", warning=warning, events=warning.events.select_related("actor", "owner"),
        certno=certno_for(request.user, warning.member.certno) if warning.member else "",
        indicator_label=selectors.INDICATOR_LABELS.get(warning.indicator, ""),
        can_change=request.user.has_perm(CHANGE)))


@staff_member_required
@permission_required(CHANGE, raise_exception=True)
@require_POST
def warning_action(request, pk: int):
    warning = _scoped_warning(request, pk)
    action, note = request.POST.get("action"), request.POST.get("note", "")
    try:
        if action == "assign_me":
            warning_assign(warning=warning, owner=request.user, actor=request.user, note=note)
        elif action == "review":
            warning_review_start(warning=warning, actor=request.user, note=note)
        elif action == "close":
            warning_close(warning=warning, actor=request.user, note=note)
        elif action == "reopen":
            warning_reopen(warning=warning, actor=request.user, note=note)
        else:
            raise ValidationError({"action": ["未知操作"]})
        messages.success(request, "已保存")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("supervision:warning", pk=warning.pk)


@staff_member_required
@permission_required(VIEW, raise_exception=True)
def provider_detail(request, code: str):
    scope = scope_for_user(request.user)
    provider = get_object_or_404(scope.filter(Provider.objects.select_related("district", "admdvs")),
                                 fixmedins_code=code)
    rows = list(selectors.indicator_list(scope=scope, provider_id=provider.pk))
    if request.GET.get("export") == "xlsx":
        return xlsx_response(filename=f"indicators-{provider.fixmedins_code}.xlsx", sheet="月度指标",
                             headers=[label for _name, label in INDICATOR_COLUMNS],
                             rows=([_indicator_value(r, name) for name, _label in INDICATOR_COLUMNS] for r in rows))
    indicator = request.GET.get("indicator") if request.GET.get("indicator") in CHARTED else "avg_cost"
    chart = line_chart([(period_label(r.period), getattr(r, indicator)) for r in reversed(rows[:24])])
    warnings = selectors.warning_list(scope=scope, provider_id=provider.pk)[:200]
    return render(request, "supervision/provider_detail.html", _context(
        request, f"{provider.fixmedins_name} 监测指标", provider=provider, chart=chart, indicator=indicator,
        charted=[(name, selectors.INDICATOR_LABELS[name]) for name in CHARTED], columns=INDICATOR_COLUMNS,
        table=[[_indicator_value(r, name) for name, _label in INDICATOR_COLUMNS] for r in rows], warnings=warnings))


def _indicator_value(row, name: str):
    if name == "period":
        return period_label(row.period)
    if name in ("fixmedins_code", "fixmedins_name"):
        return getattr(row.provider, name)
    return getattr(row, name)


@staff_member_required
@permission_required(VIEW, raise_exception=True)
def indicator_list(request):
    f = _filters(request)
    rows = selectors.indicator_list(scope=f["scope"], admdvs=f["admdvs"], district=f["district"], period=f["period"])
    if request.GET.get("export") == "xlsx":
        return xlsx_response(filename=f"indicators-{f['period_text']}.xlsx", sheet="月度指标",
                             headers=[label for _name, label in INDICATOR_COLUMNS],
                             rows=([_indicator_value(r, name) for name, _label in INDICATOR_COLUMNS]
                                   for r in rows.iterator(chunk_size=2000)))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "supervision/indicator_list.html", _context(
        request, "机构月度指标", f=f, page=page, columns=INDICATOR_COLUMNS, query=request.GET.urlencode(),
        table=[(r.provider.fixmedins_code, [_indicator_value(r, n) for n, _l in INDICATOR_COLUMNS])
               for r in page.object_list]))


COMPUTE = "supervision.add_providerindicator"


@staff_member_required
@permission_required(COMPUTE, raise_exception=True)
def indicators_compute_page(request):
    """计算监测指标: a region-month's indicators and warnings from the browser, through the same
    service as the beat and ``manage.py compute_indicators`` (``supervision_period_run``, safe to
    repeat). Only whole regions of the user's scope: the indicators compare a region's providers."""
    from django.utils import timezone

    from supervision.periods import month_before
    from supervision.services import supervision_period_run

    scope = scope_for_user(request.user)
    regions = [r for r in Region.objects.order_by("admdvs") if scope.everything or r.admdvs in scope.regions]
    last_month = period_label(month_before(timezone.now()))
    error = ""
    if request.method == "POST":
        admdvs, text = request.POST.get("admdvs", ""), request.POST.get("period", "")
        try:
            if admdvs not in {r.admdvs for r in regions}:
                raise ValidationError({"admdvs": ["请选择您数据范围内的统筹区（须有全市范围）"]})
            period = period_parse(text)
            if period_label(period) > last_month:
                raise ValidationError({"period": [
                    f"{period_label(period)} 尚未结束，只能计算 {last_month} 及以前的月份"]})
            result = supervision_period_run(admdvs=admdvs, period=period)
        except ValidationError as exc:
            error = "；".join(exc.messages)
        else:
            messages.success(request, f"{period_label(period)} 监测指标已计算：{result['indicators']} 家机构，"
                                      f"预警 {result['warnings']} 条")
            return redirect(f"{reverse('supervision:dashboard')}?admdvs={admdvs}&period={period_label(period)}")
    return render(request, "supervision/indicators_compute.html", _context(
        request, "计算监测指标", regions=regions, last_month=last_month, error=error,
        chosen=request.POST.get("admdvs", ""), period_text=request.POST.get("period", last_month)))
