"""Read questions about accounts, shared by the API, the admin and the tests."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from accounts.models import Account, AccountEntry, CreditRun


def account_for_member(*, member_id: int) -> Account | None:
    return Account.objects.filter(member_id=member_id).first()


def account_entries(*, account: Account) -> QuerySet[AccountEntry]:
    return AccountEntry.objects.filter(account=account).order_by("id")


def account_ledger_balance(*, account: Account) -> Decimal:
    """The balance as the sum of the entries (the stored ``balance`` must always equal it)."""
    return AccountEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def credit_totals(*, admdvs: str | None = None) -> list[dict]:
    """Credited members and amount per region and month, over all runs (re-runs add only what was missing)."""
    query = AccountEntry.objects.filter(kind=AccountEntry.Kind.CREDIT)
    if admdvs:
        query = query.filter(account__member__admdvs_id=admdvs)
    return list(query.values("account__member__admdvs_id", "period")
                .annotate(members=Count("id"), amount=Sum("amount"))
                .order_by("-period", "account__member__admdvs_id"))


def credit_runs(*, admdvs: str | None = None) -> QuerySet[CreditRun]:
    query = CreditRun.objects.all()
    return query.filter(admdvs_id=admdvs) if admdvs else query
