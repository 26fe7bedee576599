"""THE REFERENCE, not the app: the month statement supervision ran over the claims before its tallies
(issue 24, ``supervision.tallies``), kept here so the tests (and ``bench/run.py indicators``) hold the
tallies to its figures. Unchanged but for this paragraph; the month indexes it was written for were
dropped (migration supervision 0006), so it now reads the claims table itself — slower, same figures.

A calendar month's indicator aggregates through the month indexes (supervision migration 0004), in
one statement.

Both indexes are partial, over the originals (``reverses_id IS NULL AND status <> 'reversal'``), and
keyed by (admdvs, calendar month, provider, …) so a month of a region is one range read in provider
order — index-only, no sort, without touching the claims' heap (whose jsonb columns make it several
times wider):
  ``AMOUNTS_INDEX``  (admdvs, month, provider) covering the amounts: the sums;
  ``PEOPLE_INDEX``   (admdvs, month, provider, member, day): distinct members and repeat-visit days.
(Two narrow indexes rather than one wide one: an index-only scan unpacks every column of each entry,
and the people statement would pay for eight amounts it never reads.)

**Reversed originals** (counted claims exclude them): probing every claim of the month against the
reversals costs about as much again as the scan (a hash probe per row). Every figure is therefore
taken over all the month's originals, then what its reversed originals contributed is taken off —
they are few (one per reversal row), found from the reversals through the primary key:
  sums, visits, claims with details   all − those of the reversed originals (exact: numeric, integers);
  members      all − the (provider, member) pairs all of whose claims in the month are reversed;
  repeat days  all − the (provider, member, day) groups above the limit with all their claims that
               fall to it or below once their reversed ones are gone.
Those groups are re-counted from the people index for the pairs a reversal touches only. A provider
left with no counted claim has no row. The same figures as ``supervision.sql.effective_where`` gives
(the path of any other date range); the tests run both.
"""
from __future__ import annotations

from datetime import date

from django.apps import apps
from django.db import connection

from supervision.statements import claim_table, fetch, people_sql

AMOUNTS_INDEX = "supervision_claim_amounts_idx"
PEOPLE_INDEX = "supervision_claim_people_idx"
MONTH_KEY = "date_trunc('month', {alias}.visit_date::timestamp)"
# the planner's settings for the statement: each branch streams its index range in order
# (GroupAggregate: no hash table of the month's (provider, member, day) groups), and the pairs
# touched by a reversal are each looked up once (no memoize cache that would never hit)
SETTINGS = {"enable_hashagg": "off", "enable_memoize": "off", "parallel_leader_participation": "off"}


def month_where(alias: str = "c") -> str:
    """The month's originals as the month indexes serve them (their predicate written literally, so
    the planner can prove the partial indexes apply; the month key, not a range of days, which the
    amounts index does not hold); params: admdvs, month."""
    return (f"{alias}.admdvs = %s AND {MONTH_KEY.format(alias=alias)} = %s::timestamp "
            f"AND {alias}.reverses_id IS NULL AND {alias}.status <> 'reversal'")


