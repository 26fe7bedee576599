"""Settle a file of visits (the import path): many members' claims per transaction.

Same decisions as settling the visits one by one in visit order (the accumulator evolves in memory
exactly as it would in the table), but per chunk: a handful of set-based reads (members, providers,
sign-ups, idempotency keys), ONE ``SELECT ... FOR UPDATE`` of all the chunk's accumulator rows in
member-id order (so two batches, or a batch and single claims, never deadlock), bulk inserts of the
claims and fee details, one bulk update of the accumulators. A chunk is one transaction; a member's
visits are never split across chunks.

Requests that are refused (unknown member or provider, outside the caller's scope, idempotency key
reused with other content) are reported in their outcome and write nothing; the others are settled.
"""
from __future__ import annotations

import operator
from collections import defaultdict
from typing import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from config.memory import fewer_collections
from config.sequences import ids_draw

from members.models import Member, SignUp
from policy.rules import region_module
from policy.rules.common import apply_deltas
from policy.selectors import parameters_in_force
from providers.models import Provider

from . import services
from .context import ModelColumns, plain_models
from .facts import (accumulator_buckets, accumulator_store, charged_provider_for, claim_build, decide, inputs_json,
                    signup_facts, signups_on)
from .models import Accumulator, Claim, ClaimItem
from .batch_outcomes import BatchOutcome, ClaimSummary
from .batch_workers import settle_side_by_side
from .prepared import json_bytes
from .requests import ClaimRequest, claim_request_check, request_hash_for




def claims_settle_batch(*, requests: Sequence[ClaimRequest], by, chunk_size: int = 2000,
                        workers: int | None = None) -> list[BatchOutcome]:
    """Settle ``requests`` (any order; each member's visits are taken in visit order). Returns one
    ``BatchOutcome`` per request, in input order. Chunks of about ``chunk_size`` claims commit one
    by one, each holding whole members.

    Called outside a transaction on PostgreSQL, ``workers`` processes (default
    ``settings.CLAIMS_BATCH_WORKERS``: CPUs + 1) settle chunks side by side, each on its own
    connection: the decisions run on every CPU, and one chunk's commit overlaps others' work.
    Chunks hold disjoint members and each locks its rows in member order, so they neither wait for
    nor deadlock with one another. Inside a caller's transaction (the all-or-nothing import) there
    is one connection, so chunks run one after another as savepoints."""
    with fewer_collections():
        return _settle(requests=requests, by=by, chunk_size=chunk_size, workers=workers)


def _settle(*, requests: Sequence[ClaimRequest], by, chunk_size: int, workers: int | None) -> list[BatchOutcome]:
    batch = _Batch(requests=requests, by=by)
    if workers is None:
        workers = settings.CLAIMS_BATCH_WORKERS
    side_by_side = workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    chunks = _chunks(batch.by_member, chunk_size=chunk_size, tail=workers * chunk_size if side_by_side else 0)
    if side_by_side and len(chunks) > 1:
        settle_side_by_side(batch, chunks, workers)
    else:
        for chunk in chunks:
            batch.settle_chunk(chunk)
    return batch.outcomes


