"""Claims services: settle one visit, reverse a settlement. Each is one database transaction:
``transaction.atomic()``, or, for the common claim outside any transaction on PostgreSQL, the same
statements as one implicit transaction sent in two round trips (``_settle_pipelined``,
claims/pipeline.py).

A claim is (ARCHITECTURE.md): load member, provider, sign-up and parameters → lock the member's
accumulator row for the visit's year → the policy core decides → insert the settlement record (with
its inputs, parameter version and steps) → split the member's share (``_pay_member_share``) → apply
the decision's deltas to the accumulator. A reversal inserts the negated record and applies the
negated deltas under the same lock. Nothing else writes ``Claim`` or ``Accumulator``.

Errors: bad input → ``ValidationError`` naming the field (400); a conflict with recorded state
(idempotency key reused with other content, double reversal, reversing a reversal) → ``Conflict``
(409); an unknown or out-of-scope settlement → ``Http404``. A refused request writes nothing.

``by`` is the acting user; their district scope limits which members may be claimed for.
``by=None`` means the system itself (tasks, commands) and sees every district.
"""
from __future__ import annotations

import functools
import os
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.http import Http404

from config.errors import Conflict
from members.models import Member, SignUp
from policy.rules import REGIONS
from policy.rules.common import apply_deltas, negate_deltas
from policy.selectors import parameters_in_force
from providers.models import Provider
from staff.scope import scope_for_user

from .context import claim_context_lock
from .facts import (accumulator_buckets, accumulator_store, charged_provider_for, claim_build, decide,
                    inputs_json, signup_facts, signups_on)
from .models import Accumulator, Claim, ClaimItem
from .pipeline import PipelineDeclined, claim_pipeline, claim_pipeline_possible
from .prepared import PreparedGet, insert_and_update
from .requests import ClaimRequest, claim_request_check, request_hash_for

# Test-only switch: the concurrency test turns the row lock off to show that it is what keeps the
# accumulator right. Never set outside tests.
_LOCKING = True

# The hot path's statements, compiled once per process (see claims/prepared.py).
_MEMBER = PreparedGet(lambda admdvs, certno: Member.objects.filter(admdvs_id=admdvs, certno=certno),
                      admdvs="\x00admdvs", certno="\x00certno")
_PROVIDER = PreparedGet(lambda code: Provider.objects.select_related("parent").filter(fixmedins_code=code),
                        code="\x00code")
_ACCUMULATOR_LOCKED = PreparedGet(
    lambda member_id, year: Accumulator.objects.select_for_update().filter(member_id=member_id, year=year),
    member_id=987654321987, year=32001)
_ACCUMULATOR_UNLOCKED = PreparedGet(
    lambda member_id, year: Accumulator.objects.filter(member_id=member_id, year=year),
    member_id=987654321987, year=32001)
# The member's whole sign-up history (a few rows): the rule of members.selectors applies to it
# (signup_in_effect: latest effective_from <= day, then the later request; member_first_signup).
_SIGNUPS = PreparedGet(
    lambda member_id: SignUp.objects.select_related("provider").filter(member_id=member_id)
    .order_by("effective_from", "id"), many=True, member_id=987654321987)
ACCUMULATOR_FIELDS = ("fund_paid", "buckets", "updated_at")

NEGATED = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay", "exam_amount",
           "out_of_catalogue_amount", "itemised_amount")


def setl_id_new(*, admdvs: str, day) -> str:
    """A settlement id: region, visit day and 16 random hex digits (30 characters): 64 random bits
    from the OS (a uuid4 cost five times as much and fixed one of the digits)."""
    return f"{admdvs}{_day_digits(day)}{_random_hex16()}"


# 64-bit random parts drawn from the OS 512 at a time: one getrandom() call per id was a twentieth of
# a batch claim's CPU. list.pop() is atomic under the GIL, so threads never share a part; a forked
# process (the batch's workers, gunicorn's) starts with an empty pool, so it never repeats its parent's.
_RANDOM_PARTS: list[str] = []


def _random_hex16() -> str:
    try:
        return _RANDOM_PARTS.pop()
    except IndexError:
        drawn = os.urandom(8 * 512).hex()
        _RANDOM_PARTS.extend(drawn[i:i + 16] for i in range(16, len(drawn), 16))
        return drawn[:16]


os.register_at_fork(after_in_child=_RANDOM_PARTS.clear)


@functools.lru_cache(maxsize=1024)
def _day_digits(day) -> str:
    return day.strftime("%Y%m%d")  # formatted once per day, not once per claim (a batch settles thousands a day)


