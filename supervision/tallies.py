"""Supervision's tallies: a month's indicator figures kept as claims are written, so that a month run
reads a few rows per provider instead of every claim of the month.

Why: the month statement over the claims (sums, distinct members, repeat-visit days, less what the
reversed originals contributed) read every claim of the region-month; it was within 3× of the bare
aggregate only when the planner gave it a parallel append on an idle machine (issue 24). A tally
costs each claim a few key look-ups instead, and the month run reads rows in the thousands.

Four tables (``supervision.models``), all over the **counted claims** (``supervision.sql``: the
originals that are not reversals and have not been reversed), keyed by the claim's region:
  ``MemberDayTally``      (region, provider, member, day) → visits: does a claim open, grow or
                          empty a (member, day) group?
  ``MemberMonthTally``    (region, month, provider, member) → days with visits: does a day opened or
                          emptied make the member join or leave the provider-month's members?
  ``VisitsPerDayTally``   (region, month, provider, member shard, visits that day) → (member, day)
                          groups: the repeat-visit days over whatever limit the settings give at run time;
  ``ProviderMonthTally``  (region, month, provider, member shard) → visits, amounts, claims with fee
                          details, distinct members.

Written by ``claim_tallies_add`` — one statement per set of new claim rows, inside the claim's
transaction (the claims writer ``claims.store.settled_write``, with its accumulator update folded
in, and ``claims.services.claim_reverse`` call it), given the new rows as the writer holds them in
memory, so the claims table is not read either (see ``_batch_from_rows``). No tally table is read: each row is found by
its key through ON CONFLICT, so no plan can turn into a scan (one made while the tables were nearly
empty once scanned the day rows for every claim). An original adds itself; a reversal takes its
original's figures out again (the original's, not its own: wherever the reversal is dated, its
original no longer counts). Rebuilt from the claims by ``tallies_rebuild`` (migration supervision
0007, ``manage.py supervision_tallies_rebuild``, a bench that loads claims by COPY).

What it costs a claim (issue 24, measured in interleaved blocks of 50 claims in one process on the
durable cluster, load average 4-6): 7.35 ms per claim without it, 8.25 with it (+0.15 ms client CPU;
the statement itself executes in about 0.2 ms); as a separate round trip or folded, the same.

Locks: a (member, day) or (member, month) row is only ever written under that member's accumulator
lock, which the claims writer holds (``claims.store.accumulators_lock``). The provider-month rows are shared by the
claims of the members of one shard at that provider: each statement upserts its rows in key order
(so two writers wait for each other instead of deadlocking), and holds them until the claim's
transaction commits — the writer calls it last, just before the commit. (A transaction that called
it twice could still deadlock with another: the second statement would take month rows after the
first one's visits-per-day rows. The claims writer calls it once per transaction.)
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache

from django.apps import apps as global_apps
from django.db import connection, transaction

COUNTED_ORIGINAL = "{o}.reverses_id IS NULL AND {o}.status <> 'reversal'"
MONTH = "date_trunc('month', {o}.visit_date)::date"
# The provider-month rows are split by member (member_id % 16): the claims of every member at a
# provider would otherwise queue on one row from their tally statement to their commit; two claims
# of different members now meet on one row once in 16. Members and their (member, day) groups each
# fall in one shard, so the figures are plain sums over the shards.
MEMBER_SHARDS = 16
SUMS = ("visits", "medfee_sumamt", "selfpaid_amt", "hifp_pay", "itemised_claims", "itemised_amount",
        "exam_amount", "out_of_catalogue_amount")


def _tables(apps=global_apps) -> dict[str, str]:
    return {"claim": apps.get_model("claims", "Claim")._meta.db_table,
            "day": apps.get_model("supervision", "MemberDayTally")._meta.db_table,
            "member_month": apps.get_model("supervision", "MemberMonthTally")._meta.db_table,
            "per_day": apps.get_model("supervision", "VisitsPerDayTally")._meta.db_table,
            "month": apps.get_model("supervision", "ProviderMonthTally")._meta.db_table}


def _sum_columns(o: str, sign: str) -> str:
    """The ``SUMS`` of rows ``o`` under their names, each row weighted by ``sign`` (+1 / -1). Self-paid
    is one sum of the three parts (exact numeric, none NULL: the same as the three sums added)."""
    columns = [f"SUM({sign})", f"SUM({sign} * {o}.medfee_sumamt)",
               f"SUM({sign} * ({o}.fulamt_ownpay_amt + {o}.overlmt_selfpay + {o}.preselfpay_amt))",
               f"SUM({sign} * {o}.hifp_pay)", f"SUM(CASE WHEN {o}.itemised_amount <> 0 THEN {sign} ELSE 0 END)",
               f"SUM({sign} * {o}.itemised_amount)", f"SUM({sign} * {o}.exam_amount)",
               f"SUM({sign} * {o}.out_of_catalogue_amount)"]
    return ", ".join(f"{column} AS {name}" for column, name in zip(columns, SUMS, strict=True))


# What a claim adds to the tallies, as the statement reads it from a parameter (``claim_tallies_add``
# with ``claims``): the counted original's figures and +1, or for a reversal its original's and -1.
TALLY_FIELDS = ("admdvs_id", "provider_id", "member_id", "visit_date", "medfee_sumamt", "fulamt_ownpay_amt",
                "overlmt_selfpay", "preselfpay_amt", "hifp_pay", "itemised_amount", "exam_amount",
                "out_of_catalogue_amount")
_ROWS_TYPES = ("admdvs text, provider_id bigint, member_id bigint, visit_date date, medfee_sumamt numeric, "
               "fulamt_ownpay_amt numeric, overlmt_selfpay numeric, preselfpay_amt numeric, hifp_pay numeric, "
               "itemised_amount numeric, exam_amount numeric, out_of_catalogue_amount numeric, sign int")


def _batch_from_ids(t: dict[str, str], shard: str) -> str:
    """The batch read from the claims table by the new rows' ids (tests, rebuild-free repairs)."""
    return f"""SELECT o.admdvs, o.provider_id, o.member_id, o.{shard} AS member_shard, o.visit_date, o.medfee_sumamt,
         o.fulamt_ownpay_amt, o.overlmt_selfpay, o.preselfpay_amt, o.hifp_pay, o.itemised_amount, o.exam_amount,
         o.out_of_catalogue_amount, CASE WHEN c.reverses_id IS NULL THEN 1 ELSE -1 END AS sign
  FROM {t['claim']} c JOIN {t['claim']} o ON o.id = COALESCE(c.reverses_id, c.id)
  WHERE c.id = ANY(%s) AND (c.reverses_id IS NOT NULL OR c.status <> 'reversal')
    AND {COUNTED_ORIGINAL.format(o='o')}"""


