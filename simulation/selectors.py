"""Read side of simulation runs: who sees which run, and the results side by side with the
differences from the baseline (the page, the workbook and the API read the same rows)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from staff.scope import scope_for_user

from .models import SimulationFinding, SimulationRun

FIGURES = (("fund_pay", "统筹基金支付"), ("visits", "人次"), ("medfee", "医疗费总额"))


def simulation_runs_visible(*, user) -> QuerySet[SimulationRun]:
    """Runs of the regions the user sees WHOLE: a run's figures cover every district of its region
    (providers, members), so a district clerk sees none."""
    scope = scope_for_user(user)
    runs = SimulationRun.objects.select_related("admdvs", "created_by")
    if scope.everything:
        return runs
    return runs.filter(admdvs_id__in=sorted(scope.regions))


def region_visible(*, user, admdvs: str) -> bool:
    scope = scope_for_user(user)
    return scope.everything or admdvs in scope.regions


def difference(value, base) -> tuple[Decimal, Decimal | None]:
    """(value − base, the change in percent of base to 0.01, None when base is 0)."""
    value, base = Decimal(str(value)), Decimal(str(base))
    diff = value - base
    percent = None if base == 0 else (diff * 100 / base).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return diff, percent


def side_by_side(values: list) -> dict:
    """One figure across the scenarios: the values, and each draft's difference and percentage."""
    base = values[0]
    return {"values": values, "changes": [difference(v, base) for v in values[1:]]}


def comparison_tables(*, run: SimulationRun, figure: str = "fund_pay") -> list[dict]:
    """Every breakdown of the results as rows of ``side_by_side`` of one figure."""
    tables = []
    for table in run.results.get("breakdowns", []):
        tables.append({"name": table["name"], "title": table["title"], "rows": [
            {"label": row["label"], **side_by_side(row[figure])} for row in table["rows"]]})
    members = run.results.get("members")
    if members:
        rows = [{"label": "有就诊的参保人数", **side_by_side(members["count"])},
                {"label": "达到年度最高支付限额人数", **side_by_side(members["at_cap"])},
                {"label": "达到单项限额人数（赣州两病）", **side_by_side(members["at_subcap"])}]
        for n in range(9):
            rows.append({"label": f"人均基金支付 {10 * (n + 1)}% 分位",
                         **side_by_side([d[n] if d else "0.00" for d in members["deciles"]])})
        tables.append({"name": "members", "title": "参保人（封顶人数、人均基金支付分位数）", "rows": rows})
    return tables


def capitation_rows(*, run: SimulationRun) -> list[dict]:
    capitation = run.results.get("capitation") or {}
    return [{"code": row["code"], "name": row["name"], "members": row["members"],
             "budget": side_by_side(row["budget"]), "actual": side_by_side(row["actual"]),
             "determined": side_by_side(row["determined"]), "band": row["band_label"],
             "cells": [{"budget": b, "actual": a, "band": band, "determined": d} for b, a, band, d in
                       zip(row["budget"], row["actual"], row["band_label"], row["determined"])]}
            for row in capitation.get("rows", [])]


def simulation_findings(*, run: SimulationRun, limit: int = 200) -> list[SimulationFinding]:
    return list(SimulationFinding.objects.filter(run=run).order_by("claim_id")[:limit])


def simulation_run_json(*, run: SimulationRun) -> dict:
    """The API's answer: status, progress and (when done) the results."""
    total = run.partitions_total
    return {
        "id": run.pk, "admdvs": run.admdvs_id, "year": run.year, "status": run.status,
        "progress": {"partitions_done": run.partitions_done, "partitions_total": total,
                     "percent": round(100 * run.partitions_done / total) if total else (100 if run.finished else 0)},
        "visits": run.visits, "cancel_requested": run.cancel_requested, "baseline_matches": run.baseline_matches,
        "scenarios": [{"position": s.position, "label": s.label, "based_on": s.based_on.version if s.based_on else None,
                       "values": s.values} for s in run.scenarios.select_related("based_on").order_by("position")],
        "results": run.results or None,
        "findings": [{"claim_id": f.claim_id, "setl_id": f.setl_id, "kind": f.kind,
                      "recorded_fund_pay": str(f.recorded_fund_pay),
                      "replayed_fund_pay": None if f.replayed_fund_pay is None else str(f.replayed_fund_pay),
                      "note": f.note} for f in simulation_findings(run=run, limit=100)],
        "error": run.error or None,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
