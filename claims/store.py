"""The settle step's database edges: one loader and one writer, for one visit or a file of them.

``ledger_load`` reads, for a set of visits, everything the step needs in a handful of set-based
statements and locks the members' accumulator rows; ``settled_write`` inserts the new claims and
their items and writes the accumulator rows back. Both run inside the caller's transaction, which
holds the locks from the read to the commit.

The lock (``accumulators_lock``): a member's accumulator row for a year is created when missing
(``INSERT ... ON CONFLICT DO NOTHING``, so two first claims cannot both create it) and taken with
``SELECT ... FOR UPDATE`` in (member, year) order, so two sets of visits, or a set and a single
claim, wait for each other instead of deadlocking. Nothing else writes ``Accumulator``.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from members.models import Member, OutOfAreaRegistration, SignUp
from policy.rules import REGIONS
from policy.rules.out_of_area import LOCAL_VISITS_READ_REGISTRATIONS
from providers.models import Provider

from .engine import Ledger, MemberBook, Settled
from .facts import accumulator_buckets, accumulator_store
from .models import Accumulator, Claim, ClaimItem
from .requests import ClaimRequest
from .rows import columns, model_from_row, models_insert, models_select, width

# What the loaders leave unread of the member, sign-up, provider and accumulator rows: the rows'
# bookkeeping times, which no decision, record or answer of the settle step reads. PostgreSQL's
# timestamptz text made into aware datetimes was 13 of a member row's 25 µs (a replayed year reads a
# million members; a file of visits about one member for three visits, with the member's
# accumulator and sign-up and its provider: five such times a member). Left deferred on the
# instances, so a reader that wanted one would load it rather than see a wrong value (nothing on
# these paths saves these instances: a save of a deferred instance would write its loaded fields only).
UNREAD = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class LedgerKnown:
    """Member and provider rows the caller has read already while serving this request (the
    national door: the member with the visit, the provider and its centre with the token), used by
    ``ledger_load`` instead of reading them again when they cover every visit's member, or every
    provider named (prescribers included); otherwise it reads them as usual. They are read as
    ``ledger_load`` reads them (a provider with ``parent`` set: its centre or None; every column, or
    all but the ``UNREAD`` times)
    and, as there, before the accumulator lock: a row read a few milliseconds earlier, outside the
    transaction, is no staler than one read inside it before the lock (neither row is locked)."""

    members: tuple[Member, ...] = ()
    providers: tuple[Provider, ...] = ()


def ledger_load(requests: Sequence[ClaimRequest], *, scope, by, parameters, pay_share=None,
                known: LedgerKnown | None = None) -> Ledger:
    """The ledger for ``requests``, their members' accumulator rows locked until the transaction
    ends. Members outside ``scope`` are left out (the step answers them as unknown). ``known``:
    rows the caller read already (``LedgerKnown``)."""
    known = known or LedgerKnown()
    # The previous years' rows (Nanyang's windows opened on 31 December) are locked with the others,
    # in the same (member, year) order, and never created: no row, no window to carry.
    by_key, years, previous, accumulators = _members_locked(requests, scope, known=known.members)
    # Read under the locks: a claim a concurrent request committed for these members is seen here.
    keys = {r.idempotency_key for r in requests if r.idempotency_key}
    recorded = {c.idempotency_key: c for c in models_select(
        Claim, f"SELECT {columns(Claim, 'c')} FROM {Claim._meta.db_table} c WHERE c.idempotency_key = ANY(%s)",
        [sorted(keys)])} if keys else {}
    history = _signups([m.pk for m in by_key.values() if REGIONS[m.admdvs_id].HAS_SIGNUP])
    providers = _providers(requests, known=known.providers)
    registrations = _registrations(_members_needing_registrations(requests, by_key, providers))
    held = _histories(accumulators, previous)
    books = {
        key: MemberBook(member=m, signups=history.get(m.pk, []) if REGIONS[m.admdvs_id].HAS_SIGNUP else None,
                        buckets={y: accumulator_buckets(accumulators[(m.pk, y)]) for y in years.get(m.pk, ())},
                        registrations=registrations.get(m.pk, []),
                        history=held.get(m.pk, {}))
        for key, m in by_key.items()}
    return Ledger(books=books, providers=providers, recorded=recorded, scope=scope, by=by,
                  parameters=parameters, pay_share=pay_share, rows=accumulators)




def ledger_load_fresh(requests: Sequence[ClaimRequest], *, scope, parameters,
                      member_ids: tuple[int, int] | None = None) -> Ledger:
    """A ledger for replaying ``requests`` in memory (policy simulation, issue 22): the same members,
    providers and sign-ups as ``ledger_load``, but every member's buckets start EMPTY for each year
    of the visits, no accumulator row is created or locked (only a January visit's previous-year
    row is read, as ``MemberBook.history``: Nanyang's windows of 31 December), and no recorded
    idempotency key is loaded (the requests carry none). Nothing it returns may be handed to ``settled_write``: its
    ``rows`` is empty on purpose. ``parameters`` is any ``parameters_in_force``-shaped callable, so
    a simulation injects its draft parameter set there. ``member_ids``: the (first, last) member id
    the requests' members lie within, when the caller knows it (a simulation's partition): the
    members are then read by the primary key's range instead of a scan of the members' table (in
    which thousands of certnos are looked for)."""
    by_key, years = _members_and_years(requests, scope, member_ids)
    # The previous year is history, not replayed: its recorded rows, read (not locked), are what a
    # replayed January visit sees of Nanyang's windows opened on 31 December, in every scenario.
    previous = _previous_years(requests, by_key, years)
    held = _histories(accumulator_rows(previous), previous) if previous else {}
    history = _signups([m.pk for m in by_key.values() if REGIONS[m.admdvs_id].HAS_SIGNUP])
    providers = _providers(requests)
    registrations = _registrations(_members_needing_registrations(requests, by_key, providers))
    books = {
        key: MemberBook(member=m, signups=history.get(m.pk, []) if REGIONS[m.admdvs_id].HAS_SIGNUP else None,
                        buckets={y: {} for y in years.get(m.pk, ())}, registrations=registrations.get(m.pk, []),
                        history=held.get(m.pk, {}))
        for key, m in by_key.items()}
    return Ledger(books=books, providers=providers, recorded={}, scope=scope, by=None,
                  parameters=parameters, pay_share=None, rows={})


def settled_write(ledger: Ledger, outcomes: Iterable[Settled]) -> None:
    """Insert the new claims (ids given back to the objects) and their items; write back the
    accumulator rows whose buckets moved, in one statement. Nothing of supervision's: it finds the
    new claims by their transaction's id (``Claim.written_xid``, ``supervision.tallies``)."""
    created = [o for o in outcomes if o.created]
    models_insert(Claim, [o.row for o in created])
    items = []
    for outcome in created:
        if outcome.items:
            claim_id = outcome.row.id  # the claim has its id now
            for item in outcome.items:
                item.claim_id = claim_id
            items.extend(outcome.items)
    models_insert(ClaimItem, items)
    accumulators_write(ledger.rows, {(book.member.pk, year): buckets for book in ledger.books.values()
                                     for year, buckets in book.buckets.items()})


