"""Monthly crediting 个人账户按月划入, set-based: one run credits every member of a region at once.

``account_credit_month(admdvs=, period=, by=)``:

1. loads the parameters in force on the first day of the month (none → the run is refused);
2. opens the accounts still missing (``bulk_create``) for the region's active employee members
   enrolled by the month's end — never for residents or inpatient-only members;
3. locks the region's open accounts (``SELECT ... FOR UPDATE``, in id order) so counters and a
   concurrent re-run wait;
4. computes each member's credit with ``accounts.rules`` (pure), skipping member-months already
   credited; inserts all credit entries with one ``bulk_create`` and moves all balances with one
   ``UPDATE ... SET balance = balance + (SELECT amount ...)``;
5. records a ``CreditRun`` with the totals and the refused parts.

**Reading (missing parameter):** a parameter staff have not entered (e.g. ``average_pension``)
refuses only the part of the run that needs it: the employed members are credited, the retired
members are not, and the run lists ``"retired credits refused: policy parameter 'average_pension'
is not set"``. A later run after staff enter the figure credits exactly the missing member-months
(the (account, period) unique constraint makes every re-run idempotent).

**Reading (who is credited):** members with ``status = active`` enrolled on or before the month's
last day, whose account is open (a ``province_usable`` or closed account gets no more credits).
"""
from __future__ import annotations

import calendar
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from accounts.models import Account, AccountEntry, CreditRun
from accounts.rules import EMPLOYED, CreditFacts, credit_amounts, refused_count
from members.models import Member
from policy.models import Region
from policy.selectors import parameters_in_force
from staff.audit import audit_bulk

BATCH = 2000


def parse_period(value: str | date) -> date:
    """'2024-03' (or a date) → 2024-03-01, with an error naming the field."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({"period": [f"月份格式应为 YYYY-MM (got {value!r})"]})
    return date(int(match.group(1)), int(match.group(2)), 1)


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _eligible_members(admdvs: str, month: date):
    return (Member.objects.filter(admdvs_id=admdvs, insutype="310", status=Member.Status.ACTIVE,
                                  enrolled_on__lte=_month_end(month), no_account__isnull=True,
                                  inpatient_only=False)  # CONTRACT.md members: inpatient-only, no account
            .exclude(account__status__in=[Account.Status.CLOSED, Account.Status.PROVINCE_USABLE]))


def _lock_open_accounts(admdvs: str) -> dict[int, tuple[int, object]]:
    """{member_id: (account_id, balance)} of the region's open accounts, all locked."""
    query = Account.objects.filter(member__admdvs_id=admdvs, status=Account.Status.OPEN).order_by("id")
    if connection.features.has_select_for_update_of:
        query = query.select_for_update(of=("self",))
    else:
        query = query.select_for_update()
    return {member_id: (account_id, balance)
            for account_id, member_id, balance in query.values_list("id", "member_id", "balance")}


def account_credit_month(*, admdvs: str, period: str | date, by=None) -> CreditRun:
    month = parse_period(period)
    region = Region.objects.filter(admdvs=admdvs).first()
    if region is None:
        raise ValidationError({"admdvs": [f"未知统筹区 {admdvs!r}"]})
    if region.insutype != "310":
        raise ValidationError(
            {"admdvs": [f"{region.name} 为城乡居民医保，不设个人账户 (resident scheme: no accounts)"]})
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"period": [f"{month:%Y-%m} 尚未开始，不能预先划入 (future month)"]})
    found = parameters_in_force(admdvs=admdvs, day=month)
    if found is None:
        raise ValidationError(
            {"period": [f"{region.name} {month:%Y-%m} 没有生效的政策参数 (no parameter set in force)"]})
    set_id, params = found
    user = by if getattr(by, "pk", None) else None
    today = timezone.localdate()

    with transaction.atomic():
        members = list(_eligible_members(admdvs, month).values_list(
            "id", "psn_type", "retired_on", "contribution_base", "brdy"))
        Account.objects.bulk_create(
            [Account(member_id=m[0], opened_on=today) for m in members], batch_size=BATCH, ignore_conflicts=True)
        accounts = _lock_open_accounts(admdvs)
        credited = set(AccountEntry.objects.filter(kind=AccountEntry.Kind.CREDIT, period=month,
                                                   account__member__admdvs_id=admdvs)
                       .values_list("account_id", flat=True))
        facts, skipped = [], 0
        for member_id, psn_type, retired_on, base, brdy in members:
            if member_id not in accounts:
                continue
            if accounts[member_id][0] in credited:
                skipped += 1
                continue
            person = Member(psn_type=psn_type, retired_on=retired_on, brdy=brdy)
            facts.append(CreditFacts(member_id=member_id, person_type=person.person_type_on(month),
                                     contribution_base=base, age=person.age_on(month)))
        amounts, refusals = credit_amounts(admdvs=admdvs, params=params, month=month, members=facts)

        run = CreditRun.objects.create(admdvs_id=admdvs, period=month, parameter_set_id=set_id, created_by=user,
                                       skipped_count=skipped, refused_count=refused_count(facts, refusals),
                                       refused=[{"part": r.part, "parameter": r.parameter, "message": r.message}
                                                for r in refusals])
        reference = f"{month:%Y%m} 个人账户划入"
        entries = []
        for member_id, (person_type, amount) in amounts.items():
            account_id, balance = accounts[member_id]
            entries.append(AccountEntry(account_id=account_id, kind=AccountEntry.Kind.CREDIT, amount=amount,
                                        running_balance=balance + amount, period=month, credit_run=run,
                                        reference=reference, note=person_type, created_by=user))
            if person_type == EMPLOYED:
                run.employed_count += 1
                run.employed_amount += amount
            else:
                run.retired_count += 1
                run.retired_amount += amount
        AccountEntry.objects.bulk_create(entries, batch_size=BATCH)
        this_run = AccountEntry.objects.filter(credit_run=run, account=OuterRef("pk")).values("amount")[:1]
        Account.objects.filter(entries__credit_run=run).update(balance=F("balance") + Subquery(this_run),
                                                               updated_at=timezone.now())
        run.save(update_fields=["employed_count", "employed_amount", "retired_count", "retired_amount"])
        audit_bulk(action="credit", model_label="accounts.AccountEntry", count=len(entries), user=user, summary={
            "credit_run": run.pk, "admdvs": admdvs, "period": f"{month:%Y-%m}",
            "amount": str(sum(e.amount for e in entries))})
    return run
