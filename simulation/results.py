"""The one aggregation of a run: the partitions' partial figures summed in SQL, side by side.

The results are JSON on the run (the page, the chart page, the workbook and the API all read it):
scenarios as columns, money as strings to the fen. Capitation regions (Nanchang, Heyuan) also get
each settling provider's year-end budget under the scenario and the band its replayed actual falls
in, priced by the same functions as a real year-end run (budgets/pricing.py, budgets/sql.py).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection

from budgets import pricing, sql as budget_sql
from budgets.models import CountyFund
from budgets.services import settlement_period_resolve
from claims.aggregates import money_value
from claims.models import Claim
from policy.rules import REGIONS
from providers.models import Provider

from .models import Scenario, SimulationRun
from .parameters import parameters_for_year_end

TITLES = {"total": "合计", "month": "按月份", "level": "按医疗机构等级", "person_type": "按人员类别",
          "benefit": "按门诊类别（赣州待遇类别）", "status": "按结算状态", "provider": "按结算归属机构"}
PERSON_TYPES = {"employed": "在职", "retired": "退休"}
LEVELS = {"1": "一级/基层", "2": "二级", "3": "三级"}
BANDS = {"below_80": "低于80%", "80_to_90": "80%–90%", "90_and_over": "90%及以上",
         "80_to_100": "80%–100%", "over_100": "超过100%"}


def _label(breakdown: str, key: str, providers: dict[str, str]) -> str:
    if breakdown == "person_type":
        return PERSON_TYPES.get(key, key)
    if breakdown == "level":
        return LEVELS.get(key, key)
    if breakdown == "benefit":
        return str(dict(Claim.Benefit.choices).get(key, key))
    if breakdown == "status":
        return "重放被拒绝" if key == "refused" else str(dict(Claim.Status.choices).get(key, key))
    if breakdown == "provider":
        return f"{key} {providers.get(key, '')}".strip()
    if breakdown == "total":
        return "全部"
    return key


def results_aggregate(*, run: SimulationRun) -> dict:
    scenarios = list(Scenario.objects.filter(run=run).select_related("based_on").order_by("position"))
    column = {s.pk: n for n, s in enumerate(scenarios)}
    width = len(scenarios)
    with connection.cursor() as cursor:
        cursor.execute("SELECT scenario_id, breakdown, key, SUM(visits), SUM(fund_pay), SUM(medfee) "
                       "FROM simulation_simulationcell WHERE run_id = %s GROUP BY scenario_id, breakdown, key",
                       [run.pk])
        sums = cursor.fetchall()
    table: dict[str, dict[str, dict]] = defaultdict(dict)
    for scenario_id, breakdown, key, visits, fund, medfee in sums:
        row = table[breakdown].setdefault(key, {"visits": [0] * width, "fund_pay": ["0.00"] * width,
                                                "medfee": ["0.00"] * width})
        n = column[scenario_id]
        row["visits"][n], row["fund_pay"][n], row["medfee"][n] = int(visits), str(money_value(fund)), \
            str(money_value(medfee))
    codes = set(table.get("provider", {})) | set(table.get("capitation", {}))
    providers = dict(Provider.objects.filter(fixmedins_code__in=codes).values_list("fixmedins_code", "fixmedins_name"))
    breakdowns = []
    for name, title in TITLES.items():
        rows = table.get(name, {})
        ordered = sorted(rows) if name != "provider" else sorted(
            rows, key=lambda k: -Decimal(rows[k]["fund_pay"][0]))
        breakdowns.append({"name": name, "title": title, "rows": [
            {"key": key, "label": _label(name, key, providers), **rows[key]} for key in ordered]})
    return {
        "scenarios": [_scenario_json(s) for s in scenarios],
        "breakdowns": breakdowns,
        "members": _members(run, column, width),
        "capitation": _capitation(run, scenarios, table.get("capitation", {})),
        "findings": run.findings.count(),
    }


def _scenario_json(scenario: Scenario) -> dict:
    changes = {}
    if scenario.based_on is not None:
        changes = {name: value for name, value in (scenario.values or {}).items()
                   if scenario.based_on.values.get(name) != value}
    return {"id": scenario.pk, "position": scenario.position, "label": scenario.label,
            "based_on": scenario.based_on.version if scenario.based_on else None, "changes": changes}


def _members(run: SimulationRun, column: dict[int, int], width: int) -> dict:
    """Members with a visit in the period: how many, how many reached the annual cap / a sub-cap, and
    the deciles (10%…90%, ``percentile_disc``: an actual member's amount) of fund payment per member."""
    result = {"count": [0] * width, "at_cap": [0] * width, "at_subcap": [0] * width,
              "deciles": [[] for _ in range(width)], "fund_pay": ["0.00"] * width}
    with connection.cursor() as cursor:
        cursor.execute("SELECT scenario_id, COUNT(*), COUNT(*) FILTER (WHERE at_cap), "
                       "COUNT(*) FILTER (WHERE at_subcap), SUM(fund_pay), "
                       "percentile_disc(ARRAY[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9]) "
                       "WITHIN GROUP (ORDER BY fund_pay) FROM simulation_simulationmembertotal "
                       "WHERE run_id = %s GROUP BY scenario_id", [run.pk])
        for scenario_id, count, at_cap, at_subcap, fund, deciles in cursor.fetchall():
            n = column[scenario_id]
            result["count"][n], result["at_cap"][n], result["at_subcap"][n] = count, at_cap, at_subcap
            result["fund_pay"][n] = str(money_value(fund))
            result["deciles"][n] = [str(money_value(d)) for d in deciles]
    return result


def _capitation(run: SimulationRun, scenarios: list[Scenario], actuals: dict[str, dict]) -> dict | None:
    """Per settling provider and scenario: the year-end budget (capitation total), the replayed
    actual and the band/determined amount a year-end run would give. None outside Nanchang/Heyuan."""
    module = REGIONS[run.admdvs_id]
    if not hasattr(module, "CAPITATION_BY_AGE_GROUP"):
        return None
    try:
        period = settlement_period_resolve(admdvs=run.admdvs_id, kind="year_end", period=str(run.year))
    except ValidationError as exc:
        return {"rows": [], "note": "；".join(exc.messages)}
    # The replay tallied by charged provider; a village clinic's line is its centre's (budgets/sql.py).
    settling = _settling_providers(set(actuals))
    prepaid = dict(budget_sql.approved_monthly_paid(admdvs=run.admdvs_id, year=run.year))
    ceilings = {}
    if module.HAS_COUNTY_CEILING:
        ceilings = dict(CountyFund.objects.filter(admdvs_id=run.admdvs_id, year=run.year)
                        .values_list("district_id", "amount"))
    rows: dict[int, dict] = {}
    width = len(scenarios)
    for n, scenario in enumerate(scenarios):
        params = parameters_for_year_end(scenario=scenario, admdvs=run.admdvs_id, year=run.year)
        groups = params.get("age_groups") if module.CAPITATION_BY_AGE_GROUP else None
        attribution = budget_sql.attribution_counts(
            admdvs=run.admdvs_id, year=run.year, months=period.months, age_groups=groups,
            full_year_first_signup=module.FIRST_SIGNUP_COUNTS_FULL_YEAR)
        claims: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
        for code, figures in actuals.items():
            if code in settling:
                claims[settling[code]][0] += Decimal(figures["fund_pay"][n])
                claims[settling[code]][1] += figures["visits"][n]
        partial = {"attribution": attribution,
                   "claims": [[pid, district, str(total), count] for (pid, district), (total, count) in claims.items()]}
        lines = pricing.year_end_lines(module, params, pricing.merge([partial]), prepaid, ceilings)
        for line in lines:
            row = rows.setdefault(line["provider_id"], {
                "provider_id": line["provider_id"], "members": [0] * width, "budget": ["0.00"] * width,
                "actual": ["0.00"] * width, "band": [""] * width, "determined": ["0.00"] * width})
            row["members"][n] = line["members"]
            row["budget"][n], row["actual"][n] = str(line["budget"]), str(line["actual"])
            row["band"][n], row["determined"][n] = line["band"], str(line["determined"])
    names = {p.pk: (p.fixmedins_code, p.fixmedins_name) for p in Provider.objects.filter(pk__in=rows)}
    ordered = sorted(rows.values(), key=lambda r: names[r["provider_id"]][0])
    for row in ordered:
        row["code"], row["name"] = names[row.pop("provider_id")]
        row["band_label"] = [BANDS.get(b, b) for b in row["band"]]
    return {"rows": ordered, "note": ""}


def _settling_providers(codes: set[str]) -> dict[str, tuple[int, str]]:
    """charged provider code -> (settling provider id, its district): a village clinic rolls up to its centre."""
    if not codes:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.fixmedins_code, COALESCE(pc.id, p.id), COALESCE(pc.district, p.district) "
                       "FROM providers_provider p LEFT JOIN providers_provider pc ON p.kind = 'village' "
                       "AND pc.fixmedins_code = p.parent_code WHERE p.fixmedins_code = ANY(%s)", [sorted(codes)])
        return {code: (pid, district) for code, pid, district in cursor.fetchall()}