@dataclass(slots=True, eq=False)
class AccumulatorRow:
    """A locked ``Accumulator`` row as the settle step and the writer use it: its id and figures
    (``facts.accumulator_buckets`` reads them, ``facts.accumulator_store`` puts the new ones back,
    ``accumulators_write`` writes them). Not the model instance: a file's ledger locks a row per
    member, and the instance's constructor was a quarter of loading the ledger; nothing reads the
    rest of the row (its ``updated_at`` is the writer's ``now()``)."""

    pk: int
    member_id: int
    year: int
    fund_paid: Decimal
    buckets: dict


def accumulators_lock(pairs: set[tuple[int, int]], existing: set[tuple[int, int]] = frozenset(),
                      locked: dict[tuple[int, int], AccumulatorRow] | None = None
                      ) -> dict[tuple[int, int], AccumulatorRow]:
    """The (member, year) rows, created when missing, locked in (member, year) order; the rows of
    ``existing`` are locked with them when they exist, never created. ``locked``: the rows of these
    members this transaction has locked already, in that order (none of the others existed when it
    looked); they are not looked up again."""
    if not pairs:
        return {}
    wanted = pairs | existing
    rows = accumulator_rows_locked(wanted) if locked is None else locked
    missing = sorted(pairs - rows.keys())
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Accumulator._meta.db_table} (member_id, year, fund_paid, buckets, updated_at) "
                "SELECT m, y, 0, '{}'::jsonb, now() FROM unnest(%s::bigint[], %s::int[]) AS p(m, y) "
                "ON CONFLICT (member_id, year) DO NOTHING", [[m for m, _ in missing], [y for _, y in missing]])
        rows = accumulator_rows_locked(wanted)
    return rows


