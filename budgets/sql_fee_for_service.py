"""The set-based part of a fee-for-service run 按项目付费 (RULES.md "Paying providers").

One statement sums a month's claim rows per charged provider (a hash aggregate on a plain column),
then rolls the few per-provider sums up to the provider that is paid: a village clinic's to its
centre, anything else (a pharmacy, a hospital, an out-of-city provider) its own.

Which rows a run of month M counts is the same rule as the capitation monthly run
(``sql.monthly_claims_selection``): rows dated in M not yet counted by an approved run, plus rows
of earlier months whose fee-for-service run is approved but did not count them (a reversal or a
late claim after approval), stamped in ``Claim.monthly_run_id`` on approval. The two kinds never
count the same row: in Nanyang, Zibo and Ganzhou there is no capitation, and in Heyuan the
fee-for-service rows are exactly those capitation leaves out (see ``fee_for_service_scope``).
"""
from __future__ import annotations

from datetime import date

from django.db import connection

from claims.aggregates import money_value

from .sql import EMERGENCY_OUTSIDE_CAPITATION, VILLAGE_ROLLUP, approved_monthly_ranges

KIND = "fee_for_service"


def fee_for_service_scope(*, admdvs: str, capitation_region: bool) -> tuple[str, list]:
    """WHERE clause (over ``claims_claim c``) of the region's rows paid fee-for-service.

    In a region without capitation: every settlement and reversal of its members, whatever provider
    carries it. In Heyuan (第十二条(六), 第十七条): only what capitation does not carry — visits
    charged to a provider out of the city, and emergencies no in-city selection carries (before any
    selection, or while the selection is out of the city).

    Reading (RULES.md "Paying providers" counts "the visits dated in the month"): a line's visits and
    cost are the settled visits and their reversals. A visit recorded as not covered, or pending
    review (a parameter staff must enter was unset), had no fund payment and is no item the
    provider is paid for."""
    where = "c.admdvs = %s AND c.status IN ('settled', 'reversal')"
    params: list = [admdvs]
    if capitation_region:
        where += (" AND (c.charged_provider_id IN (SELECT po.id FROM providers_provider po WHERE po.admdvs <> %s)"
                  f" OR {EMERGENCY_OUTSIDE_CAPITATION})")
        params.append(admdvs)
    return where, params


def fee_for_service_selection(*, admdvs: str, start: date, end: date, capitation_region: bool) -> tuple[str, list]:
    """The rows a fee-for-service run for [start, end] counts (and stamps on approval)."""
    where, params = fee_for_service_scope(admdvs=admdvs, capitation_region=capitation_region)
    ranges = [(start, end), *approved_monthly_ranges(admdvs=admdvs, kind=KIND, before=start)]
    dates = " OR ".join(["c.visit_date BETWEEN %s AND %s"] * len(ranges))
    return f"{where} AND c.monthly_run_id IS NULL AND ({dates})", [*params, *(d for r in ranges for d in r)]


def fee_for_service_sums(*, selection: tuple[str, list]) -> list[tuple]:
    """Rows (paid provider id, district, Σ hifp_pay, Σ medfee_sumamt, visits, rows).

    ``visits`` is net of reversals (a reversal row counts −1); the sums are too, because a reversal
    row carries the original's amounts negated."""
    where, params = selection
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")          # see sql.tune_transaction
        cursor.execute(f"""
            SELECT COALESCE(pc.id, p.id), COALESCE(pc.district, p.district),
                   SUM(x.fund), SUM(x.medfee), SUM(x.visits), SUM(x.n)
            FROM (SELECT c.charged_provider_id AS pid, SUM(c.hifp_pay) AS fund, SUM(c.medfee_sumamt) AS medfee,
                         SUM(CASE WHEN c.status = 'reversal' THEN -1 ELSE 1 END) AS visits, COUNT(*) AS n
                  FROM claims_claim c WHERE {where} GROUP BY c.charged_provider_id) x
            {VILLAGE_ROLLUP.format(fk="x.pid")}
            GROUP BY COALESCE(pc.id, p.id), COALESCE(pc.district, p.district)
        """, params)
        return [(pid, district, money_value(fund), money_value(medfee), int(visits), int(n))
                for pid, district, fund, medfee, visits, n in cursor.fetchall()]