def _chunks(by_member: dict[int, list[int]], *, chunk_size: int, tail: int) -> list[list[int]]:
    """Members in id order, cut into chunks of about ``chunk_size`` claims; a member's visits are
    never split. The last ``tail`` claims go in chunks a quarter that size: workers taking chunks
    side by side then finish within a small chunk of one another, instead of the last one settling
    a whole chunk alone while the others have nothing left (about 0.2 s of a 100 000-visit file)."""
    remaining = sum(len(indexes) for indexes in by_member.values())
    chunks: list[list[int]] = []
    chunk: list[int] = []
    size = 0
    for member_id in sorted(by_member):
        chunk.append(member_id)
        count = len(by_member[member_id])
        size += count
        remaining -= count
        if size >= (chunk_size if remaining >= tail else max(1, chunk_size // 4)):
            chunks.append(chunk)
            chunk, size = [], 0
    if chunk:
        chunks.append(chunk)
    return chunks


class _Batch:
    """The batch's loaded rows and outcomes; ``settle_chunk`` runs one transaction."""

    def __init__(self, *, requests: Sequence[ClaimRequest], by):
        self.requests, self.by = requests, by
        self.outcomes = [BatchOutcome() for _ in requests]
        self.members = _members(requests)
        self.providers = _providers(requests)
        self.by_member: dict[int, list[int]] = defaultdict(list)
        scope = services.scope_of(by)
        # Each member is looked at once (scope included), not once per visit: this loop runs in the
        # parent before the worker processes start, so its time is not shared out.
        visible = {key: m for key, m in self.members.items()
                   if scope.covers(admdvs=m.admdvs_id, district=m.district_id)}
        for index, request in enumerate(requests):
            try:
                claim_request_check(request)
                member = visible.get((request.admdvs, request.certno))
                if member is None:
                    raise ValidationError({"certno": [f"统筹区 {request.admdvs} 无此参保人 (no such member)"]})
                if request.fixmedins_code not in self.providers:
                    raise ValidationError({"fixmedins_code": [f"定点机构 {request.fixmedins_code} 不存在"]})
            except ValidationError as exc:
                self.outcomes[index].errors = exc.message_dict
                continue
            self.by_member[member.pk].append(index)
        self.member_by_pk = {m.pk: m for m in self.members.values()}

    def settle_chunk(self, member_ids: list[int], *, summarise: bool = True) -> None:
        """One chunk's transaction. Its new claims' outcomes become ``ClaimSummary``s, unless
        ``summarise`` is off (a forked worker, which sends them straight from the ``Claim``: see
        claims/batch_outcomes.py)."""
        requests, outcomes = self.requests, self.outcomes
        indexes = [i for m in member_ids for i in self.by_member[m]]
        # The hash answers a retry under the same key; a visit without a key is never compared.
        hashes = {i: request_hash_for(requests[i]) for i in indexes}
        with transaction.atomic():
            keyed = {requests[i].idempotency_key for i in indexes if requests[i].idempotency_key}
            earlier = {c.idempotency_key: c for c in Claim.objects.filter(idempotency_key__in=keyed)} if keyed else {}
            history = _signup_history([m for m in member_ids
                                       if region_module(self.member_by_pk[m].admdvs_id).HAS_SIGNUP])
            accumulators = _lock_accumulators({(m, requests[i].visit_local.year)
                                               for m in member_ids for i in self.by_member[m]})
            buckets = {key: accumulator_buckets(row) for key, row in accumulators.items()}
            new_claims: list[Claim] = []
            items: list[tuple[Claim, ClaimRequest]] = []
            for member_id in member_ids:
                member = self.member_by_pk[member_id]
                for index in sorted(self.by_member[member_id], key=lambda i: (requests[i].visit_at, i)):
                    request = requests[index]
                    if request.idempotency_key and request.idempotency_key in earlier:
                        _replay(outcomes[index], earlier[request.idempotency_key], hashes[index])
                        continue
                    try:
                        claim = _decide_one(request, member, self.providers[request.fixmedins_code], history,
                                            buckets, hashes[index], self.by)
                    except ValidationError as exc:  # the account payment refused (e.g. payer not bound)
                        outcomes[index].errors = exc.message_dict
                        continue
                    if request.idempotency_key:
                        earlier[request.idempotency_key] = claim
                    new_claims.append(claim)
                    outcomes[index].claim, outcomes[index].created = claim, True
                    if request.fee_details:
                        items.append((claim, request))
            _insert(Claim, new_claims)
            if items:
                _insert(ClaimItem, [
                    ClaimItem(claim=claim, code=d.code, name=d.name, category=d.category, chrgitm_lv=d.chrgitm_lv,
                              amount=d.amount) for claim, request in items for d in request.fee_details])
            _accumulators_write(accumulators, buckets)
        if summarise:
            for index in indexes:
                outcome = outcomes[index]
                if outcome.claim is not None and not isinstance(outcome.claim, ClaimSummary):
                    outcome.claim = ClaimSummary.of(outcome.claim)


def _members(requests: Iterable[ClaimRequest]) -> dict[tuple[str, str], Member]:
    wanted = sorted({(r.admdvs, r.certno) for r in requests})
    if connection.vendor == "postgresql":
        # One join against the arrays of wanted (region, certno); rows built without the ORM's
        # per-row work (claims/context.py) — for a file of visits, tens of thousands of members.
        columns = ModelColumns(Member, "m", connection)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns.sql} FROM {Member._meta.db_table} m JOIN unnest(%s::text[], %s::text[]) "
                           "AS w(admdvs, certno) ON m.admdvs = w.admdvs AND m.certno = w.certno",
                           [[a for a, _ in wanted], [c for _, c in wanted]])
            rows = cursor.fetchall()
        plain = plain_models()
        members = [columns.build(row, 0, connection.alias, connection, plain) for row in rows]
        return {(m.admdvs_id, m.certno): m for m in members}
    by_region: dict[str, set[str]] = defaultdict(set)
    for admdvs, certno in wanted:
        by_region[admdvs].add(certno)
    condition = Q(pk__in=[])
    for admdvs, certnos in by_region.items():
        condition |= Q(admdvs_id=admdvs, certno__in=sorted(certnos))
    return {(m.admdvs_id, m.certno): m for m in Member.objects.filter(condition)}


