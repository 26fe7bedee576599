"""Payment calendar 结算日历: per region, kind and month of a year, which runs exist and which are due.

A monthly run (capitation or fee-for-service) for month M is due from the 1st of M + 1 (the
scheduled job runs then, 02:00); a year-end run from 5 January of the next year. A period outside
the region's rules (e.g. Heyuan capitation before August 2022) is shown as not applicable. One
query reads the year's runs; everything else is calendar arithmetic.
"""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from .models import SettlementRun
from .services import FEE_FOR_SERVICE_REGIONS, capitation_regions, settlement_period_resolve

YEAR_END_DUE = (1, 5)          # config: beat schedule_year_end_settlements, 5 January


def region_kinds(admdvs: str) -> list[str]:
    kinds = []
    if admdvs in capitation_regions():
        kinds.append("monthly")
    if admdvs in FEE_FOR_SERVICE_REGIONS:
        kinds.append("fee_for_service")
    if admdvs in capitation_regions():
        kinds.append("year_end")
    return kinds


def _state(run, *, applicable: bool, due_on: date, today: date) -> str:
    if run is not None:
        return run.status                    # draft / approved
    if not applicable:
        return "not_applicable"
    return "due" if today >= due_on else "not_yet"


def _applicable(admdvs: str, kind: str, period: str, day_after_end: date) -> bool:
    """Whether the rules give a run for the period (checked as if it were already closed)."""
    try:
        settlement_period_resolve(admdvs=admdvs, kind=kind, period=period, today=day_after_end)
    except ValidationError:
        return False
    return True


def payment_calendar(*, year: int, regions: list[str], today: date) -> list[dict]:
    """Rows {admdvs, kind, cells: [{period, state, run_id}]}: twelve cells for a monthly kind, one for
    year-end. ``state``: approved, draft, due (closed and scheduled, no run yet), not_yet, not_applicable."""
    runs = {(r.admdvs_id, r.kind, r.period): r for r in SettlementRun.objects.filter(
        admdvs_id__in=regions, period__startswith=str(year)).only("id", "admdvs", "kind", "period", "status")}
    rows = []
    for admdvs in regions:
        for kind in region_kinds(admdvs):
            cells = []
            if kind == "year_end":
                periods = [(str(year), date(year + 1, *YEAR_END_DUE), date(year + 1, 1, 1))]
            else:
                periods = [(f"{year}-{m:02d}", date(year + m // 12, m % 12 + 1, 1), date(year + m // 12, m % 12 + 1, 1))
                           for m in range(1, 13)]
            for period, due_on, after_end in periods:
                run = runs.get((admdvs, kind, period))
                state = _state(run, applicable=run is not None or _applicable(admdvs, kind, period, after_end),
                               due_on=due_on, today=today)
                cells.append({"period": period, "state": state, "run_id": run.pk if run else None})
            rows.append({"admdvs": admdvs, "kind": kind, "kind_label": SettlementRun.Kind(kind).label,
                         "cells": cells})
    return rows
