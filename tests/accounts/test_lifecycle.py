"""Payouts and transfers close the account with one final entry (Nanyang 第十二条, Heyuan 第十一条)."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account, AccountEntry
from accounts.services import (account_credit_month, account_pay_claim, account_payout, account_transfer_out,
                               member_mark_no_account)
from config.errors import Conflict
from tests.accounts.conftest import HEYUAN, NANYANG, employee
from tests.factories import make_provider

pytestmark = pytest.mark.django_db


def test_death_payout_to_heir_closes_the_account(db):
    # given: 100.00 credited
    member = employee(NANYANG)
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    with pytest.raises(ValidationError):
        account_payout(member=member, reason="death", day=date(2024, 2, 1))  # the heir must be named
    # when
    entry = account_payout(member=member, reason="death", day=date(2024, 2, 1), payee="李四（配偶）")
    # then
    account = Account.objects.get(member=member)
    assert (entry.kind, entry.amount, entry.running_balance) == ("payout", Decimal("-100.00"), Decimal("0.00"))
    assert (account.status, account.balance, account.closed_on, account.close_reason) == (
        "closed", Decimal("0.00"), date(2024, 2, 1), "death")
    # and: no more credits, payments or payouts
    run = account_credit_month(admdvs=NANYANG, period="2024-02", by=None)
    assert run.employed_count == 0
    with pytest.raises(ValidationError):
        account_pay_claim(member=member, amount=Decimal("5"), setl_id="X", provider=make_provider(admdvs=NANYANG),
                          visit_date=date(2024, 3, 1))
    with pytest.raises(Conflict):
        account_payout(member=member, reason="emigration", day=date(2024, 3, 1))


def test_heyuan_transfer_within_guangdong_stays_usable(db):
    # given: 80.00 credited in Heyuan
    member = employee(HEYUAN, base="4000.00")
    account_credit_month(admdvs=HEYUAN, period="2024-01", by=None)
    # when: moved to Shenzhen (4403xx)
    entry = account_transfer_out(member=member, destination_admdvs="440300", day=date(2024, 2, 10))
    # then: a 0.00 transfer entry, the balance stays and is usable, no more credits
    account = Account.objects.get(member=member)
    assert (entry.amount, account.status, account.balance) == (Decimal("0.00"), "province_usable", Decimal("80.00"))
    assert account_credit_month(admdvs=HEYUAN, period="2024-02", by=None).employed_count == 0
    assert account_pay_claim(member=member, amount=Decimal("30"), setl_id="H1", provider=make_provider(admdvs=HEYUAN),
                             visit_date=date(2024, 3, 1)) == Decimal("30.00")


def test_transfer_across_provinces_moves_the_balance(db):
    member = employee(HEYUAN, base="4000.00")
    account_credit_month(admdvs=HEYUAN, period="2024-01", by=None)
    entry = account_transfer_out(member=member, destination_admdvs="360700", day=date(2024, 2, 10))
    account = Account.objects.get(member=member)
    assert (entry.kind, entry.amount, account.status, account.close_reason) == (
        "transfer", Decimal("-80.00"), "closed", "transfer_out")
    with pytest.raises(ValidationError):
        account_payout(member=employee(NANYANG), reason="enlistment", day=date(2024, 1, 1))


def test_inpatient_only_refused_while_account_open(db):
    member = employee(NANYANG)
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    with pytest.raises(Conflict):
        member_mark_no_account(member=member, since=date(2024, 2, 1))


def test_entries_are_immutable_in_code_and_database(db):
    member = employee(NANYANG)
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    entry = AccountEntry.objects.get()
    entry.amount = Decimal("1.00")
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AccountEntry.objects.filter(pk=entry.pk).update(amount=0)
    with pytest.raises(TypeError):
        AccountEntry.objects.all().delete()
    # the database refuses a negative stored balance and a second credit for the month
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(member=member).update(balance=Decimal("-0.01"))
    account = Account.objects.get(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(account=account, kind="credit", amount=Decimal("1"), running_balance=Decimal("101"),
                                    period=date(2024, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(account=account, kind="debit", amount=Decimal("-1"), running_balance=Decimal("-1"))


def test_database_trigger_refuses_raw_update_and_delete(db):
    from django.db import connection

    employee(NANYANG)
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    for sql in ("UPDATE accounts_accountentry SET amount = 1", "DELETE FROM accounts_accountentry"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AccountEntry.objects.count() == 1
