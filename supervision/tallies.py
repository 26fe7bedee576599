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

Counted in sets, off the claim's path (issue 24), found by a watermark of transaction ids: the claims
writer does nothing of supervision's. Each claim row carries the id of the transaction that wrote it
(``claims.Claim.written_xid``, 64 bits, the database's DEFAULT; a BRIN index on it). The invariant,
kept in two small tables (``TallyWatermark``: one row, ``counted_below`` = w; ``TalliedClaimAhead``:
the "ahead" set A):

    the claims counted into the tallies are exactly {claims with written_xid < w} ∪ A.

``tallies_catch_up`` — before any month is read (``month_aggregates``, and first in
``supervision.sql.month_snapshot``) and every minute (Celery beat, ``supervision.tasks``) — under
the tallies' lock, in one statement (one snapshot S) reads x = xmin(S) and every claim visible in S
with written_xid >= w that is not in A; counts those in (``claim_tallies_add``, one statement per set
of ids); then sets w := max(w, x) and keeps in A only the counted claims with written_xid >= w.

Why that is exact. Every transaction whose id is below x had ended when S was taken (xmin: the
oldest transaction still running, or the next id when none was), so a claim with written_xid < x is
committed and visible in S, or never will be. Such a claim is below the old w (counted before), in A
(counted before), or was counted now: nothing below the new w is missing. And no transaction below x
can commit a claim later, so none will ever appear below the watermark uncounted. A claim at or above
the new w that S saw was counted now or before and stays listed in A, so no later catch-up counts it
twice; one S did not see (its transaction still open, or not begun: its id is at least x) is neither
below w nor in A, so the next catch-up counts it once. A plain "highest id counted" mark gets this
wrong: transaction a takes its id, b > a commits a claim, a catch-up counts it and moves past b, then
a commits its own claim below the mark — never counted. Here x <= a while a runs, so a's claim is
found later (tests/supervision/test_tally_queue.py). An idle transaction left open holds x back: A then grows
with every claim committed since it began, and each catch-up reads the claims since then (by the
BRIN index); it costs time, never a figure. The claims recorded before the watermark (migration
claims 0009) carry 0: below any watermark (a transaction id is at least 3), counted by then.

No tally table is read by the catch-up's count: each row is found by its key through ON CONFLICT. An
original adds itself; a reversal takes its original's figures out again (the original's, not its
own: wherever the reversal is dated, its original no longer counts). A reversal is written after its
original committed (or in its transaction), so any snapshot that sees a reversal sees its original.
Rebuilt from the claims by ``tallies_rebuild`` (``manage.py supervision_tallies_rebuild``, a bench
that loads claims by COPY), which sets the watermark and A to what it counted.