def _providers(requests: Iterable[ClaimRequest]) -> dict[str, Provider]:
    codes = {r.fixmedins_code for r in requests}
    return {p.fixmedins_code: p for p in Provider.objects.select_related("parent").filter(fixmedins_code__in=codes)}


def _lock_accumulators(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Accumulator]:
    """Create the missing rows, then lock them all with one SELECT ... FOR UPDATE in member order."""
    if connection.vendor == "postgresql":
        return _lock_accumulators_pg(sorted(pairs))
    Accumulator.objects.bulk_create([Accumulator(member_id=m, year=y) for m, y in sorted(pairs)],
                                    ignore_conflicts=True)
    member_ids = sorted({m for m, _ in pairs})
    years = sorted({y for _, y in pairs})
    queryset = Accumulator.objects.filter(member_id__in=member_ids, year__in=years).order_by("member_id", "year")
    if services._LOCKING:
        queryset = queryset.select_for_update()
    return {(a.member_id, a.year): a for a in queryset}


def _lock_accumulators_pg(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], Accumulator]:
    """The same on PostgreSQL in two plain statements over arrays of the (member, year) pairs (the
    ORM's bulk_create and IN-list compile cost more than the statements themselves)."""
    table = Accumulator._meta.db_table
    members, years = _int_array([m for m, _ in pairs]), _int_array([y for _, y in pairs])
    lock = " FOR UPDATE OF a" if services._LOCKING else ""
    columns = ModelColumns(Accumulator, "a", connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (member_id, year, fund_paid, buckets, updated_at) "
            "SELECT m, y, 0, '{}'::jsonb, now() FROM unnest(%s::bigint[], %s::int[]) AS p(m, y) "
            "ON CONFLICT (member_id, year) DO NOTHING", [members, years])
        cursor.execute(
            f"SELECT {columns.sql} FROM {table} a "
            "JOIN unnest(%s::bigint[], %s::int[]) AS p(m, y) ON a.member_id = p.m AND a.year = p.y "
            f"ORDER BY a.member_id, a.year{lock}", [members, years])
        rows = cursor.fetchall()
    plain = plain_models()
    accumulators = [columns.build(row, 0, connection.alias, connection, plain) for row in rows]
    return {(a.member_id, a.year): a for a in accumulators}


def _replay(outcome: BatchOutcome, existing: Claim, request_hash: str) -> None:
    if existing.request_hash != request_hash:
        outcome.errors = {"idempotency_key": [f"幂等键已用于内容不同的结算 {existing.setl_id}"]}
    else:
        outcome.claim, outcome.created = existing, False


def _signup_history(member_ids: list[int]) -> dict[int, list[SignUp]]:
    """Every sign-up of these members, with its provider, in (effective_from, id) order: one query."""
    history: dict[int, list[SignUp]] = defaultdict(list)
    if not member_ids:
        return history
    if connection.vendor != "postgresql":
        for signup in (SignUp.objects.filter(member_id__in=member_ids).select_related("provider")
                       .order_by("member_id", "effective_from", "id")):
            history[signup.member_id].append(signup)
        return history
    # Rows built without the ORM's per-row work, as the members are (claims/context.py).
    signups, providers = ModelColumns(SignUp, "s", connection), ModelColumns(Provider, "p", connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {signups.sql}, {providers.sql} FROM {SignUp._meta.db_table} s "
                       f"JOIN {Provider._meta.db_table} p ON p.id = s.provider_id WHERE s.member_id = ANY(%s::bigint[]) "
                       "ORDER BY s.member_id, s.effective_from, s.id", [member_ids])
        rows = cursor.fetchall()
    plain, width, alias = plain_models(), len(signups.fields), connection.alias
    for row in rows:
        signup = signups.build(row, 0, alias, connection, plain)
        SignUp.provider.field.set_cached_value(signup, providers.build(row, width, alias, connection, plain))
        history[signup.member_id].append(signup)
    return history


