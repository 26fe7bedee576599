"""Two counters paying from one account at the same moment never overdraw it (PostgreSQL row lock)."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Account, AccountEntry
from accounts.services import account_credit_month, account_pay_claim
from tests.accounts.conftest import NANYANG, employee
from tests.factories import make_provider


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_counters_never_overdraw():
    # given: a balance of 100.00 and two counters each settling a member share of 70.00
    member = employee(NANYANG, base="5000.00")
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    clinic = make_provider(admdvs=NANYANG)
    barrier, results, errors = threading.Barrier(2), [], []

    def counter(setl_id: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(account_pay_claim(member=member, amount=Decimal("70.00"), setl_id=setl_id,
                                             provider=clinic, visit_date=date(2024, 2, 1)))
        except Exception as exc:  # noqa: BLE001 — surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=counter, args=(f"C{i}",)) for i in range(2)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then: one pays 70.00, the other what is left (30.00); the account ends at exactly 0.00
    assert errors == []
    assert sorted(results) == [Decimal("30.00"), Decimal("70.00")]
    account = Account.objects.get(member=member)
    assert account.balance == Decimal("0.00")
    assert sorted(AccountEntry.objects.filter(account=account).values_list("running_balance", flat=True)) == [
        Decimal("0.00"), Decimal("30.00"), Decimal("100.00")]