def accumulator_rows_locked(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], AccumulatorRow]:
    # By the (member, year) unique index; the rows of these members in another of these years are
    # locked too (the same members, in the same order: harmless), and left out here.
    return accumulator_rows(pairs, lock=" FOR UPDATE")


def accumulator_rows(pairs: set[tuple[int, int]], lock: str = "") -> dict[tuple[int, int], AccumulatorRow]:
    """The (member, year) rows that exist; ``lock`` " FOR UPDATE" locks them (the settle step)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, a.member_id, a.year, a.fund_paid, a.buckets FROM {Accumulator._meta.db_table} a "
            f"WHERE a.member_id = ANY(%s) AND a.year = ANY(%s) ORDER BY a.member_id, a.year{lock}",
            [sorted({m for m, _ in pairs}), sorted({y for _, y in pairs})])
        rows = cursor.fetchall()
    return {(member_id, year): _accumulator_row(pk, member_id, year, fund_paid, buckets)
            for pk, member_id, year, fund_paid, buckets in rows if (member_id, year) in pairs}


def _accumulator_row(pk: int, member_id: int, year: int, fund_paid: Decimal, buckets) -> AccumulatorRow:
    # The JSON as the model's field reads it (``from_db_value``), the rest as the driver gives it.
    return AccumulatorRow(pk=pk, member_id=member_id, year=year, fund_paid=fund_paid,
                          buckets=Accumulator._meta.get_field("buckets").from_db_value(buckets, None, connection))


# The rows whose buckets changed, in one statement: an UPDATE joined to a JSON document of the new
# values (one parameter, whatever the number of rows). ``a.id = ANY(...)`` lets PostgreSQL find the
# rows by the primary key whatever it guesses of the document's length (without it, a prepared plan
# joined the document to a scan of the whole table).
ACCUMULATORS_UPDATE = (
    f"UPDATE {Accumulator._meta.db_table} AS a SET fund_paid = v.fund_paid, buckets = v.buckets, "
    "updated_at = now() FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, fund_paid numeric, buckets jsonb) "
    "WHERE a.id = ANY(%s) AND a.id = v.id")


def accumulators_write(rows: dict[tuple[int, int], AccumulatorRow], buckets: dict[tuple[int, int], dict]) -> None:
    """Write back the rows whose buckets changed (``ACCUMULATORS_UPDATE``)."""
    changed = accumulators_changed(rows, buckets)
    if changed:
        with connection.cursor() as cursor:
            cursor.execute(ACCUMULATORS_UPDATE, changed)


def accumulators_changed(rows: dict[tuple[int, int], AccumulatorRow],
                         buckets: dict[tuple[int, int], dict]) -> list | None:
    """The rows given their new ``buckets``; the parameters of ``ACCUMULATORS_UPDATE`` for those
    whose figures changed, or None when none did."""
    changed = []
    for key, new in buckets.items():
        row = rows[key]
        old = (row.fund_paid, row.buckets)
        accumulator_store(row, new)
        if (row.fund_paid, row.buckets) != old:
            changed.append(row)
    if not changed:
        return None
    document = json.dumps([{"id": row.pk, "fund_paid": str(row.fund_paid), "buckets": row.buckets}
                           for row in changed])
    return [document, [row.pk for row in changed]]


def _members_locked(requests: Sequence[ClaimRequest], scope, known: Sequence[Member] = ()
                    ) -> tuple[dict, dict[int, set[int]], set[tuple[int, int]], dict[tuple[int, int], AccumulatorRow]]:
    """``_members_and_years`` and the members' accumulator rows for those years, locked
    (``accumulators_lock``), in one statement when every such row exists already (the members
    joined to their rows, the rows locked in (member, year) order as ``accumulator_rows_locked``
    locks them): a round trip less on every claim but a member's first of a year, 0.18-0.19 ms of
    the worker's CPU and 0.03-0.05 ms of PostgreSQL's a claim of the ~5 ms a ``POST
    /api/v1/claims/`` costs (measured in-process on the durable cluster, one transaction a visit,
    400 visits × 7 rounds, against the member read then the lock). Otherwise (a
    member with no row for the year, an unknown member), what that statement did not find is read
    as before, and ``accumulators_lock`` creates the missing rows. ``known``: ``LedgerKnown.members``.

    Also the previous years a January visit reads (``_previous_years``): their rows locked in the
    same order when they exist, never created. Returns (members by key, years, previous, rows)."""
    locked: dict[tuple[int, int], AccumulatorRow] | None = None
    if not known:
        locked = {}
        wanted = {(r.admdvs, r.certno) for r in requests}
        width_ = width(Member, UNREAD)
        read: dict[int, Member] = {}
        with connection.cursor() as cursor:
            # The rows of a member out of the scope are locked too, and left out below (as the
            # members are): a lock taken for nothing, in the same order, until the transaction ends.
            cursor.execute(
                f"SELECT {columns(Member, 'm', UNREAD)}, a.id, a.year, a.fund_paid, a.buckets "
                f"FROM {Member._meta.db_table} m JOIN {Accumulator._meta.db_table} a ON a.member_id = m.id "
                "WHERE m.certno = ANY(%s) AND m.admdvs = ANY(%s) AND a.year = ANY(%s) "
                "ORDER BY m.id, a.year FOR UPDATE OF a",
                [sorted({c for _, c in wanted}), sorted({a for a, _ in wanted}), _years_read(requests)])
            for row in cursor.fetchall():
                member = read.get(row[0])
                if member is None:
                    member = read[row[0]] = model_from_row(Member, row, unread=UNREAD)
                locked[(member.pk, row[width_ + 1])] = _accumulator_row(row[width_], member.pk, *row[width_ + 1:])
        known = [m for m in read.values() if (m.admdvs_id, m.certno) in wanted]
    by_key, years = _members_and_years(requests, scope, known=known)
    previous = _previous_years(requests, by_key, years)
    pairs = {(m, y) for m, ys in years.items() for y in ys}
    if locked is None or not pairs <= locked.keys():
        locked = accumulators_lock(pairs, existing=previous, locked=locked)
    return by_key, years, previous, {pair: locked[pair] for pair in pairs | previous if pair in locked}


def _years_read(requests: Sequence[ClaimRequest]) -> list[int]:
    """The accumulator years the members' statement reads: the visits' own, and the year before a
    January visit that reads it (``_year_before``)."""
    years = {request.visit_local.year for request in requests}
    years.update(year for year in map(_year_before, requests) if year is not None)
    return sorted(years)


def _members_and_years(requests: Sequence[ClaimRequest], scope, member_ids: tuple[int, int] | None = None,
                       known: Sequence[Member] = ()) -> tuple[dict, dict[int, set[int]]]:
    """(admdvs, certno) -> member for the members ``scope`` covers, and member id -> the years of
    their visits (the accumulator years the ledger holds). ``known``: ``LedgerKnown.members``."""
    wanted = {(r.admdvs, r.certno) for r in requests}
    covered = [m for m in known if (m.admdvs_id, m.certno) in wanted]
    if not known or {(m.admdvs_id, m.certno) for m in covered} != wanted:
        covered = _members(requests, member_ids)
    members = [m for m in covered
               if scope.covers(admdvs=m.admdvs_id, district=m.district_id)]
    by_key = {(m.admdvs_id, m.certno): m for m in members}
    years: dict[int, set[int]] = defaultdict(set)
    for request in requests:
        member = by_key.get((request.admdvs, request.certno))
        if member is not None:
            years[member.pk].add(request.visit_local.year)
    return by_key, years


def _previous_years(requests: Sequence[ClaimRequest], by_key: dict, years: dict[int, set[int]]) -> set[tuple[int, int]]:
    """(member id, year) of the previous years the ledger holds without a visit in them: the year
    before a visit that reads it (``_year_before``), when the member's set has no visit in that year."""
    previous = set()
    for request in requests:
        year = _year_before(request)
        if year is None:
            continue
        member = by_key.get((request.admdvs, request.certno))
        if member is not None and year not in years.get(member.pk, ()):
            previous.add((member.pk, year))
    return previous