What it costs a claim (issue 24, bench/run.py claims, same run, durable cluster): counting a claim in
its own transaction took four upserts in one statement, about 0.3 ms of server CPU and 0.15 ms of
client CPU a claim (the service's ratio to its floor fell by 0.04–0.08); a queue row per claim (the
previous design) still cost 0.36 → 0.32 of the ratio at 2 workers. Now: one BRIN entry in the
table's unsummarized tail, and a DEFAULT computed by the server; no statement, no row elsewhere.
The month run pays for the claims written since the last catch-up (a minute's worth when beat runs;
the tests and benches: none or a few), and a catch-up reads the BRIN index's unsummarized ranges
whole (those autovacuum has not summarized yet: about a minute's claims). Measured on the indicators
bench's 3 M claims (loaded machine): 6 000 claims written in 6 transactions counted in 1.6 s, equal
to the former month statement after; a catch-up with nothing new, 1–3 ms.

Locks: only ``tallies_catch_up`` (and ``tallies_rebuild``, or a caller of ``claim_tallies_add``
alone, as the tests) writes the tallies and the watermark. It takes the provider-month tally in
SHARE ROW EXCLUSIVE mode first, so two catch-ups take turns (each would otherwise count what the
other counts); a claims writer touches nothing of supervision's, so it waits for nothing of it.
"""
from __future__ import annotations

from datetime import date
from functools import cache

from django.apps import apps as global_apps
from django.db import connection, transaction

from claims.models import WRITTEN_XID_INDEX, WRITTEN_XID_PAGES_PER_RANGE

COUNTED_ORIGINAL = "{o}.reverses_id IS NULL AND {o}.status <> 'reversal'"
MONTH = "date_trunc('month', {o}.visit_date)::date"
# The provider-month rows are split by member (member_id % 16): the claims of every member at a
# provider would otherwise queue on one row from their tally statement to their commit; two claims
# of different members now meet on one row once in 16. Members and their (member, day) groups each
# fall in one shard, so the figures are plain sums over the shards.
MEMBER_SHARDS = 16
SUMS = ("visits", "medfee_sumamt", "selfpaid_amt", "hifp_pay", "itemised_claims", "itemised_amount",
        "exam_amount", "out_of_catalogue_amount")
# The new claims are counted in sets of this many (``tallies_catch_up``): one statement a set, its
# id list a parameter of a few tens of kilobytes.
CATCH_UP_SET = 5_000
# The watermark when its row is missing (a test database emptied by a flush, with the claims): every
# transaction id is at least 3 (the first normal one), the claims of before the watermark carry 0.
NO_WATERMARK = 1
# xid8 (a snapshot's xmin) has no cast to bigint, hence by text; as ``claims.models.WRITTEN_XID``.
SNAPSHOT_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


def _tables(apps=global_apps) -> dict[str, str]:
    return {"claim": apps.get_model("claims", "Claim")._meta.db_table,
            "day": apps.get_model("supervision", "MemberDayTally")._meta.db_table,
            "member_month": apps.get_model("supervision", "MemberMonthTally")._meta.db_table,
            "per_day": apps.get_model("supervision", "VisitsPerDayTally")._meta.db_table,
            "month": apps.get_model("supervision", "ProviderMonthTally")._meta.db_table,
            "watermark": _table_if_there(apps, "TallyWatermark"),
            "ahead": _table_if_there(apps, "TalliedClaimAhead")}


def _table_if_there(apps, model: str) -> str | None:
    try:
        return apps.get_model("supervision", model)._meta.db_table
    except LookupError:   # migration 0007's rebuild, before the watermark (0009): nothing to set then
        return None


def _sum_columns(o: str, sign: str) -> str:
    """The ``SUMS`` of rows ``o`` under their names, each row weighted by ``sign`` (+1 / -1). Self-paid
    is one sum of the three parts (exact numeric, none NULL: the same as the three sums added)."""
    columns = [f"SUM({sign})", f"SUM({sign} * {o}.medfee_sumamt)",
               f"SUM({sign} * ({o}.fulamt_ownpay_amt + {o}.overlmt_selfpay + {o}.preselfpay_amt))",
               f"SUM({sign} * {o}.hifp_pay)", f"SUM(CASE WHEN {o}.itemised_amount <> 0 THEN {sign} ELSE 0 END)",
               f"SUM({sign} * {o}.itemised_amount)", f"SUM({sign} * {o}.exam_amount)",
               f"SUM({sign} * {o}.out_of_catalogue_amount)"]
    return ", ".join(f"{column} AS {name}" for column, name in zip(columns, SUMS, strict=True))


def _batch_from_ids(t: dict[str, str], shard: str) -> str:
    """The batch read from the claims table by the new rows' ids (``%s``): each row's counted original,
    +1 for an original, -1 for a reversal (whose original is then read by its primary key too)."""
    return f"""SELECT o.admdvs, o.provider_id, o.member_id, o.{shard} AS member_shard, o.visit_date, o.medfee_sumamt,
         o.fulamt_ownpay_amt, o.overlmt_selfpay, o.preselfpay_amt, o.hifp_pay, o.itemised_amount, o.exam_amount,
         o.out_of_catalogue_amount, CASE WHEN c.reverses_id IS NULL THEN 1 ELSE -1 END AS sign
  FROM {t['claim']} c JOIN {t['claim']} o ON o.id = COALESCE(c.reverses_id, c.id)
  WHERE c.id = ANY(%s) AND (c.reverses_id IS NOT NULL OR c.status <> 'reversal')
    AND {COUNTED_ORIGINAL.format(o='o')}"""


@cache
def _add_sql(apps=global_apps) -> str:
    """One statement for a set of new claim rows (parameters: their ids, again, and the transaction
    id from which they are remembered). Its parts (each a CTE):
      batch      each row's counted original, +1 for an original, -1 for a reversal;
      remembered the rows written at or above that id, listed as counted ahead of the watermark;
      change     per (member, day) group, the visits it gains or loses;
      days       the groups' rows upserted, returning the visits after (before = after - change);
      opened     per (provider, member, month): days that open (0 → some) or empty (some → 0);
      member_months  their member-month rows upserted by those days, returning the days after;
      members    per provider-month shard, the members gained (days 0 → some) or lost (some → 0);
      per_day    the groups moved between visits-per-day counts;
      the provider-month sums and members, upserted by the main statement.
    Each upsert sorts its rows by key, so two writers take the shared rows in the same order."""
    t = _tables(apps)
    sums_names = ", ".join(SUMS)
    sums_update = ", ".join(f"{name} = t.{name} + EXCLUDED.{name}" for name in SUMS)
    shard = f"member_id %% {MEMBER_SHARDS}"   # %% : the statement has a parameter
    return f"""
WITH batch AS (
  {_batch_from_ids(t, shard)}
), remembered AS (
  INSERT INTO {t['ahead']} (claim_id, written_xid)
  SELECT c.id, c.written_xid FROM {t['claim']} c WHERE c.id = ANY(%s) AND c.written_xid >= %s::bigint
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


def claim_tallies_add(*, claim_ids: list[int], remember_from: int | None = None, apps=global_apps) -> None:
    """Count claim rows into the tallies, in one statement (``_add_sql``), by their ids: each row once
    (``tallies_catch_up``'s sets; the tests' rows as they write them). Those written by a transaction
    at or above ``remember_from`` (by default the watermark) are listed in ``TalliedClaimAhead``, so
    that no catch-up counts them again (the invariant, module docstring); a row listed already is
    refused (its primary key), not counted twice."""
    if not claim_ids:
        return
    ids = list(claim_ids)
    with connection.cursor() as cursor:
        if remember_from is None:
            remember_from = _watermark(cursor, _tables(apps))
        cursor.execute(_add_sql(apps), [ids, ids, remember_from])


def _watermark(cursor, t: dict[str, str]) -> int:
    cursor.execute(f"SELECT counted_below FROM {t['watermark']}")
    row = cursor.fetchone()
    return row[0] if row else NO_WATERMARK


def _new_claims_sql(t: dict[str, str], watermark: int) -> str:
    """In one statement, so in one snapshot: its xmin, and the ids of the claims it sees at or above
    the watermark that are not counted ahead. The watermark is written into the text (an int read
    from the table), not sent as a parameter: the connection keeps prepared statements' generic plans
    (config/settings.py), in which ``written_xid >= $1`` is a third of the table and read whole; with
    the number the planner takes the BRIN index's tail ranges (checked by EXPLAIN on 3 M claims)."""
    return (f"SELECT {SNAPSHOT_XMIN}, ARRAY(SELECT c.id FROM {t['claim']} c WHERE c.written_xid >= {int(watermark)} "
            f"AND NOT EXISTS (SELECT 1 FROM {t['ahead']} a WHERE a.claim_id = c.id) ORDER BY c.id)")


def tallies_catch_up() -> int:
    """Count the claims written since the last catch-up into the tallies and move the watermark
    (the invariant and why it holds: module docstring); returns how many were counted. Under a SHARE
    ROW EXCLUSIVE lock of the provider-month tally, held to the end of the transaction: two catch-ups
    take turns, a month read in the same transaction sees the tallies complete, and the claims
    writers, who write nothing of supervision's, never wait. In a REPEATABLE READ transaction call
    it first: the lock is then taken before the snapshot, so a catch-up that committed meanwhile is
    seen (``supervision.sql.month_snapshot``)."""
    t = _tables()
    # no savepoint inside a caller's transaction (two round trips for nothing: if this fails, so does it)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {t['month']} IN SHARE ROW EXCLUSIVE MODE")
        watermark = _watermark(cursor, t)
        cursor.execute(_new_claims_sql(t, watermark))
        snapshot_xmin, claim_ids = cursor.fetchone()
        if claim_ids:
            # Planned for each set, with its ids: a generic plan of the join by id, made while the
            # claims table was nearly empty, scanned the whole table for every set (until the next
            # ANALYZE). For this transaction only; none is spent when nothing is new.
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        for start in range(0, len(claim_ids), CATCH_UP_SET):
            claim_tallies_add(claim_ids=claim_ids[start:start + CATCH_UP_SET], remember_from=snapshot_xmin)
        if claim_ids or snapshot_xmin > watermark:
            # w := max(w, x) (a snapshot's xmin does not go back; max keeps the invariant if it did),
            # and the claims counted ahead that are now below it leave the list
            cursor.execute(
                f"WITH moved AS (INSERT INTO {t['watermark']} AS w (id, counted_below) VALUES (1, %s) "
                f"ON CONFLICT (id) DO UPDATE SET counted_below = GREATEST(w.counted_below, EXCLUDED.counted_below) "
                f"RETURNING w.counted_below) "
                f"DELETE FROM {t['ahead']} a USING moved WHERE a.written_xid < moved.counted_below",
                [snapshot_xmin])
    return len(claim_ids)


def tallies_rebuild(*, apps=global_apps) -> dict[str, int]:
    """The tallies built anew from every counted claim, set-based (INSERT … SELECT, one per table),
    for a database whose claims were written without them (before migration supervision 0005, or
    loaded by COPY). Claim writes wait meanwhile (a SHARE lock on the claims: a claim written during
    the rebuild would be counted twice or not at all). The watermark is then set to what it counted:
    every claim (none is in flight under the lock), so w = the xmin of a snapshot taken now and the
    claims at or above it are listed ahead. Returns the row count of each table."""
    t = _tables(apps)
    counted = (f"{COUNTED_ORIGINAL.format(o='c')} AND NOT EXISTS "
               f"(SELECT 1 FROM {t['claim']} r WHERE r.reverses_id = c.id AND r.reverses_id IS NOT NULL)")
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {t['claim']} IN SHARE MODE")
        # the claims' statistics first: claims loaded by COPY into an emptied table have none, and
        # the statements below were then planned for a handful of rows (minutes instead of seconds)
        cursor.execute(f"ANALYZE {t['claim']}")
        ahead = f", {t['ahead']}" if t["ahead"] else ""
        cursor.execute(f"TRUNCATE {t['day']}, {t['member_month']}, {t['per_day']}, {t['month']}{ahead}")
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
        if t["watermark"]:
            counts["counted_ahead"] = _watermark_set(cursor, t)
    return counts


def _watermark_set(cursor, t: dict[str, str]) -> int:
    """After a rebuild, under its lock: w = the xmin of a snapshot taken now, the claims at or above
    it listed ahead (all of them were counted); how many. And the BRIN index's full ranges
    summarized: claims loaded by COPY sit in unsummarized ranges, which every catch-up would read
    whole until autovacuum came by. Not the last, partial range (``brin_summarize_new_values``
    would): a claim inserted into a summarized range widens its summary, an index write per claim,
    whereas into an unsummarized one it costs nothing (autosummarize takes the range once full)."""
    cursor.execute(
        f"SELECT {SNAPSHOT_XMIN}, (SELECT COALESCE(SUM(brin_summarize_range(%s::regclass, block)), 0) "
        f"FROM generate_series(0, pg_relation_size(%s::regclass) / current_setting('block_size')::int - %s, %s) "
        f"AS block)", [WRITTEN_XID_INDEX, t["claim"], WRITTEN_XID_PAGES_PER_RANGE, WRITTEN_XID_PAGES_PER_RANGE])
    (snapshot_xmin, _summarized), = cursor.fetchall()
    cursor.execute(f"INSERT INTO {t['watermark']} AS w (id, counted_below) VALUES (1, %s) "
                   f"ON CONFLICT (id) DO UPDATE SET counted_below = EXCLUDED.counted_below", [snapshot_xmin])
    cursor.execute(f"INSERT INTO {t['ahead']} (claim_id, written_xid) SELECT c.id, c.written_xid "
                   f"FROM {t['claim']} c WHERE c.written_xid >= {int(snapshot_xmin)}")
    return cursor.rowcount


def month_aggregates(*, admdvs: str, month: date, max_per_day: int, itemised: bool) -> list[tuple]:
    """The rows of ``supervision.sql.claim_aggregates`` for the calendar month starting ``month``,
    read from the tallies: (provider_id, visits, total, self-paid, fund, claims with details, items,
    exam, out-of-catalogue, members, repeat-visit days); a provider left with no counted claim has
    no row. Without the fee-detail table, 0 claims with details and NULL sums (as the range path).
    The claims written since the last catch-up are counted in first (``tallies_catch_up``)."""
    tallies_catch_up()
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
