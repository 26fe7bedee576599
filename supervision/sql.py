"""The set-based SQL of supervision. Every statement groups over the claims of one region and month
(fee-detail figures come from the claims' per-claim sums, not from the claim items); Python only sees
per-provider aggregate rows or the few flagged claims.

A calendar month's aggregates (``claim_aggregates``) are read from supervision's tallies, kept as the
claims are written (``supervision.tallies``): a few rows per provider. Any other date range is read
by the pair of statements over ``effective_where`` here. The tests run both paths, and the former
month statement over the claims, and hold them to the same figures.

**Counted claims** ("effective"): the month's originals that are not themselves reversals and have not
been reversed. A reversal row and its original cancel out, so neither counts — whatever month the
reversal is dated in. Claims of every other status (settled, not covered, pending review) are visits and
count: supervision looks at what the provider did, not only at what the fund paid.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction

from claims.aggregates import money_value
from supervision.periods import month_add
from supervision.statements import claim_item_table, claim_table, fetch, people_sql
from supervision.tallies import month_aggregates, tallies_catch_up


def effective_where(alias: str = "c") -> str:
    """WHERE clause of the counted claims of a region and month; params: admdvs, start, end."""
    table = claim_table()
    return (f"{alias}.admdvs = %s AND {alias}.visit_date >= %s AND {alias}.visit_date < %s "
            f"AND {alias}.reverses_id IS NULL AND {alias}.status <> 'reversal' "
            f"AND NOT EXISTS (SELECT 1 FROM {table} r WHERE r.reverses_id = {alias}.id AND r.reverses_id IS NOT NULL)")


@contextmanager
def month_snapshot():
    """One consistent view for the several statements of a month (claims keep arriving): REPEATABLE
    READ. Inside a caller's transaction, the caller's isolation applies. The claims written since
    the last catch-up are counted into the tallies first (``tallies_catch_up``): its lock is then
    taken before the snapshot, so the snapshot sees every catch-up before it, and this catch-up
    counts, in the same snapshot, every claim it sees: the tallies hold exactly those."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        tallies_catch_up()
        yield


def claim_aggregates(*, admdvs: str, start: date, end: date, max_per_day: int) -> dict[int, dict]:
    """Per treating provider: visits, total, self-paid parts, fund payment, the fee-detail sums, distinct
    members and the (member, day) groups with more than ``max_per_day`` visits.

    Fee details come from the per-claim sums written with each claim (``Claim.itemised_amount``,
    ``exam_amount``, ``out_of_catalogue_amount``), so the same pass over the claims yields them, with
    no join to the claim items. ``items`` is then {"item_amt", "exam_amt", "out_of_catalogue_amt"}
    over the counted claims that carried fee details, or None when none did (or without the
    fee-detail table).

    A calendar month: from the tallies (``supervision.tallies.month_aggregates``); any other range:
    the pair of statements over ``effective_where``. Both give the same rows:
    (provider_id, visits, total, self-paid, fund, claims with details, items, exam, out-of-catalogue,
    members, repeat-visit days)."""
    itemised = claim_item_table() is not None
    if start.day == 1 and end == month_add(start, 1):
        rows = month_aggregates(admdvs=admdvs, month=start, max_per_day=max_per_day, itemised=itemised)
    else:
        rows = _range_statements(admdvs=admdvs, start=start, end=end, max_per_day=max_per_day, itemised=itemised)
    result = {}
    for provider_id, visits, total, selfpaid, fund, with_items, item, exam, ooc, members, repeat_days in rows:
        items = None
        if itemised and with_items:
            items = {"item_amt": money_value(item), "exam_amt": money_value(exam),
                     "out_of_catalogue_amt": money_value(ooc)}
        result[provider_id] = {"visits": visits, "medfee_sumamt": money_value(total),
                               "selfpaid_amt": money_value(selfpaid), "hifp_pay": money_value(fund), "items": items,
                               "members": members, "repeat_visit_days": int(repeat_days or 0)}
    return result


def _range_statements(*, admdvs: str, start: date, end: date, max_per_day: int, itemised: bool) -> list[tuple]:
    """The sums (one hash aggregate) and the people statement over ``effective_where``, joined by
    provider in Python."""
    where = effective_where("c")
    item_columns = ("SUM(CASE WHEN c.itemised_amount <> 0 THEN 1 ELSE 0 END), SUM(c.itemised_amount), "
                    "SUM(c.exam_amount), SUM(c.out_of_catalogue_amount)") if itemised \
        else "0, 0, 0, 0"
    sums = ("SELECT c.provider_id, COUNT(*), SUM(c.medfee_sumamt), "
            "SUM(c.fulamt_ownpay_amt + c.overlmt_selfpay + c.preselfpay_amt), SUM(c.hifp_pay), "
            f"{item_columns} FROM {claim_table()} c WHERE {where} GROUP BY c.provider_id")
    people = {provider_id: (members, repeat_days) for provider_id, members, repeat_days
              in fetch(people_sql(where), [max_per_day, admdvs, start, end])}
    return [row + people[row[0]] for row in fetch(sums, [admdvs, start, end])]