def _batch_from_rows(shard: str) -> str:
    """The batch given as a parameter (the writer has the claims in memory): no read of the claims
    table, so no plan over it. Why it matters: as a prepared statement, the join above kept the
    generic plan made while the claims table was nearly empty (a scan of it), and every claim paid a
    scan of the growing table until autovacuum's ANALYZE (tens of milliseconds a claim after a fresh
    start, measured in bench/run.py national and claims)."""
    return f"""SELECT b.admdvs, b.provider_id, b.member_id, b.{shard} AS member_shard, b.visit_date, b.medfee_sumamt,
         b.fulamt_ownpay_amt, b.overlmt_selfpay, b.preselfpay_amt, b.hifp_pay, b.itemised_amount, b.exam_amount,
         b.out_of_catalogue_amount, b.sign
  FROM jsonb_to_recordset(%s::jsonb) AS b({_ROWS_TYPES})"""


@cache
def _add_sql(along: str = "", source: str = "ids") -> str:
    """One statement for a set of new claim rows (their ids, or their figures as a JSON document:
    the last %s), after ``along`` (a first CTE, or ""). Its parts (each a CTE):
      batch      each row's counted original, +1 for an original, -1 for a reversal;
      change     per (member, day) group, the visits it gains or loses;
      days       the groups' rows upserted, returning the visits after (before = after - change);
      opened     per (provider, member, month): days that open (0 → some) or empty (some → 0);
      member_months  their member-month rows upserted by those days, returning the days after;
      members    per provider-month shard, the members gained (days 0 → some) or lost (some → 0);
      per_day    the groups moved between visits-per-day counts;
      the provider-month sums and members, upserted by the main statement.
    Each upsert sorts its rows by key, so two writers take the shared rows in the same order."""
    t = _tables()
    sums_names = ", ".join(SUMS)
    sums_update = ", ".join(f"{name} = t.{name} + EXCLUDED.{name}" for name in SUMS)
    shard = f"member_id %% {MEMBER_SHARDS}"   # %% : the statement has a parameter
    along = f"{along}, " if along else ""
    return f"""
WITH {along}batch AS (
  {_batch_from_ids(t, shard) if source == "ids" else _batch_from_rows(shard)}
), change AS (
  SELECT admdvs, provider_id, member_id, visit_date, SUM(sign)::int AS change FROM batch
  GROUP BY admdvs, provider_id, member_id, visit_date HAVING SUM(sign) <> 0
), days AS (
  INSERT INTO {t['day']} AS t (admdvs, provider_id, member_id, visit_date, visits)
  SELECT admdvs, provider_id, member_id, visit_date, change FROM change
  ORDER BY admdvs, provider_id, member_id, visit_date
  ON CONFLICT (admdvs, provider_id, member_id, visit_date) DO UPDATE SET visits = t.visits + EXCLUDED.visits
  RETURNING t.admdvs, t.provider_id, t.member_id, t.visit_date, t.visits AS after
), moved AS (
  SELECT d.admdvs, {MONTH.format(o='d')} AS month, d.provider_id, d.{shard} AS member_shard, d.member_id,
         d.after - c.change AS visits_before, d.after AS visits_after
  FROM days d JOIN change c USING (admdvs, provider_id, member_id, visit_date)
), opened AS (
  SELECT admdvs, month, provider_id, member_shard, member_id,
         SUM(CASE WHEN visits_before <= 0 AND visits_after > 0 THEN 1
                  WHEN visits_before > 0 AND visits_after <= 0 THEN -1 ELSE 0 END)::int AS opened_days
  FROM moved GROUP BY admdvs, month, provider_id, member_shard, member_id
  HAVING SUM(CASE WHEN visits_before <= 0 AND visits_after > 0 THEN 1
                  WHEN visits_before > 0 AND visits_after <= 0 THEN -1 ELSE 0 END) <> 0
), member_months AS (
  INSERT INTO {t['member_month']} AS t (admdvs, month, provider_id, member_id, days)
  SELECT admdvs, month, provider_id, member_id, opened_days FROM opened
  ORDER BY admdvs, month, provider_id, member_id
  ON CONFLICT (admdvs, month, provider_id, member_id) DO UPDATE SET days = t.days + EXCLUDED.days
  RETURNING t.admdvs, t.month, t.provider_id, t.member_id, t.days AS after
), members AS (
  SELECT o.admdvs, o.month, o.provider_id, o.member_shard,
         SUM(CASE WHEN m.after > 0 THEN 1 ELSE 0 END - CASE WHEN m.after - o.opened_days > 0 THEN 1 ELSE 0 END)
           AS members
  FROM opened o JOIN member_months m USING (admdvs, month, provider_id, member_id)
  GROUP BY o.admdvs, o.month, o.provider_id, o.member_shard
), per_day AS (
  INSERT INTO {t['per_day']} AS t (admdvs, month, provider_id, member_shard, visits_per_day, member_days)
  SELECT admdvs, month, provider_id, member_shard, visits_per_day, SUM(member_days) FROM (
    SELECT admdvs, month, provider_id, member_shard, visits_before AS visits_per_day, -1 AS member_days
    FROM moved WHERE visits_before > 0
    UNION ALL SELECT admdvs, month, provider_id, member_shard, visits_after, 1 FROM moved WHERE visits_after > 0) g
  GROUP BY admdvs, month, provider_id, member_shard, visits_per_day HAVING SUM(member_days) <> 0
  ORDER BY admdvs, month, provider_id, member_shard, visits_per_day
  ON CONFLICT (admdvs, month, provider_id, member_shard, visits_per_day)
  DO UPDATE SET member_days = t.member_days + EXCLUDED.member_days
), sums AS (
  SELECT b.admdvs, {MONTH.format(o='b')} AS month, b.provider_id, b.member_shard, {_sum_columns("b", "b.sign")}
  FROM batch b GROUP BY b.admdvs, {MONTH.format(o='b')}, b.provider_id, b.member_shard
)
INSERT INTO {t['month']} AS t (admdvs, month, provider_id, member_shard, {sums_names}, members)
SELECT s.*, COALESCE(m.members, 0) FROM sums s LEFT JOIN members m USING (admdvs, month, provider_id, member_shard)
ORDER BY admdvs, month, provider_id, member_shard
ON CONFLICT (admdvs, month, provider_id, member_shard)
DO UPDATE SET {sums_update}, members = t.members + EXCLUDED.members"""


