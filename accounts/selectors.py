"""Read questions about accounts, shared by the API, the admin and the tests."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

from accounts.models import Account, AccountEntry


def account_for_member(*, member_id: int) -> Account | None:
    return Account.objects.filter(member_id=member_id).first()


def account_entries(*, account: Account) -> QuerySet[AccountEntry]:
    return AccountEntry.objects.filter(account=account).order_by("id")


def account_ledger_balance(*, account: Account) -> Decimal:
    """The balance as the sum of the entries (the stored ``balance`` must always equal it)."""
    return AccountEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")