def scope_of(by):
    if by is None:
        return _SYSTEM_SCOPE
    return scope_for_user(by)


def _system_scope():
    from staff.scope import Scope

    return Scope(everything=True, regions=frozenset(), districts=frozenset())


_SYSTEM_SCOPE = _system_scope()  # the system itself (tasks, commands) sees every district


# ---------------------------------------------------------------------------------------------
# The accumulator lock
# ---------------------------------------------------------------------------------------------
def accumulator_lock(*, member_id: int, year: int) -> Accumulator:
    """The member's accumulator row for ``year``, locked until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` (created first with ``INSERT ... ON CONFLICT DO NOTHING``
    when missing, so two first claims cannot both create it). SQLite has no row locks; its write
    transactions (``transaction_mode=IMMEDIATE``) serialise the whole claim instead.
    Must be called inside ``transaction.atomic()``.
    """
    prepared = _ACCUMULATOR_LOCKED if _LOCKING else _ACCUMULATOR_UNLOCKED
    row = prepared.get(member_id=member_id, year=year)
    if row is None:
        Accumulator.objects.bulk_create([Accumulator(member_id=member_id, year=year)], ignore_conflicts=True)
        row = prepared.get(member_id=member_id, year=year)
    return row


def _accumulator_apply(accumulator: Accumulator, deltas) -> None:
    """The row with the deltas applied (not saved)."""
    accumulator_store(accumulator, apply_deltas(accumulator_buckets(accumulator), deltas))


# ---------------------------------------------------------------------------------------------
# The member's share
# ---------------------------------------------------------------------------------------------
def _pay_member_share(*, claim: Claim, payer_certno: str | None = None, by=None) -> None:
    """Split the unsaved ``claim``'s member share ``psn_part_amt`` into ``acct_pay`` (personal
    account 个人账户) and ``psn_cash_pay`` (cash), inside the claim's transaction, after the
    accumulator lock. For a reversal (``claim.reverses`` set) the original's split is negated.

    The personal-accounts module plugs in here (and only here): when ``claim.acct_used``, debit
    the account as far as its balance goes (a ledger entry naming ``claim.setl_id``) and set
    ``acct_pay``; a reversal credits back ``-original.acct_pay``. Until then: all cash.
    """
    from accounts.services import account_pay_claim, account_refund_claim

    if claim.reverses_id is not None:
        claim.acct_pay = -claim.reverses.acct_pay
        claim.psn_cash_pay = -claim.reverses.psn_cash_pay
        if claim.reverses.acct_pay:
            account_refund_claim(setl_id=claim.reverses.setl_id, reversal_setl_id=claim.setl_id, by=by)
        return
    claim.acct_pay = Decimal("0.00")
    if claim.acct_used and claim.status != Claim.Status.PENDING_REVIEW:
        claim.acct_pay = account_pay_claim(
            member=claim.member, amount=claim.psn_part_amt, setl_id=claim.setl_id, provider=claim.provider,
            visit_date=claim.visit_date, payer_certno=payer_certno, exclusion=claim.exclusion, by=by)
        if payer_certno:
            claim.inputs = {**claim.inputs, "acct_payer_certno": payer_certno}
    claim.psn_cash_pay = claim.psn_part_amt - claim.acct_pay


# ---------------------------------------------------------------------------------------------
# Settle one visit
# ---------------------------------------------------------------------------------------------
def member_for_claim(*, admdvs: str, certno: str, by) -> Member:
    member = _MEMBER.get(admdvs=admdvs, certno=certno)
    if member is None or not scope_of(by).covers(admdvs=member.admdvs_id, district=member.district_id):
        raise ValidationError({"certno": [f"统筹区 {admdvs} 无此参保人 (no such member in this region)"]})
    return member


def provider_for_claim(*, code: str) -> Provider:
    provider = _PROVIDER.get(code=code)
    if provider is None:
        raise ValidationError({"fixmedins_code": [f"定点机构 {code} 不存在 (no such provider)"]})
    return provider


def _replay(*, key: str, request_hash: str, by) -> Claim | None:
    """The claim already recorded under ``key`` if its content matches; 409 if it does not. A
    claim outside the caller's scope is answered as for an unknown member (nothing leaks)."""
    existing = Claim.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if not scope_of(by).covers(admdvs=existing.admdvs_id, district=existing.district_id):
        raise ValidationError({"certno": ["无此参保人 (no such member in this region)"]})
    if existing.request_hash != request_hash:
        raise Conflict(f"幂等键 {key} 已用于内容不同的结算 {existing.setl_id} "
                       "(idempotency key already used with different content)", code="idempotency_conflict")
    return existing