def _year_before(request: ClaimRequest) -> int | None:
    """The previous year a visit reads: a January visit in a region whose windows cross the year end
    (policy/rules/nanyang.py ``WINDOWS_CROSS_THE_YEAR``; a window of its 24 hours reaches at most into
    1 January, the core decides which are still open). The request's ``admdvs`` is its member's."""
    local = request.visit_local
    if local.month == 1 and getattr(REGIONS.get(request.admdvs), "WINDOWS_CROSS_THE_YEAR", False):
        return local.year - 1
    return None


def _histories(rows: dict, previous: set[tuple[int, int]]) -> dict[int, dict[int, dict]]:
    """member id -> ``MemberBook.history``: the previous years' buckets, for the rows that exist."""
    histories: dict[int, dict[int, dict]] = defaultdict(dict)
    for member_id, year in previous:
        if (member_id, year) in rows:
            histories[member_id][year] = accumulator_buckets(rows[(member_id, year)])
    return histories


def _members(requests: Sequence[ClaimRequest], member_ids: tuple[int, int] | None = None) -> list[Member]:
    wanted = {(r.admdvs, r.certno) for r in requests}
    if member_ids:
        # A known id range (a simulation's partition): read by the primary key and matched here.
        # Thousands of certnos in ``ANY`` next to the range made PostgreSQL test each row of the
        # range against the whole list (1.4 s for a partition of 6 700 members, against 7 ms).
        where, params = "m.id BETWEEN %s AND %s", list(member_ids)
    else:
        # By the (certno, region) index for one visit or ten thousand; the pairs are matched here.
        where, params = "m.certno = ANY(%s) AND m.admdvs = ANY(%s)", [sorted({c for _, c in wanted}),
                                                                       sorted({a for a, _ in wanted})]
    members = models_select(Member, f"SELECT {columns(Member, 'm', UNREAD)} FROM {Member._meta.db_table} m "
                            f"WHERE {where}", params, UNREAD)
    return [m for m in members if (m.admdvs_id, m.certno) in wanted]