def _decide_one(request, member, provider, history, buckets, request_hash, by) -> Claim:
    day = request.visit_local.date()
    signup = signup_provider = None
    if region_module(member.admdvs_id).HAS_SIGNUP:
        in_effect, first = signups_on(history.get(member.pk, []), day)
        signup, signup_provider = signup_facts(in_effect, first), (in_effect.provider if in_effect else None)
    parameters = parameters_in_force(admdvs=member.admdvs_id, day=day)
    key = (member.pk, day.year)
    before = buckets[key]
    decision, set_id = decide(request=request, member=member, provider=provider, signup=signup,
                              parameters=parameters, buckets=before, year=day.year)
    claim = claim_build(
        setl_id=services.setl_id_new(admdvs=member.admdvs_id, day=day), request=request, member=member,
        provider=provider, charged_provider=charged_provider_for(decision, provider, signup_provider),
        decision=decision, parameter_set_id=set_id,
        inputs=inputs_json(request, member, provider, signup, before, parameters),
        request_hash=request_hash, by=by, fast=True)
    if request.acct_used:
        # The personal account (or a bound relative's, 家庭共济) pays the member share, as in the
        # one-claim service; a refusal (payer not bound, ...) is this visit's outcome, and its
        # savepoint leaves no ledger entry and the accumulator as it was.
        claim.member, claim.provider = member, provider
        with transaction.atomic():
            services._pay_member_share(claim=claim, payer_certno=request.acct_payer_certno, by=by)
    else:
        services._pay_member_share(claim=claim)  # all cash: nothing to debit
    if decision.deltas:
        buckets[key] = apply_deltas(before, decision.deltas)
    return claim


def _insert(model, rows: list) -> None:
    """Insert new rows and give them their ids. PostgreSQL: ids drawn from the sequence in one
    query, then ``COPY`` (Django's bulk_create there builds UNNEST arrays, several times slower);
    elsewhere ``bulk_create``. Values go as Python objects; PostgreSQL parses them per column type
    (a binary COPY was measured: no cheaper for the server, dearer for the client)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows, batch_size=500)
        return
    from django.utils import timezone

    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        for row, pk in zip(rows, ids_draw(cursor, table=model._meta.db_table, column=model._meta.pk.column,
                                          count=len(rows))):
            row.pk = pk
            row._state.adding = False
        # Positions in the row (after the id) of the JSON columns; the auto_now(_add) fields stamped first.
        json_positions = [n + 1 for n, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
        stamped = [f.attname for f in fields if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)]
        values_of = operator.itemgetter("id", *(f.attname for f in fields))  # of the instance's __dict__
        encode = _json_text
        with cursor.cursor.copy(_copy_statement(model, connection)) as copy:
            for row in rows:
                for name in stamped:
                    setattr(row, name, now)
                values = list(values_of(row.__dict__))
                for position in json_positions:
                    values[position] = encode(values[position])
                copy.write_row(values)


_COPY_STATEMENTS: dict[tuple, str] = {}


def _copy_statement(model, connection) -> str:
    """The model's COPY statement, the id first; built once."""
    key = (model, connection.alias)
    if key not in _COPY_STATEMENTS:
        meta = model._meta
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in [meta.pk, *(f for f in meta.concrete_fields if not f.primary_key)])
        _COPY_STATEMENTS[key] = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    return _COPY_STATEMENTS[key]


def _json_text(value) -> str:
    return json_bytes(value).decode()  # text COPY takes str; bytes would go as bytea


def _accumulators_write(accumulators: dict, buckets: dict) -> None:
    """All changed rows in one statement (an UPDATE joined to arrays on PostgreSQL)."""
    changed = []
    for key, row in accumulators.items():
        if key not in buckets:
            continue
        old = (row.fund_paid, row.buckets)
        accumulator_store(row, buckets[key])
        if (row.fund_paid, row.buckets) != old:
            changed.append(row)
    if not changed:
        return
    if connection.vendor != "postgresql":
        Accumulator.objects.bulk_update(changed, ["fund_paid", "buckets"], batch_size=500)
        return
    table = Accumulator._meta.db_table
    # One JSON document of the changed rows, not a VALUES list (a statement with thousands of
    # placeholders costs the client more to prepare than the update costs the server) nor array
    # parameters (psycopg dumps a list element by element in Python): orjson writes it in C.
    rows = _json_text([{"id": row.pk, "fund_paid": str(row.fund_paid), "buckets": row.buckets} for row in changed])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET fund_paid = v.fund_paid, buckets = v.buckets, updated_at = now() "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, fund_paid numeric, buckets jsonb) WHERE a.id = v.id",
            [rows])


def _int_array(values: list[int]) -> str:
    """An integer array parameter as PostgreSQL's text form ``{1,2,3}`` (cast in the statement):
    for thousands of ids, a fraction of psycopg's Python dumping of a list."""
    return "{" + ",".join(map(str, values)) + "}"
