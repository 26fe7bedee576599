"""Family mutual aid 家庭共济 and paying at the counter (Nanyang 第九/十条 and the like)."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Account, AccountEntry
from accounts.selectors import account_ledger_balance
from accounts.services import (account_credit_month, account_pay_claim, account_pay_contribution,
                               account_refund_claim, relative_bind)
from accounts.services.payments import check_use
from config.errors import Conflict
from members.certno import make_certno
from tests.accounts.conftest import HEYUAN, NANCHANG, NANYANG, employee
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db
SPOUSE = make_certno(area="411302", birth=date(1972, 2, 2), sequence=22)


def funded_holder(base="5000.00"):
    """A Nanyang employee credited once: balance = base × 2%."""
    holder = employee(NANYANG, base=base)
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    return holder


def test_counter_payment_partial_balance_and_reversal(db):
    # given: balance 100.00 (5000 × 2%), a member share of 130.50
    holder, clinic = funded_holder(), make_provider(admdvs=NANYANG, kind="hospital")
    # when
    paid = account_pay_claim(member=holder, amount=Decimal("130.50"), setl_id="S1", provider=clinic,
                             visit_date=date(2024, 2, 3))
    # then: the account pays what it has, the rest is cash (for the caller)
    assert paid == Decimal("100.00")
    account = Account.objects.get(member=holder)
    assert account.balance == Decimal("0.00") == account_ledger_balance(account=account)
    # when the claim is reversed: the 100.00 comes back, once
    assert account_refund_claim(setl_id="S1", reversal_setl_id="R1") == Decimal("100.00")
    account.refresh_from_db()
    assert account.balance == Decimal("100.00")
    with pytest.raises(Conflict):
        account_refund_claim(setl_id="S1", reversal_setl_id="R2")
    assert account_refund_claim(setl_id="NOT-PAID", reversal_setl_id="R3") == Decimal("0.00")
    assert [e.kind for e in AccountEntry.objects.filter(account=account)] == ["credit", "debit", "reversal"]


def test_zero_balance_pays_nothing(db):
    holder, clinic = employee(NANYANG), make_provider(admdvs=NANYANG)
    Account.objects.create(member=holder, opened_on=date(2024, 1, 1))
    assert account_pay_claim(member=holder, amount=Decimal("20.00"), setl_id="S0", provider=clinic,
                             visit_date=date(2024, 2, 3)) == Decimal("0.00")
    assert not AccountEntry.objects.exists()


def test_bound_relative_paid_from_holders_account(db):
    # given: a holder with 100.00 and their spouse (a resident elsewhere) bound with consent
    holder, pharmacy = funded_holder(), make_provider(admdvs=NANYANG, kind="pharmacy")
    spouse = make_member(admdvs=NANCHANG, certno=SPOUSE)
    relative_bind(holder=holder, relative_certno=SPOUSE.lower(), relation="spouse", consented_on=date(2024, 1, 5))
    # when: the spouse buys drugs for 35.20 at a designated pharmacy, paid from the holder's account
    paid = account_pay_claim(member=spouse, amount=Decimal("35.20"), setl_id="S2", provider=pharmacy,
                             visit_date=date(2024, 2, 1), payer_certno=holder.certno)
    # then
    assert paid == Decimal("35.20")
    entry = AccountEntry.objects.get(kind="debit")
    assert (entry.account.member, entry.beneficiary_certno, entry.running_balance) == (holder, SPOUSE, Decimal("64.80"))
    # and: their resident contribution 380.00 is refused while the balance is short, 60.00 is paid in full
    with pytest.raises(ValidationError) as short:
        account_pay_contribution(holder=holder, relative_certno=SPOUSE, amount=Decimal("380"), year=2025,
                                 day=date(2024, 11, 1))
    assert "amount" in short.value.message_dict
    account_pay_contribution(holder=holder, relative_certno=SPOUSE, amount=Decimal("60"), year=2025,
                             day=date(2024, 11, 1))
    assert Account.objects.get(member=holder).balance == Decimal("4.80")


def test_refused_uses_name_the_rule(db):
    holder, clinic = funded_holder(), make_provider(admdvs=NANYANG)
    stranger = make_member(admdvs=NANCHANG)
    # a non-relative
    with pytest.raises(ValidationError) as not_bound:
        account_pay_claim(member=stranger, amount=Decimal("10"), setl_id="S3", provider=clinic,
                          visit_date=date(2024, 2, 1), payer_certno=holder.certno)
    assert "acct_payer_certno" in not_bound.value.message_dict
    # public health, fitness, wellness: 第十条
    for purpose in ("public_health", "fitness", "wellness"):
        with pytest.raises(ValidationError) as refused:
            check_use(payer=holder, purpose=purpose, provider=clinic)
        assert "第十条" in refused.value.message_dict["purpose"][0]
    # at the counter, a visit outside the account's uses is paid nothing from it, not refused (the
    # claim is recorded, not covered): public health, work injury, a provider no longer designated
    suspended = make_provider(admdvs=NANYANG, status="suspended")
    for setl_id, exclusion, provider in (("S4", "public_health", clinic), ("S4b", "work_injury", clinic),
                                         ("S5", None, suspended)):
        assert account_pay_claim(member=holder, amount=Decimal("10"), setl_id=setl_id, provider=provider,
                                 visit_date=date(2024, 2, 1), exclusion=exclusion) == Decimal("0.00")
        assert not AccountEntry.objects.filter(reference=setl_id).exists()
    # TCM prevention 治未病 is a Heyuan use only (第九条(五))
    with pytest.raises(ValidationError):
        check_use(payer=holder, purpose="tcm_prevention", provider=clinic)
    check_use(payer=employee(HEYUAN), purpose="tcm_prevention", provider=make_provider(admdvs=HEYUAN))
    # a resident has no account at all: nothing goes from it (CONTRACT.md acct_used "as far as it goes")
    assert account_pay_claim(member=stranger, amount=Decimal("10"), setl_id="S6", provider=clinic,
                             visit_date=date(2024, 2, 1)) == Decimal("0.00")
    # but a resident named as the paying holder is refused: no account to pay from
    bound_to_nobody = make_member(admdvs=NANYANG)
    with pytest.raises(ValidationError) as no_holder:
        account_pay_claim(member=bound_to_nobody, amount=Decimal("10"), setl_id="S7", provider=clinic,
                          visit_date=date(2024, 2, 1), payer_certno=stranger.certno)
    assert "acct_payer_certno" in no_holder.value.message_dict
    # nothing was written by any refusal
    assert AccountEntry.objects.filter(kind="debit").count() == 0


def test_relative_bind_rules(db):
    holder = funded_holder()
    with pytest.raises(ValidationError) as bad:
        relative_bind(holder=holder, relative_certno="123", relation="cousin", consented_on=date(2099, 1, 1))
    assert set(bad.value.message_dict) == {"certno", "relation", "consented_on"}
    with pytest.raises(ValidationError) as self_bind:
        relative_bind(holder=holder, relative_certno=holder.certno, relation="child", consented_on=date(2024, 1, 1))
    assert "certno" in self_bind.value.message_dict
    relative_bind(holder=holder, relative_certno=SPOUSE, relation="spouse", consented_on=date(2024, 1, 1))
    with pytest.raises(Conflict):
        relative_bind(holder=holder, relative_certno=SPOUSE, relation="spouse", consented_on=date(2024, 1, 1))
    resident = make_member(admdvs=NANCHANG)
    with pytest.raises(ValidationError) as no_account:
        relative_bind(holder=resident, relative_certno=SPOUSE, relation="spouse", consented_on=date(2024, 1, 1))
    assert "holder" in no_account.value.message_dict


def test_parent_and_child_ages_checked_against_the_certno(db):
    # given: a holder born 1970-05-01 and a relative born 2000-06-06
    holder = employee(NANYANG, birth=date(1970, 5, 1))
    child = make_certno(area="411302", birth=date(2000, 6, 6), sequence=41)
    # when / then: a "parent" younger than the holder is refused, naming relation
    with pytest.raises(ValidationError) as wrong:
        relative_bind(holder=holder, relative_certno=child, relation="parent", consented_on=date(2024, 1, 1))
    assert "relation" in wrong.value.message_dict
    assert relative_bind(holder=holder, relative_certno=child, relation="child",
                         consented_on=date(2024, 1, 1)).relation == "child"