def claim_settle(*, request: ClaimRequest, by) -> tuple[Claim, bool]:
    """Adjudicate and record one visit. Returns (claim, created); created is False for an
    idempotent replay (same key, same content)."""
    claim_request_check(request)
    request_hash = request_hash_for(request)
    if request.idempotency_key:
        existing = _replay(key=request.idempotency_key, request_hash=request_hash, by=by)
        if existing is not None:
            return existing, False
    # Read before the lock is taken (cached per process; a query when the cache is cold): the
    # member is looked up in the request's region, so these are the member's parameters.
    parameters = (parameters_in_force(admdvs=request.admdvs, day=request.visit_local.date())
                  if request.admdvs in REGIONS else None)  # an unknown region has no such member: 400 below
    try:
        claim = _settle_pipelined(request=request, parameters=parameters, request_hash=request_hash, by=by)
        if claim is None:
            with transaction.atomic():
                member, provider, accumulator, signups = _context_locked(request=request, by=by)
                claim = _settle_locked(request=request, member=member, provider=provider, accumulator=accumulator,
                                       signups=signups, parameters=parameters, request_hash=request_hash, by=by)
        return claim, True
    except IntegrityError:
        # Another request with the same idempotency key committed between our check and insert.
        if request.idempotency_key:
            existing = _replay(key=request.idempotency_key, request_hash=request_hash, by=by)
            if existing is not None:
                return existing, False
        raise


def _settle_pipelined(*, request: ClaimRequest, parameters, request_hash: str, by) -> Claim | None:
    """The common claim in two round trips instead of four (claims/pipeline.py): the same locked
    read, decision and write as the ``transaction.atomic()`` path, in one implicit transaction.
    Only outside any transaction, and for a visit that pays nothing from a personal account (the
    accounts module writes through the ORM in transactions of its own) and carries no fee details.
    None, with nothing written or left locked, when it does not apply, when the member has no
    accumulator row for the year yet, or when the decision needed a query of its own (a charged
    provider not among those read): the caller then takes the atomic path."""
    connection = connections[DEFAULT_DB_ALIAS]
    if request.acct_used or request.fee_details or not claim_pipeline_possible(connection):
        return None
    try:
        with claim_pipeline(connection):
            context = _context_read(request)
            if context is None:
                return None
            member, provider, accumulator, signups = _context_checked(context, request=request, by=by)
            return _settle_locked(request=request, member=member, provider=provider, accumulator=accumulator,
                                  signups=signups, parameters=parameters, request_hash=request_hash, by=by)
    except PipelineDeclined:
        return None


def _context_read(request: ClaimRequest):
    """claims/context.py's one statement: None unless the member's row for the year exists."""
    region = REGIONS.get(request.admdvs)  # an unknown region has no such member: 400 later
    return claim_context_lock(code=request.fixmedins_code, admdvs=request.admdvs, certno=request.certno,
                              year=request.visit_local.year, signups=bool(region and region.HAS_SIGNUP),
                              lock=_LOCKING)


def _context_locked(*, request: ClaimRequest, by) -> tuple[Member, Provider, Accumulator, list[SignUp] | None]:
    """The provider (400 if unknown), the member (400 if unknown or out of scope), their locked
    accumulator row for the visit's year and, in sign-up regions, their sign-up history. One
    statement when the row exists (claims/context.py); else lookups, row creation, lock."""
    context = _context_read(request)
    if context is None:
        year = request.visit_local.year
        region = REGIONS.get(request.admdvs)
        provider = provider_for_claim(code=request.fixmedins_code)
        member = member_for_claim(admdvs=request.admdvs, certno=request.certno, by=by)
        accumulator = accumulator_lock(member_id=member.pk, year=year)
        return member, provider, accumulator, (_SIGNUPS.all(member_id=member.pk)
                                               if region and region.HAS_SIGNUP else None)
    return _context_checked(context, request=request, by=by)


def _context_checked(context, *, request: ClaimRequest, by) -> tuple[Member, Provider, Accumulator,
                                                                      list[SignUp] | None]:
    """The read's answer checked as the general path checks it: 400 for an unknown provider or for
    a member outside the caller's scope."""
    region = REGIONS.get(request.admdvs)
    has_signup = bool(region and region.HAS_SIGNUP)
    if context.provider is None:
        raise ValidationError({"fixmedins_code": [f"定点机构 {request.fixmedins_code} 不存在 (no such provider)"]})
    member = context.member
    if not scope_of(by).covers(admdvs=member.admdvs_id, district=member.district_id):
        raise ValidationError({"certno": [f"统筹区 {request.admdvs} 无此参保人 (no such member in this region)"]})
    return member, context.provider, context.accumulator, (context.signups if has_signup else None)