def claim_tally_rows(claims: Iterable) -> list[dict]:
    """What new claim rows (``Claim`` objects as written, a reversal with its ``reverses`` loaded) add
    to the tallies: the counted originals (``supervision.sql``) +1, a reversal's original -1."""
    rows = []
    for claim in claims:
        if claim.reverses_id is not None:
            original, sign = claim.reverses, -1
        elif claim.status != "reversal":
            original, sign = claim, 1
        else:
            continue
        if original.reverses_id is not None or original.status == "reversal":
            continue
        row = {name.removesuffix("_id") if name == "admdvs_id" else name: getattr(original, name)
               for name in TALLY_FIELDS}
        rows.append({**{k: v if isinstance(v, int) else str(v) for k, v in row.items()}, "sign": sign})
    return rows


def claim_tallies_add(*, claim_ids: list[int] | None = None, claims: Sequence | None = None,
                      along: tuple[str, list] | None = None) -> None:
    """Count new claim rows into the tallies, in one statement; call it in the transaction that wrote
    them, after they are inserted. Give the rows as written (``claims``: the writers have them in
    memory, and then the claims table is not read) or their ids (``claim_ids``). ``along``: another
    data-modifying statement of that transaction (SQL, parameters), run as the statement's first
    CTE: the claims writer's accumulator update, which then costs no round trip (nor statement) of
    its own. The two touch different tables, so reading the same snapshot changes nothing for either."""
    if claims is not None:
        rows = claim_tally_rows(claims)
        source, argument = "rows", json.dumps(rows) if rows else None
    else:
        source, argument = "ids", list(claim_ids or []) or None
    with connection.cursor() as cursor:
        if argument is None:
            if along:
                cursor.execute(*along)
            return
        if along:
            cursor.execute(_add_sql(f"along AS ({along[0]})", source), [*along[1], argument])
        else:
            cursor.execute(_add_sql(source=source), [argument])


