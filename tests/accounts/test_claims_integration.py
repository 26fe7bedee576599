"""The claim API pays the member share from the account (acct_used) and a reversal refunds it.

Nanyang L1 employed: deductible 0, ratio 60%. Eligible 200.00 + own-paid 50.00 → fund 120.00,
member share 130.00; with 100.00 in the account: acct_pay 100.00, cash 30.00.
"""
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account, AccountEntry
from accounts.services import account_credit_month, relative_bind
from claims.requests import ClaimRequest
from tests.accounts.conftest import NANYANG, employee
from tests.factories import make_provider

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(
    "acct_payer_certno" not in ClaimRequest.__dataclass_fields__, reason="claims integration not wired yet")]


def claim_body(member, provider, **extra):
    return {"certno": member.certno, "admdvs": NANYANG, "fixmedins_code": provider.fixmedins_code,
            "visit_at": "2024-02-03T10:00:00+08:00", "medfee_sumamt": "250.00", "fulamt_ownpay_amt": "50.00",
            "inscp_scp_amt": "200.00", "acct_used": True, **extra}


def test_claim_paid_from_account_then_reversed(db, api_client, city_admin):
    # given: 100.00 in the account
    member = employee(NANYANG, base="5000.00")
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    clinic = make_provider(admdvs=NANYANG, level="1", kind="township")
    api_client.force_authenticate(city_admin)
    # when
    settled = api_client.post("/api/v1/claims/", claim_body(member, clinic), format="json")
    # then
    assert settled.status_code == 201, settled.json()
    claim = settled.json()
    assert (claim["hifp_pay"], claim["psn_part_amt"], claim["acct_pay"], claim["psn_cash_pay"]) == (
        "120.00", "130.00", "100.00", "30.00")
    assert Account.objects.get(member=member).balance == Decimal("0.00")
    # when: reversed
    reversal = api_client.post(f"/api/v1/claims/{claim['setl_id']}/reverse/", format="json")
    # then: the account gets its 100.00 back with a reversal entry naming the reversal
    assert reversal.status_code == 201, reversal.json()
    assert (reversal.json()["acct_pay"], reversal.json()["psn_cash_pay"]) == ("-100.00", "-30.00")
    assert Account.objects.get(member=member).balance == Decimal("100.00")
    refund = AccountEntry.objects.get(kind="reversal")
    assert refund.reference == reversal.json()["setl_id"] and refund.reverses.reference == claim["setl_id"]


def test_claim_paid_from_relatives_account_and_refusals_write_nothing(db, api_client, city_admin):
    # given: a holder with 100.00 and their spouse (no balance of their own) bound to the account
    holder = employee(NANYANG, base="5000.00")
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    spouse = employee(NANYANG, base=None, birth=date(1972, 2, 2))
    clinic = make_provider(admdvs=NANYANG, level="1", kind="township")
    api_client.force_authenticate(city_admin)
    # when: not bound yet → 400 naming acct_payer_certno, no claim, no entry
    refused = api_client.post("/api/v1/claims/", claim_body(spouse, clinic, acct_payer_certno=holder.certno),
                              format="json")
    assert refused.status_code == 400 and "acct_payer_certno" in refused.json()
    assert AccountEntry.objects.filter(kind="debit").count() == 0
    # when bound
    relative_bind(holder=holder, relative_certno=spouse.certno, relation="spouse", consented_on=date(2024, 1, 2))
    paid = api_client.post("/api/v1/claims/", claim_body(spouse, clinic, acct_payer_certno=holder.certno),
                           format="json")
    # then
    assert paid.status_code == 201, paid.json()
    assert (paid.json()["acct_pay"], paid.json()["psn_cash_pay"]) == ("100.00", "30.00")
    assert AccountEntry.objects.get(kind="debit").beneficiary_certno == spouse.certno
    # and: without acct_used the account is untouched
    cash = api_client.post("/api/v1/claims/", claim_body(holder, clinic, acct_used=False), format="json")
    assert (cash.json()["acct_pay"], cash.json()["psn_cash_pay"]) == ("0.00", "130.00")


def test_batch_pays_from_relatives_account_and_refuses_an_unbound_payer(db):
    # given: a holder with 100.00, a bound spouse and an unbound colleague
    from claims.services import claims_settle_batch
    from claims.requests import claim_request_parse

    holder = employee(NANYANG, base="5000.00")
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    spouse = employee(NANYANG, base=None, birth=date(1972, 2, 2))
    colleague = employee(NANYANG, base=None, birth=date(1975, 3, 3))
    relative_bind(holder=holder, relative_certno=spouse.certno, relation="spouse", consented_on=date(2024, 1, 2))
    clinic = make_provider(admdvs=NANYANG, level="1", kind="township")
    requests = [claim_request_parse(claim_body(spouse, clinic, acct_payer_certno=holder.certno)),
                claim_request_parse(claim_body(colleague, clinic, acct_payer_certno=holder.certno))]
    # when: the file of visits goes through the batch path
    paid, refused = claims_settle_batch(requests=requests, by=None)
    # then: the spouse's share is paid from the holder's account (as through the API) ...
    assert (paid.claim.acct_pay, paid.claim.psn_cash_pay) == (Decimal("100.00"), Decimal("30.00"))
    assert AccountEntry.objects.get(kind="debit").beneficiary_certno == spouse.certno
    assert Account.objects.get(member=holder).balance == Decimal("0.00")
    # ... and the unbound payer refuses that visit alone, naming the field, writing no claim for it
    assert refused.claim is None and "acct_payer_certno" in refused.errors
    assert not colleague.claims.exists() and AccountEntry.objects.filter(kind="debit").count() == 1
