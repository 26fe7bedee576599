"""The set-based part of a settlement run: a few SQL aggregates computed in the database.

Attribution (RULES.md "A member's provider ... for a month, the one in effect on its last day"):

* ``iv``: every sign-up of the region's members with the date the member's NEXT sign-up takes
  effect (``LEAD`` over the member's sign-ups ordered by effective_from, then id: of two rows with
  the same date the later request wins, the earlier one gets an empty interval).
* a member-month belongs to the sign-up with ``effective_from <= month end < next_from``. With months
  numbered year × 12 + month − 1, that is the months k with index(effective_from) <= k <
  index(next_from), so each sign-up row gives its member-months inside the period by arithmetic
  (``lo``/``hi`` in ``spans``) — equivalent to joining a month series and counting, without
  multiplying a million rows by twelve.
* a village clinic's sign-up rolls up to its centre (Nanchang 第二十五条, Heyuan 第十二条); a member
  who left the scheme (``left_on``) on or before a month end is not counted for that month.
* Nanchang only, annual budget only (第二十八条): a member's FIRST sign-up counts the full year, so
  the months of that year before it takes effect are attributed to it too.
* a selection out of the city (Heyuan 第十六条, RULES.md "Out-of-area care") ends the member's in-city
  span like any later sign-up, but counts in no provider's capitation itself (第十二条(六)).
* Nanchang age group (第二十三条, age = budget year − birth year) is a CASE over the birth-date
  ranges of each group, computed in the database, so no per-member code runs.

Each query returns per-(settling provider, age group) counts; money is priced afterwards per line by
the pure region functions. Both queries accept a list of districts (of the settling provider) so a
big run can be split into independent pieces for several workers.
"""
from __future__ import annotations

from calendar import monthrange
from datetime import date

from django.db import connection

from claims.aggregates import money_value

VILLAGE_ROLLUP = """
    JOIN providers_provider p ON p.id = {fk}
    LEFT JOIN providers_provider pc ON p.kind = 'village' AND pc.fixmedins_code = p.parent_code
"""