def tallies_rebuild(*, apps=global_apps) -> dict[str, int]:
    """The tallies built anew from every counted claim, set-based (INSERT … SELECT, one per table),
    for a database whose claims were written without them (before migration supervision 0005, or
    loaded by COPY). Claim writes wait meanwhile (a SHARE lock on the claims: a claim written during
    the rebuild would be counted twice or not at all). Returns the row count of each table."""
    t = _tables(apps)
    counted = (f"{COUNTED_ORIGINAL.format(o='c')} AND NOT EXISTS "
               f"(SELECT 1 FROM {t['claim']} r WHERE r.reverses_id = c.id AND r.reverses_id IS NOT NULL)")
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {t['claim']} IN SHARE MODE")
        # the claims' statistics first: claims loaded by COPY into an emptied table have none, and
        # the statements below were then planned for a handful of rows (minutes instead of seconds)
        cursor.execute(f"ANALYZE {t['claim']}")
        cursor.execute(f"TRUNCATE {t['day']}, {t['member_month']}, {t['per_day']}, {t['month']}")
        cursor.execute(
            f"INSERT INTO {t['day']} (admdvs, provider_id, member_id, visit_date, visits) "
            f"SELECT c.admdvs, c.provider_id, c.member_id, c.visit_date, COUNT(*) FROM {t['claim']} c "
            f"WHERE {counted} GROUP BY c.admdvs, c.provider_id, c.member_id, c.visit_date")
        counts["member_days"] = cursor.rowcount
        # its statistics before the two statements that read it (a fresh table has none: the planner
        # then took the provider-months for a handful and joined them in nested loops)
        cursor.execute(f"ANALYZE {t['day']}")
        shard = f"member_id % {MEMBER_SHARDS}"
        cursor.execute(
            f"INSERT INTO {t['member_month']} (admdvs, month, provider_id, member_id, days) "
            f"SELECT d.admdvs, {MONTH.format(o='d')}, d.provider_id, d.member_id, COUNT(*) FROM {t['day']} d "
            f"GROUP BY d.admdvs, {MONTH.format(o='d')}, d.provider_id, d.member_id")
        counts["member_months"] = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {t['per_day']} (admdvs, month, provider_id, member_shard, visits_per_day, member_days) "
            f"SELECT d.admdvs, {MONTH.format(o='d')}, d.provider_id, d.{shard}, d.visits, COUNT(*) FROM {t['day']} d "
            f"GROUP BY d.admdvs, {MONTH.format(o='d')}, d.provider_id, d.{shard}, d.visits")
        counts["visits_per_day"] = cursor.rowcount
        # the sums from the claims and the members from the member-month rows, each aggregated once
        # (MATERIALIZED), then matched
        cursor.execute(
            f"WITH s AS MATERIALIZED (SELECT c.admdvs, {MONTH.format(o='c')} AS month, c.provider_id, "
            f"c.{shard} AS member_shard, {_sum_columns('c', '1')} FROM {t['claim']} c WHERE {counted} "
            f"GROUP BY c.admdvs, {MONTH.format(o='c')}, c.provider_id, c.{shard}), "
            f"m AS MATERIALIZED (SELECT d.admdvs, d.month, d.provider_id, "
            f"d.{shard} AS member_shard, COUNT(*) AS members FROM {t['member_month']} d "
            f"GROUP BY d.admdvs, d.month, d.provider_id, d.{shard}) "
            f"INSERT INTO {t['month']} (admdvs, month, provider_id, member_shard, {', '.join(SUMS)}, members) "
            f"SELECT s.*, m.members FROM s JOIN m USING (admdvs, month, provider_id, member_shard)")
        counts["provider_months"] = cursor.rowcount
        cursor.execute(f"ANALYZE {t['member_month']}, {t['per_day']}, {t['month']}")
    return counts


