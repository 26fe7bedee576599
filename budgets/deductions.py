"""Taking approved deductions 扣款 off a run's lines (RULES.md "Assessment and deductions").

An approved deduction is taken off the provider's next run of any kind (fee-for-service, monthly
capitation or year-end) and shown on its line; a run never pays a provider below zero, and what is
left carries to the following run (``deductions_carried`` on the line).

* What is left of a deduction = its amount − what lines of APPROVED runs took (``DeductionTaken``).
  A draft's takings are provisional and rewritten with its lines.
* The amount a line can give up is its payment for the run: ``paid`` (monthly and fee-for-service
  lines) or ``balance_due`` (year-end). A negative payment (a recovery) gives up nothing.
* Oldest approval first (then id), so a carried remainder is used up before a newer deduction.
* Two drafts computed at once (e.g. a Heyuan monthly and a fee-for-service run of the same month)
  may both take the same remainder; the first approved keeps it and the second is refused with 409
  ``run_stale`` at approval (``deductions_check_for_approval``): recompute, check, approve.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from config.errors import Conflict
from policy.rules.money import ZERO, to_fen

from .models import Deduction, DeductionTaken

PAYABLE_FIELD = {"monthly": "paid", "fee_for_service": "paid", "year_end": "balance_due"}


def deductions_outstanding(*, provider_ids: list[int], exclude_run_id: int | None = None) -> dict[int, list]:
    """Per provider, [(deduction id, what is left)] of its approved deductions with something left,
    oldest approval first: one query for all the run's providers."""
    if not provider_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT d.provider_id, d.id, d.amount - COALESCE(SUM(t.amount) FILTER (
                       WHERE r.status = 'approved' AND r.id IS DISTINCT FROM %s), 0) AS left_over
            FROM budgets_deduction d
            LEFT JOIN budgets_deductiontaken t ON t.deduction_id = d.id
            LEFT JOIN budgets_settlementline l ON l.id = t.line_id
            LEFT JOIN budgets_settlementrun r ON r.id = l.run_id
            WHERE d.status = 'approved' AND d.provider_id = ANY(%s)
            GROUP BY d.provider_id, d.id, d.amount, d.approved_at
            HAVING d.amount - COALESCE(SUM(t.amount) FILTER (
                       WHERE r.status = 'approved' AND r.id IS DISTINCT FROM %s), 0) > 0
            ORDER BY d.provider_id, d.approved_at, d.id
        """, [exclude_run_id, list(provider_ids), exclude_run_id])
        rows = cursor.fetchall()
    out: dict[int, list] = defaultdict(list)
    for provider_id, deduction_id, left_over in rows:
        out[provider_id].append((deduction_id, Decimal(left_over)))
    return out


def deductions_apply(*, kind: str, lines: list[dict], run_id: int | None = None) -> None:
    """Take what is left of each provider's deductions off its line, in place: ``deductions`` (taken),
    the payment reduced by it, ``deductions_carried`` (left for the next run) and ``_taken``
    [(deduction id, amount)] for ``deductions_record``."""
    field = PAYABLE_FIELD[kind]
    outstanding = deductions_outstanding(provider_ids=[line["provider_id"] for line in lines],
                                         exclude_run_id=run_id)
    for line in lines:
        pending = outstanding.get(line["provider_id"], [])
        room = max(line.get(field) or ZERO, ZERO)
        taken: list[tuple[int, Decimal]] = []
        for deduction_id, left_over in pending:
            amount = min(left_over, room)
            if amount <= 0:
                break
            taken.append((deduction_id, amount))
            room -= amount
        total = to_fen(sum((amount for _, amount in taken), ZERO))
        line["deductions"] = total
        line["deductions_carried"] = to_fen(sum((left for _, left in pending), ZERO) - total)
        if total:
            line[field] = line[field] - total
            line["inputs"]["deductions"] = {"before": str(line[field] + total),
                                            "taken": {str(d): str(a) for d, a in taken}}
        line["_taken"] = taken


def deductions_record(*, lines_by_provider: dict[int, int], taken: dict[int, list]) -> None:
    """Write the takings of freshly inserted lines (provider id → line id) in one bulk insert."""
    DeductionTaken.objects.bulk_create([
        DeductionTaken(deduction_id=deduction_id, line_id=lines_by_provider[provider_id], amount=amount)
        for provider_id, rows in taken.items() for deduction_id, amount in rows])


def deductions_check_for_approval(*, run) -> None:
    """Inside the approval's transaction: lock the deductions this run takes (in id order, so two
    approvals wait for each other instead of deadlocking) and refuse (409 ``run_stale``) if another
    run approved meanwhile left less of one than this run takes."""
    taken = list(DeductionTaken.objects.filter(line__run=run).values_list("deduction_id", "amount"))
    if not taken:
        return
    ids = sorted({deduction_id for deduction_id, _ in taken})
    list(Deduction.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    left = {deduction_id: amount for rows in deductions_outstanding(
        provider_ids=list(Deduction.objects.filter(pk__in=ids).values_list("provider_id", flat=True).distinct()),
        exclude_run_id=run.pk).values() for deduction_id, amount in rows}
    for deduction_id, amount in taken:
        if amount > left.get(deduction_id, ZERO):
            raise Conflict(f"扣款 {deduction_id} 已被其他已审核结算批次扣除，请重新计算后再审核", code="run_stale")