def _provider_ranges(*, admdvs: str, parts: int) -> list[tuple[str, list]]:
    """``parts`` provider_id ranges holding as many of the region's providers each, as (condition with
    ``{alias}``, params). A provider_id range is a range of the month indexes, so each part reads only
    its slice; claims at a provider of another region still fall in the first or the last range."""
    if parts < 2:
        return [("TRUE", [])]
    provider_table = apps.get_model("providers", "Provider")._meta.db_table
    ids = [row[0] for row in fetch(f"SELECT id FROM {provider_table} WHERE admdvs = %s ORDER BY id", [admdvs])]
    bounds = sorted({ids[len(ids) * n // parts] for n in range(1, parts)}) if len(ids) >= parts else []
    if not bounds:
        return [("TRUE", [])]
    return ([("{alias}.provider_id < %s", [bounds[0]])]
            + [("{alias}.provider_id >= %s AND {alias}.provider_id < %s", [low, high])
               for low, high in zip(bounds, bounds[1:])]
            + [("{alias}.provider_id >= %s", [bounds[-1]])])


def _sum_columns(alias: str, itemised: bool, sign: str = "") -> list[str]:
    """visits, total, self-paid, fund, claims with details, items, exam, out-of-catalogue (NULL sums
    and 0 claims without the fee-detail table); ``sign`` "-" negates them."""
    items = [f"COUNT(*) FILTER (WHERE {alias}.itemised_amount <> 0)", f"SUM({alias}.itemised_amount)",
             f"SUM({alias}.exam_amount)", f"SUM({alias}.out_of_catalogue_amount)"] if itemised \
        else ["0::bigint", "NULL::numeric", "NULL::numeric", "NULL::numeric"]
    columns = ["COUNT(*)", f"SUM({alias}.medfee_sumamt)",
               f"SUM({alias}.fulamt_ownpay_amt) + SUM({alias}.overlmt_selfpay) + SUM({alias}.preselfpay_amt)",
               f"SUM({alias}.hifp_pay)"] + items
    return [f"{sign}({column})" if sign else column for column in columns]


NAMES = ("visits", "total", "selfpaid", "fund", "with_items", "item", "exam", "ooc")


def _reversed_originals(condition: str) -> str:
    """FROM/WHERE of the month's reversed originals ``o`` (within ``condition``), found from their
    reversals ``x`` through the primary key; params: admdvs, month, then the condition's."""
    table = claim_table()
    return (f"{table} x JOIN {table} o ON o.id = x.reverses_id"
            f" WHERE x.reverses_id IS NOT NULL AND {month_where('o')} AND {condition.format(alias='o')}")


def _sums_branch(*, condition: str, itemised: bool) -> str:
    """'s': per provider, the sums over the month's originals less those of its reversed originals
    (a provider left with no counted claim drops out); params: (month + condition's) twice."""
    columns = ", ".join(f"{column} AS {name}" for column, name in zip(_sum_columns("c", itemised), NAMES))
    taken = ", ".join(f"{column} AS {name}" for column, name in zip(_sum_columns("o", itemised, "-"), NAMES))
    # a SUM of bigint is numeric: cast back, the branches' columns must have the same types
    totals = ", ".join(f"SUM({name})::bigint" if name in ("visits", "with_items") else f"SUM({name})"
                       for name in NAMES)
    return (f"SELECT s.provider_id, 's' AS part, {totals}, NULL::bigint AS members, NULL::bigint AS repeat_days"
            f" FROM (SELECT c.provider_id, {columns} FROM {claim_table()} c"
            f"  WHERE {month_where('c')} AND {condition.format(alias='c')} GROUP BY c.provider_id"
            f" UNION ALL SELECT o.provider_id, {taken} FROM {_reversed_originals(condition)}"
            f"  GROUP BY o.provider_id) s GROUP BY s.provider_id HAVING SUM(s.visits) > 0")


def _people_lost(condition: str) -> str:
    """Per provider, the members and repeat days lost to the month's reversed originals: the pairs
    they touch, with the days of their reversed claims as an array, joined to every original of the
    pair in the month (a few people-index entries per pair); params: max_per_day twice, then (month +
    condition's) twice. Plain joins — no CTE, no LATERAL: either would keep the statement's branch
    out of a parallel worker (PostgreSQL 15)."""
    pairs = (f"SELECT o.provider_id, o.member_id, COUNT(*) AS n_rev, array_agg(o.visit_date) AS days"
             f" FROM {_reversed_originals(condition)} GROUP BY o.provider_id, o.member_id")
    days = (f"SELECT pr.provider_id, pr.member_id, pr.n_rev, COUNT(*) AS n_all,"
            f" cardinality(array_positions(pr.days, c.visit_date)) AS n_rev_day"
            f" FROM ({pairs}) pr JOIN {claim_table()} c ON {month_where('c')} AND {condition.format(alias='c')}"
            f" AND c.provider_id = pr.provider_id AND c.member_id = pr.member_id"
            f" GROUP BY pr.provider_id, pr.member_id, pr.n_rev, pr.days, c.visit_date")
    lost = (f"SELECT provider_id, CASE WHEN SUM(n_all) = n_rev THEN 1 ELSE 0 END AS member_lost,"
            f" SUM(CASE WHEN n_all > %s THEN 1 ELSE 0 END - CASE WHEN n_all - n_rev_day > %s THEN 1 ELSE 0 END)"
            f" AS days_lost FROM ({days}) d GROUP BY provider_id, member_id, n_rev")
    return (f"SELECT provider_id, SUM(member_lost) AS members_lost, SUM(days_lost) AS days_lost"
            f" FROM ({lost}) l GROUP BY provider_id")


def _people_branch(*, condition: str) -> str:
    """'p': per provider, distinct members and repeat-visit days over the month's originals less those
    lost to its reversed originals; params: max_per_day, month + condition's, then ``_people_lost``'s."""
    where = f"{month_where('c')} AND {condition.format(alias='c')}"
    return (f"SELECT p.provider_id, 'p', NULL::bigint, NULL::numeric, NULL::numeric, NULL::numeric,"
            f" NULL::bigint, NULL::numeric, NULL::numeric, NULL::numeric,"
            f" p.members - COALESCE(l.members_lost, 0)::bigint, p.repeat_days - COALESCE(l.days_lost, 0)::bigint"
            f" FROM ({people_sql(where)}) p LEFT JOIN ({_people_lost(condition)}) l ON l.provider_id = p.provider_id")


def month_aggregates(*, admdvs: str, month: date, max_per_day: int, itemised: bool) -> list[tuple]:
    """The rows of ``supervision.sql.claim_aggregates`` for the calendar month starting ``month``:
    (provider_id, visits, total, self-paid, fund, claims with details, items, exam, out-of-catalogue,
    members, repeat-visit days) over the counted claims.

    One statement: per provider range, the sums ('s') and the people statement ('p') as the branches
    of one UNION ALL in FROM. The planner runs it as a Parallel Append — each branch whole in one
    worker, the workers side by side — instead of statement after statement: the people statement
    cannot be spread over workers by itself (its (provider, member, day) groups would all meet again
    in the leader). Half as many ranges as parallel workers (one of each branch with two workers); the
    leader only collects the rows (a third busy process on two cores would only take turns)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        workers = int(cursor.fetchone()[0])
    month_params = [admdvs, month]
    branches, params = [], []
    for condition, values in _provider_ranges(admdvs=admdvs, parts=workers // 2):
        scope = month_params + values
        branches.append(_sums_branch(condition=condition, itemised=itemised))
        params += scope + scope
        branches.append(_people_branch(condition=condition))
        params += [max_per_day] + scope + [max_per_day, max_per_day] + scope + scope
    rows = fetch(f"SELECT * FROM ({' UNION ALL '.join(branches)}) u", params, pg_settings=SETTINGS)
    people = {row[0]: row[10:] for row in rows if row[1] == "p"}
    return [(row[0], *row[2:10], *people[row[0]]) for row in rows if row[1] == "s"]