def _providers(requests: Sequence[ClaimRequest], known: Sequence[Provider] = ()) -> dict[str, Provider]:
    """Each requested provider with its centre (a village clinic's fund payments go to its centre),
    and the prescribers of pharmacy fills. ``known``: ``LedgerKnown.providers``."""
    table = Provider._meta.db_table
    codes = {r.fixmedins_code for r in requests}
    codes.update(r.prescribing_fixmedins_code for r in requests if r.prescribing_fixmedins_code)
    given = {p.fixmedins_code: p for p in known if p.fixmedins_code in codes}
    if known and given.keys() == codes:
        return given
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns(Provider, 'p', UNREAD)}, {columns(Provider, 'c', UNREAD)} FROM {table} p "
                       f"LEFT JOIN {table} c ON c.fixmedins_code = p.parent_code WHERE p.fixmedins_code = ANY(%s)",
                       [sorted(codes)])
        rows = cursor.fetchall()
    providers = {}
    for row in rows:
        provider = model_from_row(Provider, row, unread=UNREAD)
        provider.parent = model_from_row(Provider, row, width(Provider, UNREAD), unread=UNREAD)
        providers[provider.fixmedins_code] = provider
    return providers


def _signups(member_ids: list[int]) -> dict[int, list[SignUp]]:
    """Every sign-up of these members with its provider, in (effective_from, id) order."""
    history: dict[int, list[SignUp]] = defaultdict(list)
    if not member_ids:
        return history
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns(SignUp, 's', UNREAD)}, {columns(Provider, 'p', UNREAD)} "
                       f"FROM {SignUp._meta.db_table} s "
                       f"JOIN {Provider._meta.db_table} p ON p.id = s.provider_id WHERE s.member_id = ANY(%s) "
                       "ORDER BY s.member_id, s.effective_from, s.id", [member_ids])
        rows = cursor.fetchall()
    # One instance per provider, shared by its sign-ups (read-only here): a region's members sign up
    # with a few dozen providers, and an instance made per sign-up was a fifth of loading a file's ledger.
    providers: dict[int, Provider] = {}
    start = width(SignUp, UNREAD)
    for row in rows:
        signup = model_from_row(SignUp, row, unread=UNREAD)
        provider = providers.get(signup.provider_id)
        if provider is None:
            provider = providers[signup.provider_id] = model_from_row(Provider, row, start, unread=UNREAD)
        signup.provider = provider
        history[signup.member_id].append(signup)
    return history


