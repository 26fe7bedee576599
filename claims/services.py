"""Claims services: settle one visit, settle a set of visits, reverse a settlement.

Every path decides through the one settle step (claims/engine.py) between one loader and one writer
(claims/store.py), in one transaction that holds the members' accumulator rows locked from the read
to the commit (ARCHITECTURE.md "Services"). A file of visits too large for one transaction is split
into member partitions by claims/tasks.py, each partition one call of ``claims_settle_batch``.

Errors: bad input → ``ValidationError`` naming the field (400); a conflict with recorded state
(idempotency key reused with other content, double reversal, reversing a reversal) → ``Conflict``
(409); an unknown or out-of-scope settlement → ``Http404``. A refused request writes nothing. The
batch reports the same refusals, with the same messages, per visit instead of raising.

``by`` is the acting user; their district scope limits which members may be claimed for.
``by=None`` means the system itself (tasks, commands) and sees every district.
"""
from __future__ import annotations

from decimal import Decimal
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from config.errors import Conflict
from policy.rules.common import apply_deltas, negate_deltas
from policy.selectors import parameters_in_force
from staff.scope import Scope, scope_for_user

from .engine import Settled, claim_settle_step
from .facts import accumulator_buckets
from .ids import setl_id_new
from .models import Claim
from .requests import ClaimRequest, claim_request_check
from .store import LedgerKnown, accumulators_lock, accumulators_write, ledger_load, settled_write

SYSTEM_SCOPE = Scope(everything=True, regions=frozenset(), districts=frozenset())
NEGATED = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay", "exam_amount",
           "out_of_catalogue_amount", "itemised_amount")


def scope_of(by) -> Scope:
    return SYSTEM_SCOPE if by is None else scope_for_user(by)


def _account_payer(by):
    """The personal account's payment at the counter (accounts module), for the settle step."""
    from accounts.services import account_pay_claim

    def pay(claim: Claim, payer_certno: str | None) -> Decimal:
        return account_pay_claim(member=claim.member, amount=claim.psn_part_amt, setl_id=claim.setl_id,
                                 provider=claim.provider, visit_date=claim.visit_date, payer_certno=payer_certno,
                                 exclusion=claim.exclusion, by=by)
    return pay


# ---------------------------------------------------------------------------------------------
# Settle
# ---------------------------------------------------------------------------------------------
def claim_settle(*, request: ClaimRequest, by, scope: Scope | None = None,
                 savepoint: bool = True, known: LedgerKnown | None = None) -> tuple[Claim, bool]:
    """Adjudicate and record one visit. Returns (claim, created); created is False for an
    idempotent replay (same key, same content). ``scope`` overrides the one of ``by`` (a clinic
    system account of the national interface is no staff member but settles any region's members).
    ``savepoint=False``: inside a caller's transaction that rolls back whole on any error (the
    national interface's message), no savepoint of its own — two round trips less; a request
    under an idempotency key keeps it (its race is retried from the savepoint). ``known``: rows
    the caller read already (claims/store.py ``LedgerKnown``)."""
    claim_request_check(request)
    savepoint = savepoint or bool(request.idempotency_key)
    try:
        outcome = _settle_set([request], by=by, scope=scope, savepoint=savepoint, known=known)[0]
    except IntegrityError:
        if not request.idempotency_key:
            raise
        # A concurrent request under the same key committed between our read and our insert: the
        # second attempt reads it under the lock and answers as any replay does.
        outcome = _settle_set([request], by=by, scope=scope)[0]
    if outcome.error is not None:
        raise outcome.error
    return outcome.claim, outcome.created


def claims_settle_batch(*, requests: Sequence[ClaimRequest], by) -> list[Settled]:
    """Settle a set of visits in one transaction (a savepoint inside the caller's, as in the
    all-or-nothing import). One ``Settled`` per request, in input order; each member's visits are
    decided in visit order. A refused visit writes nothing; the others are recorded."""
    outcomes: list[Settled | None] = [None] * len(requests)
    valid = []
    for index, request in enumerate(requests):
        try:
            claim_request_check(request)
            valid.append(index)
        except ValidationError as exc:
            outcomes[index] = Settled(error=exc)
    settled = _settle_set([requests[i] for i in valid], by=by)
    for index, outcome in zip(valid, settled):
        outcomes[index] = outcome
    return outcomes


