"""What the claims batch returns per request (``BatchOutcome``, ``ClaimSummary``), and how a forked
worker sends a chunk's outcomes to the parent (``outcomes_pack`` / ``outcomes_unpack``).

The transport is ``marshal`` of plain tuples, not pickle of the objects: for a 100 000-visit file
pickling the summaries cost about 19 µs a claim (dump in the worker, load in the parent, both on
the same two cores as the decisions and PostgreSQL), the tuples about 6. A created claim's tuple
carries only what the parent cannot take from the request itself; the few outcomes that are not a
new claim (a replay of an earlier claim, a refusal) go pickled as they are.
"""
from __future__ import annotations

import marshal
import operator
import pickle
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from .models import Claim


@dataclass(slots=True)
class ClaimSummary:
    """What a batch outcome keeps of a recorded claim: its identity and result, without its
    ``inputs``/``steps`` JSON or related objects (a whole ``Claim`` per visit of a 100 000-visit
    file held about 1 GB). Read the row itself (``Claim.objects.get(pk=...)``) for the rest."""

    pk: int
    setl_id: str
    member_id: int
    visit_at: datetime
    visit_date: date
    status: str
    reason: str | None
    act_pay_dedc: Decimal
    pool_prop_selfpay: Decimal
    hifp_pay: Decimal
    psn_part_amt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    exam_amount: Decimal
    out_of_catalogue_amount: Decimal
    itemised_amount: Decimal
    deltas: dict
    idempotency_key: str | None
    request_hash: str

    @property
    def id(self) -> int:
        return self.pk

    def __reduce__(self):
        # Pickled as the constructor's arguments: a third cheaper to load than the slots-dataclass
        # default of a state dict.
        return ClaimSummary, tuple(getattr(self, name) for name in ClaimSummary.__slots__)

    @classmethod
    def of(cls, claim: Claim) -> "ClaimSummary":
        # Straight from the instance's __dict__ (every field is loaded there), not through the
        # model's attribute descriptors: one C call instead of twenty Python ones.
        return cls(*_summary_values(claim.__dict__))


_summary_values = operator.itemgetter(*["id" if name == "pk" else name for name in ClaimSummary.__dataclass_fields__])

AMOUNTS = ("act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay",
           "exam_amount", "out_of_catalogue_amount", "itemised_amount")
# A new claim as sent: its identity, result and amounts (as text: marshal has no Decimal), and what
# the request alone does not give back. visit_at / visit_date / idempotency_key are the request's.
_SENT = operator.itemgetter("id", "setl_id", "member_id", "status", "reason", *AMOUNTS, "deltas", "request_hash")


@dataclass(slots=True)
class BatchOutcome:
    """One request's result, in the order of the input: the claim's summary (created, or an
    idempotent replay) or the field errors that refused it."""

    claim: ClaimSummary | Claim | None = None
    created: bool = False
    errors: dict[str, list[str]] | None = None

    def __reduce__(self):
        return BatchOutcome, (self.claim, self.created, self.errors)


def outcomes_pack(outcomes: list[BatchOutcome], indexes: Sequence[int]) -> bytes:
    """The outcomes at ``indexes`` as bytes for the parent. A created claim is still the ``Claim``
    the chunk recorded (see ``_Batch.settle_chunk(summarise=False)``)."""
    created, other = [], []
    for index in indexes:
        outcome = outcomes[index]
        if outcome.created and isinstance(outcome.claim, Claim):
            sent = _SENT(outcome.claim.__dict__)
            created.append((index, *sent[:5], *map(str, sent[5:14]), *sent[14:]))
        else:
            if isinstance(outcome.claim, Claim):
                outcome = BatchOutcome(ClaimSummary.of(outcome.claim), outcome.created, outcome.errors)
            other.append((index, outcome))
    return marshal.dumps((created, pickle.dumps(other, protocol=pickle.HIGHEST_PROTOCOL) if other else b""))


def outcomes_unpack(payload: bytes, outcomes: list[BatchOutcome], requests) -> None:
    """Put a chunk's outcomes (``outcomes_pack``) in their places in ``outcomes``."""
    created, other = marshal.loads(payload)
    summary, new_outcome = ClaimSummary, BatchOutcome
    for index, pk, setl_id, member_id, status, reason, a1, a2, a3, a4, a5, a6, a7, a8, a9, deltas, digest in created:
        request = requests[index]
        visit_at = request.visit_local
        outcomes[index] = new_outcome(summary(
            pk, setl_id, member_id, visit_at, visit_at.date(), status, reason, Decimal(a1), Decimal(a2), Decimal(a3),
            Decimal(a4), Decimal(a5), Decimal(a6), Decimal(a7), Decimal(a8), Decimal(a9), deltas,
            request.idempotency_key, digest), True, None)
    if other:
        for index, outcome in pickle.loads(other):
            outcomes[index] = outcome
