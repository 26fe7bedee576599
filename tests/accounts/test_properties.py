"""Property: over any sequence of credits, counter payments, reversals and payouts, the stored balance
equals the sum of the entries, no balance is ever below zero and a month is credited at most once."""
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts.models import Account, AccountEntry
from accounts.services import account_credit_month, account_pay_claim, account_payout, account_refund_claim
from config.errors import Conflict
from policy.selectors import parameter_cache_clear
from tests.accounts.conftest import NANYANG, employee
from tests.factories import make_provider

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
operations = st.lists(st.one_of(
    st.tuples(st.just("credit"), st.sampled_from(MONTHS)),
    st.tuples(st.just("pay"), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250"), places=2)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=9)),
    st.tuples(st.just("payout"), st.just(None)),
), max_size=14)


class LedgerProperties(TestCase):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(ops=operations, base=st.decimals(min_value=Decimal("500"), max_value=Decimal("9000"), places=2))
    def test_balance_is_sum_of_entries_never_negative(self, ops, base):
        parameter_cache_clear()
        member = employee(NANYANG, base=str(base))
        clinic = make_provider(admdvs=NANYANG)
        paid_claims: list[str] = []
        for number, (op, arg) in enumerate(ops):
            try:
                if op == "credit":
                    account_credit_month(admdvs=NANYANG, period=arg, by=None)
                elif op == "pay":
                    setl_id = f"S{number}"
                    if account_pay_claim(member=member, amount=arg, setl_id=setl_id, provider=clinic,
                                         visit_date=date(2024, 6, 1)) > 0:
                        paid_claims.append(setl_id)
                elif op == "reverse" and paid_claims:
                    account_refund_claim(setl_id=paid_claims[arg % len(paid_claims)], reversal_setl_id=f"R{number}")
                elif op == "payout":
                    account_payout(member=member, reason="left_scheme", day=date(2024, 12, 31))
            except (ValidationError, Conflict):
                pass  # refused: must have written nothing, which the invariants below check
            self.assert_invariants(member)

    def assert_invariants(self, member):
        account = Account.objects.filter(member=member).first()
        if account is None:
            return
        entries = list(AccountEntry.objects.filter(account=account).order_by("id"))
        total = sum((e.amount for e in entries), Decimal("0.00"))
        assert account.balance == total, (account.balance, total)
        assert account.balance >= 0
        running = Decimal("0.00")
        for entry in entries:
            running += entry.amount
            assert entry.running_balance == running >= 0
        per_month = (AccountEntry.objects.filter(account=account, kind="credit").values("period")
                     .annotate(n=Count("id"), s=Sum("amount")))
        assert all(row["n"] == 1 for row in per_month)
        if account.status == "closed":
            assert account.balance == 0