def claim_decide(*, request: ClaimRequest, by, scope: Scope | None = None,
                 known: LedgerKnown | None = None) -> Settled:
    """The full decision on one visit with nothing recorded (the national pre-settlement 2206): the
    same loader, step and personal-account payment as ``claim_settle``, inside a transaction (a
    savepoint when nested) that is rolled back. The account's payment is part of the decision
    (``acct_pay`` depends on the balance), so it runs too and is undone with the rest. A refusal is
    the outcome's ``error``, as in the batch."""
    claim_request_check(request)
    with transaction.atomic():
        ledger = ledger_load([request], scope=scope or scope_of(by), by=by, parameters=parameters_in_force,
                             pay_share=_account_payer(by), known=known)
        outcome = claim_settle_step(request, ledger=ledger)
        transaction.set_rollback(True)
    return outcome


def _settle_set(requests: Sequence[ClaimRequest], *, by, scope: Scope | None = None,
                savepoint: bool = True, known: LedgerKnown | None = None) -> list[Settled]:
    if not requests:
        return []
    with transaction.atomic(savepoint=savepoint):
        ledger = ledger_load(requests, scope=scope or scope_of(by), by=by, parameters=parameters_in_force,
                             pay_share=_account_payer(by), known=known)
        outcomes: list[Settled | None] = [None] * len(requests)
        # Visit order by the instant as a number: the aware datetimes' own comparison asks both for
        # their UTC offsets each time (a file's "+08:00" times each carry their own tzinfo), 12 µs a
        # visit; a float's spacing below 2^32 s is under a microsecond, so the order is the same.
        for index in sorted(range(len(requests)), key=lambda i: (requests[i].visit_at.timestamp(), i)):
            outcomes[index] = claim_settle_step(requests[index], ledger=ledger)
        settled_write(ledger, outcomes)
    return outcomes


# ---------------------------------------------------------------------------------------------
# Reverse
# ---------------------------------------------------------------------------------------------
def claim_reverse(*, setl_id: str, by, scope: Scope | None = None) -> Claim:
    """Record the reversal 撤销 of ``setl_id``: a new row with its amounts and deltas negated,
    ``status="reversal"``, ``reverses`` = the original. 409 if already reversed or itself a
    reversal. Later claims are not re-adjudicated (RULES.md)."""
    from accounts.services import account_refund_claim

    original = ((scope or scope_of(by)).filter(Claim.objects.all()).select_related("member", "provider")
                .filter(setl_id=setl_id).first())
    if original is None:
        raise Http404(f"结算 {setl_id} 不存在")
    if original.status == Claim.Status.REVERSAL:
        raise Conflict(f"{setl_id} 是撤销记录，不能再撤销 (a reversal cannot be reversed)", code="reversal_of_reversal")
    try:
        with transaction.atomic():
            key = (original.member_id, original.visit_date.year)
            rows = accumulators_lock({key})
            if Claim.objects.filter(reverses_id=original.pk).exists():
                raise Conflict(f"结算 {setl_id} 已撤销 (already reversed)", code="already_reversed")
            reversal = _reversal_build(original, by)
            if original.acct_pay:
                account_refund_claim(setl_id=original.setl_id, reversal_setl_id=reversal.setl_id, by=by)
            reversal.save(force_insert=True)
            if original.deltas:
                undo = negate_deltas({name: Decimal(amount) for name, amount in original.deltas.items()})
                accumulators_write(rows, {key: apply_deltas(accumulator_buckets(rows[key]), undo)})
            return reversal
    except IntegrityError:
        # The one-to-one ``reverses`` refused a concurrent second reversal.
        raise Conflict(f"结算 {setl_id} 已撤销 (already reversed)", code="already_reversed") from None


def _reversal_build(original: Claim, by) -> Claim:
    """The original's row with every amount negated: it keeps the visit time, providers, ratio and
    parameter version, so period sums and accumulators net out by adding every row."""
    kept = {f.attname: getattr(original, f.attname) for f in Claim._meta.concrete_fields
            if f.attname not in ("id", "setl_id", "idempotency_key", "request_hash", "monthly_run_id",
                                 "created_at", "created_by_id", "reverses_id", "member_id", "provider_id",
                                 # the reversal's own transaction's, by the database (supervision counts it then)
                                 "written_xid")}
    for name in NEGATED:
        kept[name] = -kept[name]
    kept.update(
        setl_id=setl_id_new(admdvs=original.admdvs_id, day=original.visit_date), status=Claim.Status.REVERSAL,
        reason=None, deltas={name: str(-Decimal(amount)) for name, amount in original.deltas.items()},
        steps=[{"rule": "reversal", "amount": str(-original.hifp_pay),
                "note": f"撤销结算 {original.setl_id}：金额及年度累计全部冲回 (RULES.md 撤销)"}],
        inputs={"reverses": original.setl_id},
        created_by_id=by.pk if getattr(by, "pk", None) else None)
    return Claim(**kept, reverses=original, member=original.member, provider=original.provider)