def _members_needing_registrations(requests: Sequence[ClaimRequest], by_key: dict, providers: dict) -> list[int]:
    """The members whose visits read their out-of-area registrations: a visit at a provider outside
    the member's region (out_of_area is derived from them), and every visit of a member of a region
    whose local rules read them (Nanchang: the resettled yearly cap and 第三十二条; policy/rules/
    out_of_area.py ``LOCAL_VISITS_READ_REGISTRATIONS``). The others' local visits never look, so
    the common claim (a local visit elsewhere) sends no statement for them."""
    needing = set()
    for request in requests:
        member = by_key.get((request.admdvs, request.certno))
        if member is None:
            continue
        provider = providers.get(request.fixmedins_code)
        if member.admdvs_id in LOCAL_VISITS_READ_REGISTRATIONS or (
                provider is not None and provider.admdvs_id != member.admdvs_id):
            needing.add(member.pk)
        # A pharmacy fill whose prescriber is of another area: allowed only from the destination of
        # the registration in force (claims/prescriptions.py).
        prescriber = providers.get(request.prescribing_fixmedins_code) if request.prescribing_fixmedins_code else None
        if prescriber is not None and prescriber.admdvs_id != member.admdvs_id:
            needing.add(member.pk)
    return sorted(needing)


def _registrations(member_ids: list[int]) -> dict[int, list[OutOfAreaRegistration]]:
    """Every out-of-area registration of these members, in (start_on, id) order: one statement by
    the (member, start_on, id) index, whatever the number of visits (most members have none)."""
    history: dict[int, list[OutOfAreaRegistration]] = defaultdict(list)
    if not member_ids:
        return history
    table = OutOfAreaRegistration._meta.db_table
    for registration in models_select(
            OutOfAreaRegistration, f"SELECT {columns(OutOfAreaRegistration, 'r')} FROM {table} r "
            "WHERE r.member_id = ANY(%s) ORDER BY r.member_id, r.start_on, r.id", [member_ids]):
        history[registration.member_id].append(registration)
    return history