def tune_transaction() -> None:
    """No JIT for these statements. The planner's row estimates for the window and CASE make it
    compile the query to machine code, which took seconds for a query that runs in a fraction of that
    (measured with EXPLAIN ANALYZE in bench/settlement.py). Call inside a transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def _month_index(column: str) -> str:
    """year × 12 + month − 1 of a date column (NULL stays NULL)."""
    return f"(EXTRACT(YEAR FROM {column})::int * 12 + EXTRACT(MONTH FROM {column})::int - 1)"


def _group_case(year: int, age_groups: list[dict] | None) -> tuple[str, list]:
    """SQL CASE giving a member's age group from the birth date for the budget year (age = year −
    birth year, so ages [a, b] are birth dates from 1 Jan of year − b to 31 Dec of year − a).
    Evaluated once per sign-up row, before the rows are multiplied by months."""
    if not age_groups:
        return "0", []
    branches, params = [], []
    for group in age_groups:
        tests = []
        for low, high in group["ranges"]:
            tests.append("m.brdy BETWEEN %s AND %s")
            oldest = date(1, 1, 1) if high is None else date(max(1, year - high), 1, 1)
            params += [oldest, date(year - low, 12, 31)]
        branches.append(f"WHEN {' OR '.join(tests)} THEN {int(group['group'])}")
    return f"CASE {' '.join(branches)} END", params


def _district_filter(alias_expr: str, districts: list[str] | None) -> tuple[str, list]:
    if not districts:
        return "", []
    return f" AND {alias_expr} IN ({', '.join(['%s'] * len(districts))})", list(districts)


def attribution_counts(*, admdvs: str, year: int, months: list[int], age_groups: list[dict] | None,
                       full_year_first_signup: bool, districts: list[str] | None = None) -> list[tuple]:
    """Rows (settling provider id, district, group, member_months, distinct members)."""
    group_sql, group_params = _group_case(year, age_groups)
    first, last = min(months), max(months)
    assert months == list(range(first, last + 1))
    lo_p, hi_p = year * 12 + first - 1, year * 12 + last          # months [lo_p, hi_p) by index
    start = _month_index("effective_from")
    start_params: list = []
    if full_year_first_signup:
        start = f"CASE WHEN seq = 1 AND effective_from >= %s THEN {lo_p} ELSE {start} END"
        start_params = [date(year, 1, 1)]
    where_district, district_params = _district_filter("district", districts)
    # A piece of a split run: only members with some sign-up in its districts, but ALL their sign-ups
    # (so LEAD sees the next one even in another district); spans are then kept for its districts.
    piece, piece_params = "", []
    if districts:
        providers, provider_params = _settling_providers(admdvs, districts)
        piece = (" AND s.member_id IN (SELECT s2.member_id FROM members_signup s2 "
                 f"WHERE s2.effective_from <= %s AND s2.provider_id IN ({providers}))")
        piece_params = [month_end(year, last), *provider_params]
    members = "COUNT(*)" if first == last else "COUNT(DISTINCT member_id)"
    sql = f"""
        WITH iv AS (
            SELECT s.member_id, COALESCE(pc.id, p.id) AS settle_id, COALESCE(pc.district, p.district) AS district,
                   s.effective_from, LEAD(s.effective_from) OVER w AS next_from, ROW_NUMBER() OVER w AS seq,
                   m.left_on, {group_sql} AS g, p.admdvs AS provider_admdvs
            FROM members_signup s JOIN members_member m ON m.id = s.member_id
            {VILLAGE_ROLLUP.format(fk="s.provider_id")}
            WHERE m.admdvs = %s AND s.effective_from <= %s{piece}
            WINDOW w AS (PARTITION BY s.member_id ORDER BY s.effective_from, s.id)
        ),
        spans AS (
            SELECT member_id, settle_id, district, g,
                   GREATEST({start}, {lo_p}) AS lo,
                   LEAST(COALESCE({_month_index('next_from')}, {hi_p}),
                         COALESCE({_month_index('left_on')}, {hi_p}), {hi_p}) AS hi
            FROM iv WHERE g IS NOT NULL AND provider_admdvs = %s{where_district}
        )
        SELECT settle_id, district, g, SUM(hi - lo), {members} FROM spans WHERE hi > lo
        GROUP BY settle_id, district, g
    """
    params = [*group_params, admdvs, month_end(year, last), *piece_params, *start_params, admdvs, *district_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pid, district, g, int(n), int(count)) for pid, district, g, n, count in cursor.fetchall()]


def _settling_providers(admdvs: str, districts: list[str] | None) -> tuple[str, list]:
    """Ids of the region's providers (whose settling line is in ``districts`` when given) as SQL.

    For a piece of a split run the ids are looked up first and inlined as a list: the planner then
    estimates the claims and sign-ups they select correctly (a COALESCE over the village roll-up in a
    subquery was estimated at 5% of the real rows and led to nested loops ten times slower)."""
    if not districts:
        return "SELECT p.id FROM providers_provider p WHERE p.admdvs = %s", [admdvs]
    where_district, params = _district_filter("COALESCE(pc.district, p.district)", districts)
    with connection.cursor() as cursor:
        cursor.execute(f"""SELECT p.id FROM providers_provider p
                           LEFT JOIN providers_provider pc ON p.kind = 'village' AND pc.fixmedins_code = p.parent_code
                           WHERE p.admdvs = %s{where_district}""", [admdvs, *params])
        ids = [int(row[0]) for row in cursor.fetchall()]
    return (", ".join(str(i) for i in ids) or "NULL"), []


def _claims_where(*, admdvs: str, include_out_of_area: bool, districts: list[str] | None) -> tuple[str, list]:
    """Counted rows: settlements and reversals of the region's members charged to a provider of the
    region (an out-of-city provider's fee-for-service claims are never in capitation)."""
    providers, params = _settling_providers(admdvs, districts)
    where = f"c.admdvs = %s AND c.status IN ('settled', 'reversal') AND c.charged_provider_id IN ({providers})"
    if not include_out_of_area:
        where += " AND c.out_of_area = 'none'"
    return where, [admdvs, *params]


def monthly_claims_selection(*, admdvs: str, start: date, end: date, include_out_of_area: bool,
                             districts: list[str] | None = None) -> tuple[str, list]:
    """WHERE clause (over ``claims_claim c``) of the rows a monthly run counts:

    * every claim (settlement or reversal row) with a visit dated in the month that no approved run
      has counted yet, and
    * every LATE row: a claim or reversal dated in an EARLIER month whose monthly run is already
      approved, which that run did not count (posted or reversed after its approval) — so a reversal
      made after approval lands in the next monthly run computed for the region.
    Rows of an earlier month whose own run is not approved yet stay with that month's run.
    """
    where, params = _claims_where(admdvs=admdvs, include_out_of_area=include_out_of_area, districts=districts)
    ranges = [(start, end), *approved_monthly_ranges(admdvs=admdvs, before=start)]
    dates = " OR ".join(["c.visit_date BETWEEN %s AND %s"] * len(ranges))
    return f"{where} AND c.monthly_run_id IS NULL AND ({dates})", [*params, *(d for r in ranges for d in r)]


def approved_monthly_ranges(*, admdvs: str, before: date) -> list[tuple[date, date]]:
    """The periods of the region's approved monthly runs before ``before``, merged into contiguous
    date ranges (usually one: from the first approved month to last month), so the late-row test is a
    plain date-range predicate the planner can estimate."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT period_start, period_end FROM budgets_settlementrun WHERE admdvs = %s "
                       "AND kind = 'monthly' AND status = 'approved' AND period_end < %s ORDER BY period_start",
                       [admdvs, before])
        rows = cursor.fetchall()
    merged: list[tuple[date, date]] = []
    for first, last in rows:
        if merged and (first - merged[-1][1]).days <= 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def year_claims_selection(*, admdvs: str, start: date, end: date, include_out_of_area: bool,
                          districts: list[str] | None = None) -> tuple[str, list]:
    """WHERE clause of every claim and reversal row with a visit dated in [start, end] (net actual)."""
    where, params = _claims_where(admdvs=admdvs, include_out_of_area=include_out_of_area, districts=districts)
    return f"{where} AND c.visit_date BETWEEN %s AND %s", [*params, start, end]


def claims_sums(*, selection: tuple[str, list]) -> list[tuple]:
    """Rows (settling provider id, district, Σ hifp_pay, claim count): the claims are summed per
    charged provider first (a hash aggregate on a plain column), then the few per-provider sums are
    rolled up to the settling provider (a village clinic's centre)."""
    where, params = selection
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT COALESCE(pc.id, p.id), COALESCE(pc.district, p.district), SUM(x.total), SUM(x.n)
            FROM (SELECT c.charged_provider_id AS pid, SUM(c.hifp_pay) AS total, COUNT(*) AS n
                  FROM claims_claim c WHERE {where} GROUP BY c.charged_provider_id) x
            {VILLAGE_ROLLUP.format(fk="x.pid")}
            GROUP BY COALESCE(pc.id, p.id), COALESCE(pc.district, p.district)
        """, params)
        return [(pid, district, money_value(total), int(n)) for pid, district, total, n in cursor.fetchall()]


def approved_monthly_paid(*, admdvs: str, year: int) -> list[tuple]:
    """Rows (provider id, Σ paid) over the year's APPROVED monthly runs (the year-end ``prepaid``)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT l.provider_id, SUM(l.paid) FROM budgets_settlementline l
            JOIN budgets_settlementrun r ON r.id = l.run_id
            WHERE r.admdvs = %s AND r.kind = 'monthly' AND r.status = 'approved'
              AND r.period_start BETWEEN %s AND %s
            GROUP BY l.provider_id
        """, [admdvs, date(year, 1, 1), date(year, 12, 31)])
        return [(pid, money_value(total)) for pid, total in cursor.fetchall()]


def stamp_claims(*, run_id: int, selection: tuple[str, list]) -> int:
    """Mark the claims a monthly run counted (on approval). Returns how many rows were stamped."""
    where, params = selection
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE claims_claim SET monthly_run_id = %s WHERE id IN (SELECT c.id FROM claims_claim c "
                       f"WHERE {where})", [run_id, *params])
        return cursor.rowcount
