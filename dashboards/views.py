"""The staff dashboard (/dashboard/): a thin view over ``dashboards.selectors``, drawn in the admin's
chrome. Scope comes from ``staff.scope``; the region/district/year filters only narrow it."""
from __future__ import annotations

from datetime import date

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from config import display
from staff.admin_mixins import scoped_regions_and_districts
from staff.audit import access_log
from staff.scope import certno_for, scope_for_user

from . import selectors

PERMISSION = "dashboards.view_dashboard"


def _filters(request) -> selectors.Filters:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year + 1)
    return selectors.Filters(scope=scope_for_user(request.user), admdvs=request.GET.get("admdvs") or None,
                             district=request.GET.get("district") or None, year=year)


@staff_member_required
def dashboard(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    filters = _filters(request)
    today = timezone.localdate()
    day = today if filters.year == today.year else date(filters.year, 12, 31)
    regions, districts = scoped_regions_and_districts(request)
    months = selectors.dashboard_claims_by_month(filters=filters)
    budgets = selectors.dashboard_budget_usage(filters=filters)
    near_cap = selectors.dashboard_members_near_cap(filters=filters, day=day)
    for row in near_cap:
        row["certno"] = certno_for(request.user, row["member"].certno)
    if near_cap:
        access_log(user=request.user, action="view", what="dashboards.near_cap",
                   object_ids=[row["member"].pk for row in near_cap], count=len(near_cap), request=request)
        request.access_logged = True  # staff.middleware: this view has written its own entry
    # Visits and fund payments as two charts, each on its own axis (one chart with two y axes was misread):
    # visits on whole numbers, the fund in ¥.
    line_chart = {"labels": [m["month"] for m in months], "visits": [m["visits"] for m in months],
                  "fund": [str(m["fund"]) for m in months]}
    bar_charts = [{
        "id": f"budget-{region['admdvs']}", "admdvs": region["admdvs"], "name": region["name"],
        "labels": [p["name"] for p in region["providers"]],
        "usage": [str((p["usage"] or 0) * 100) for p in region["providers"]],
        "lower": str(region["lower"] * 100), "upper": str(region["upper"] * 100),
    } for region in budgets]
    context = {
        **admin.site.each_context(request),
        "title": _("工作台"),
        "filters": filters, "regions": regions, "districts": districts,
        "years": list(range(today.year - 3, today.year + 1)),
        "totals": selectors.dashboard_member_totals(filters=filters),
        "providers": selectors.dashboard_members_by_provider(filters=filters, day=day),
        "months": months, "budgets": budgets, "near_cap": near_cap,
        "runs": selectors.dashboard_runs_waiting(filters=filters),
        "calendar": selectors.dashboard_payment_calendar(
            filters=filters, regions=[r.admdvs for r in regions], today=today),
        "calendar_months": [f"{m:02d}" for m in range(1, 13)],
        "renewal_flags": selectors.dashboard_renewal_flags(filters=filters),
        "can_approve": request.user.has_perm("budgets.approve_settlement"),
        "line_chart": line_chart, "bar_charts": bar_charts,
        "chart_strings": {"usage": _("预算使用率（%）"), "lower": _("下档线"), "upper": _("上档线"),
                                     "visits": _("就诊人次"), "fund": _("统筹基金支付（元）")},
        "fund_total": display.money(sum((m["fund"] for m in months), selectors.ZERO)),
        "region_names": selectors.region_names(),
        "visits_total": sum(m["visits"] for m in months),
    }
    return TemplateResponse(request, "dashboards/index.html", context)
