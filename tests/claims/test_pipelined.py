"""The claim settled outside any transaction (PostgreSQL): one implicit transaction in two round trips
(claims.pipeline.claim_pipeline). It must decide and record exactly what the atomic path does,
and a failure at any point must leave nothing written."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from claims import services
from config.errors import Conflict
from claims.models import Claim
from tests.claims.helpers import request_for
from tests.claims.invariants import accumulated, deltas_sum
from tests.factories import make_member, make_provider, make_signup

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DECIDED = ("status", "reason", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "psn_cash_pay",
           "deltas")


def visits(member, provider, count: int, inscp: str = "180.00"):
    start = datetime(2024, 3, 1, 9, 0)
    return [request_for(member=member, provider=provider, inscp=inscp,
                        visit_at=(start + timedelta(hours=7 * n)).isoformat() + "+08:00") for n in range(count)]


def decided(member) -> list[tuple]:
    return [tuple(getattr(c, name) for name in DECIDED) + (c.steps,)
            for c in Claim.objects.filter(member=member).order_by("visit_at")]


@pytest.mark.parametrize("admdvs", ["411300", "370300", "360100"])
def test_outside_a_transaction_decides_exactly_as_the_atomic_path(admdvs):
    # Given two identical members of the region, each with the same provider (and sign-up where needed)
    signed = admdvs == "360100"
    provider = make_provider(admdvs=admdvs, level="1" if signed else "2", kind="township" if signed else "hospital")
    alone, inside = make_member(admdvs=admdvs), make_member(admdvs=admdvs)
    if signed:
        for member in (alone, inside):
            make_signup(member=member, provider=provider, effective_from=date(2024, 1, 1))
    # When the first member's visits are settled on their own (the pipelined path after the first,
    # which creates the year's row) and the second's inside an outer transaction (the atomic path)
    for request in visits(alone, provider, 12):
        services.claim_settle(request=request, by=None)
    for request in visits(inside, provider, 12):
        with transaction.atomic():
            services.claim_settle(request=request, by=None)
    # Then every decision, step and accumulator is the same
    assert decided(alone) == decided(inside)
    assert len(decided(alone)) == 12
    assert accumulated(alone) == deltas_sum(alone)
    assert accumulated(alone) == accumulated(inside)


def test_a_claim_outside_a_transaction_is_two_statements_without_begin_or_commit():
    # Given a Zibo member who already has this year's row
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300")
    first, second = visits(member, provider, 2)
    services.claim_settle(request=first, by=None)
    # When the next visit is settled
    with CaptureQueriesContext(connection) as queries:
        claim, created = services.claim_settle(request=second, by=None)
    # Then it was the locked read and the write, in one implicit transaction, and the claim has its id
    sent = [q["sql"].split()[0] for q in queries.captured_queries]
    assert sent == ["SELECT", "WITH"]
    assert created and claim.pk == Claim.objects.get(setl_id=claim.setl_id).pk
    assert connection.connection.info.transaction_status == 0  # idle: committed


def test_a_write_refused_at_the_commit_leaves_nothing(monkeypatch):
    # Given a recorded claim under an idempotency key, and the replay check skipped (as if a second
    # request with the key had passed it at the same moment)
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300")
    first, second = visits(member, provider, 2)
    services.claim_settle(request=first.with_idempotency_key("K-1"), by=None)
    before = accumulated(member)
    # When another visit under the same key is settled on the pipelined path
    with pytest.raises(IntegrityError):
        services._settle_pipelined(request=second.with_idempotency_key("K-1"), parameters=None,
                                    request_hash="x", by=None)
    # Then nothing was written and the connection is usable
    assert Claim.objects.filter(member=member).count() == 1
    assert accumulated(member) == before
    # and through the service the same request is answered from the first claim's key (409: other content)
    with pytest.raises(Conflict):
        services.claim_settle(request=second.with_idempotency_key("K-1"), by=None)


def test_an_error_after_the_write_was_queued_rolls_it_back(monkeypatch):
    # Given a member with this year's row, and a failure right after the write is queued
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300")
    first, second = visits(member, provider, 2)
    services.claim_settle(request=first, by=None)
    before = accumulated(member)
    real = services.insert_and_update

    def write_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("after the write")

    monkeypatch.setattr(services, "insert_and_update", write_then_fail)
    # When the visit is settled
    with pytest.raises(RuntimeError):
        services.claim_settle(request=second, by=None)
    # Then neither the claim nor the accumulator change was committed
    assert Claim.objects.filter(member=member).count() == 1
    assert accumulated(member) == before


def test_visits_with_account_payment_or_fee_details_take_the_atomic_path():
    # Given a member with this year's row
    member, provider = make_member(admdvs="370300"), make_provider(admdvs="370300")
    first, second = visits(member, provider, 2)
    services.claim_settle(request=first, by=None)
    detailed = request_for(member=member, provider=provider, inscp="180.00", visit_at="2024-03-05T09:00:00+08:00",
                           fee_details=[{"code": "D1", "name": "药", "category": "drug", "chrgitm_lv": "01",
                                         "amount": "180.00"}])
    # When a visit with fee details is settled / Then the pipelined path declines it
    assert services._settle_pipelined(request=detailed, parameters=None, request_hash="", by=None) is None
    claim, _ = services.claim_settle(request=detailed, by=None)
    assert claim.items.count() == 1
    assert Decimal(claim.hifp_pay) >= 0