def _signup_for(signups: list[SignUp] | None, day) -> tuple:
    if signups is None:
        return None, None
    in_effect, first = signups_on(signups, day)
    return signup_facts(in_effect, first), (in_effect.provider if in_effect else None)


def _settle_locked(*, request: ClaimRequest, member: Member, provider: Provider, accumulator: Accumulator,
                   signups: list[SignUp] | None, parameters, request_hash: str, by) -> Claim:
    day = request.visit_local.date()
    signup, signup_provider = _signup_for(signups, day)
    buckets = accumulator_buckets(accumulator)
    decision, set_id = decide(request=request, member=member, provider=provider, signup=signup,
                              parameters=parameters, buckets=buckets, year=day.year)
    claim = claim_build(
        setl_id=setl_id_new(admdvs=member.admdvs_id, day=day), request=request, member=member,
        provider=provider, charged_provider=charged_provider_for(decision, provider, signup_provider),
        decision=decision, parameter_set_id=set_id,
        inputs=inputs_json(request, member, provider, signup, buckets, parameters),
        request_hash=request_hash, by=by)
    _pay_member_share(claim=claim, payer_certno=request.acct_payer_certno, by=by)
    if decision.deltas:
        _accumulator_apply(accumulator, decision.deltas)
    insert_and_update(claim, accumulator if decision.deltas else None, ACCUMULATOR_FIELDS)
    if request.fee_details:
        ClaimItem.objects.bulk_create([
            ClaimItem(claim=claim, code=d.code, name=d.name, category=d.category, chrgitm_lv=d.chrgitm_lv,
                      amount=d.amount) for d in request.fee_details])
    return claim


# ---------------------------------------------------------------------------------------------
# Reverse a settlement
# ---------------------------------------------------------------------------------------------
def claim_reverse(*, setl_id: str, by) -> Claim:
    """Record the reversal 撤销 of ``setl_id``: a new row with its amounts and deltas negated,
    ``status="reversal"``, ``reverses`` = the original. 409 if already reversed or itself a
    reversal. Later claims are not re-adjudicated (RULES.md)."""
    original = (scope_of(by).filter(Claim.objects.all()).select_related("member", "provider")
                .filter(setl_id=setl_id).first())
    if original is None:
        raise Http404(f"结算 {setl_id} 不存在")
    if original.status == Claim.Status.REVERSAL:
        raise Conflict(f"{setl_id} 是撤销记录，不能再撤销 (a reversal cannot be reversed)", code="reversal_of_reversal")
    try:
        with transaction.atomic():
            accumulator = accumulator_lock(member_id=original.member_id, year=original.visit_date.year)
            if Claim.objects.filter(reverses_id=original.pk).exists():
                raise Conflict(f"结算 {setl_id} 已撤销 (already reversed)", code="already_reversed")
            reversal = _reversal_build(original, by)
            _pay_member_share(claim=reversal, by=by)
            if original.deltas:
                _accumulator_apply(accumulator, negate_deltas(
                    {name: Decimal(amount) for name, amount in original.deltas.items()}))
            insert_and_update(reversal, accumulator if original.deltas else None, ACCUMULATOR_FIELDS)
            return reversal
    except IntegrityError:
        # The OneToOne ``reverses`` refused a concurrent second reversal.
        raise Conflict(f"结算 {setl_id} 已撤销 (already reversed)", code="already_reversed") from None


def _reversal_build(original: Claim, by) -> Claim:
    values = {f.attname: getattr(original, f.attname) for f in Claim._meta.concrete_fields
              if f.attname not in ("id", "setl_id", "idempotency_key", "request_hash", "monthly_run_id",
                                   "created_at", "created_by_id", "reverses_id")}
    for name in NEGATED:
        values[name] = -values[name]
    values.update(
        setl_id=setl_id_new(admdvs=original.admdvs_id, day=original.visit_date), status=Claim.Status.REVERSAL,
        reason=None, deltas={name: str(-Decimal(amount)) for name, amount in original.deltas.items()},
        steps=[{"rule": "reversal", "amount": str(-original.hifp_pay),
                "note": f"撤销结算 {original.setl_id}：金额及年度累计全部冲回 (RULES.md 撤销)"}],
        inputs={"reverses": original.setl_id},
        created_by_id=by.pk if getattr(by, "pk", None) else None)
    reversal = Claim(**values)
    reversal.reverses = original
    return reversal