def month_aggregates(*, admdvs: str, month: date, max_per_day: int, itemised: bool) -> list[tuple]:
    """The rows of ``supervision.sql.claim_aggregates`` for the calendar month starting ``month``,
    read from the tallies: (provider_id, visits, total, self-paid, fund, claims with details, items,
    exam, out-of-catalogue, members, repeat-visit days); a provider left with no counted claim has
    no row. Without the fee-detail table, 0 claims with details and NULL sums (as the range path)."""
    t = _tables()
    items = ("SUM(m.itemised_claims)::bigint, SUM(m.itemised_amount), SUM(m.exam_amount), "
             "SUM(m.out_of_catalogue_amount)" if itemised else "0::bigint, NULL::numeric, NULL::numeric, NULL::numeric")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.provider_id, SUM(m.visits)::bigint, SUM(m.medfee_sumamt), SUM(m.selfpaid_amt), "
            f"SUM(m.hifp_pay), {items}, SUM(m.members)::bigint, "
            f"(SELECT COALESCE(SUM(p.member_days), 0)::bigint FROM {t['per_day']} p WHERE p.admdvs = %s "
            f" AND p.month = %s AND p.provider_id = m.provider_id AND p.visits_per_day > %s) "
            f"FROM {t['month']} m WHERE m.admdvs = %s AND m.month = %s GROUP BY m.provider_id "
            f"HAVING SUM(m.visits) > 0 ORDER BY m.provider_id",
            [admdvs, month, max_per_day, admdvs, month])
        return cursor.fetchall()
