"""The one lock helper for the account row (Saleor style): every balance change goes through it.

The stored ``Account.balance`` is read and written only with the row locked (``SELECT ... FOR
UPDATE``), so two counters paying from one account at once queue up and the second one sees the first
one's debit.
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, AccountEntry


def account_locked(*, member_id: int, field: str = "account") -> Account:
    """The member's account, locked until the end of the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("account_locked() must run inside transaction.atomic()")
    account = Account.objects.select_for_update().filter(member_id=member_id).first()
    if account is None:
        raise ValidationError({field: ["该参保人没有个人账户（城乡居民、只参加住院保险者不建账户）"
                                      " (the member has no personal account)"]})
    return account


def post_entry(account: Account, *, kind: str, amount: Decimal, by=None, **fields) -> AccountEntry:
    """Append one entry to a locked account and move its stored balance (never below zero)."""
    new_balance = account.balance + amount
    if new_balance < 0:
        raise ValidationError({"amount": [f"余额不足：余额 {account.balance}，支出 {-amount} "
                                          f"(balance may never go below zero)"]})
    entry = AccountEntry.objects.create(account=account, kind=kind, amount=amount, running_balance=new_balance,
                                        created_by=by if getattr(by, "pk", None) else None, **fields)
    account.balance = new_balance
    account.save(update_fields=["balance", "updated_at"])
    return entry