def peer_percentiles(*, table: str, column: str, places: int, admdvs: str, period: date,
                     percentile: Decimal) -> dict[str, tuple[int, Decimal]]:
    """Per level: (number of peers with a value, the nearest-rank percentile value).

    Nearest rank: the k-th smallest value with k = ceil(p × n), computed in integers (k × 10000 ≥
    p × 10000 × n), so the row is picked without floating point.
    """
    scaled = int((percentile * 10000).to_integral_value())
    sql = (f"SELECT level, n, MIN(value) FROM ("
           f" SELECT level, {column} AS value,"
           f" ROW_NUMBER() OVER (PARTITION BY level ORDER BY {column}) AS rn,"
           f" COUNT(*) OVER (PARTITION BY level) AS n"
           f" FROM {table} WHERE admdvs = %s AND period = %s AND {column} IS NOT NULL) ranked"
           f" WHERE rn * 10000 >= %s * n GROUP BY level, n")
    exponent = Decimal(1).scaleb(-places)
    return {level: (count, value.quantize(exponent))
            for level, count, value in fetch(sql, [admdvs, period, scaled])}


def repeat_visit_claims(*, admdvs: str, start: date, end: date, max_per_day: int,
                        provider_ids: list[int]) -> list[tuple]:
    """Counted claims of (provider, member, day) groups with more than ``max_per_day`` visits, among
    ``provider_ids`` (those whose indicator row counted such groups, so only their claims are read,
    through the (provider, visit_date) index):
    (provider_id, member_id, visit_date, setl_id, medfee_sumamt, hifp_pay)."""
    table = claim_table()
    claims: list[tuple] = []
    for offset in range(0, len(provider_ids), 200):
        chunk = provider_ids[offset:offset + 200]
        marks = ", ".join(["%s"] * len(chunk))
        claims += fetch(
            "SELECT c.provider_id, c.member_id, c.visit_date, c.setl_id, c.medfee_sumamt, c.hifp_pay, c.visit_at, "
            f"c.id FROM {table} c JOIN (SELECT g.provider_id, g.member_id, g.visit_date FROM {table} g"
            f" WHERE g.provider_id IN ({marks}) AND {effective_where('g')}"
            f" GROUP BY g.provider_id, g.member_id, g.visit_date HAVING COUNT(*) > %s) d"
            f" ON d.provider_id = c.provider_id AND d.member_id = c.member_id AND d.visit_date = c.visit_date"
            f" WHERE c.provider_id IN ({marks}) AND {effective_where('c')}",
            chunk + [admdvs, start, end, max_per_day] + chunk + [admdvs, start, end])
    claims.sort(key=lambda row: (row[0], row[1], row[2], row[6], row[7]))
    return [row[:6] for row in claims]


def inpatient_stay_claims(*, admdvs: str, start: date, end: date, stays_table: str) -> list[tuple]:
    """Counted claims dated inside a recorded stay (both ends inclusive; an open stay runs on), except
    those already settled as not covered for that reason (``exclusion = 'inpatient'``):
    (provider_id, member_id, setl_id, visit_date, medfee_sumamt, hifp_pay, stay id, admitted, discharged)."""
    sql = (f"SELECT c.provider_id, c.member_id, c.setl_id, c.visit_date, c.medfee_sumamt, c.hifp_pay, "
           f"s.id, s.admitted_on, s.discharged_on "
           f"FROM {claim_table()} c JOIN {stays_table} s ON s.member_id = c.member_id "
           f"AND c.visit_date >= s.admitted_on AND (s.discharged_on IS NULL OR c.visit_date <= s.discharged_on) "
           f"WHERE {effective_where('c')} AND (c.exclusion IS NULL OR c.exclusion <> 'inpatient') "
           f"ORDER BY c.id, s.admitted_on")
    return fetch(sql, [admdvs, start, end])


def after_leaving_claims(*, admdvs: str, start: date, end: date) -> list[tuple]:
    """Counted claims dated after the member's ``left_on``:
    (provider_id, member_id, setl_id, visit_date, medfee_sumamt, hifp_pay, left_on)."""
    members = apps.get_model("members", "Member")._meta.db_table
    sql = (f"SELECT c.provider_id, c.member_id, c.setl_id, c.visit_date, c.medfee_sumamt, c.hifp_pay, m.left_on "
           f"FROM {claim_table()} c JOIN {members} m ON m.id = c.member_id "
           f"WHERE {effective_where('c')} AND m.left_on IS NOT NULL AND c.visit_date > m.left_on ORDER BY c.id")
    return fetch(sql, [admdvs, start, end])
