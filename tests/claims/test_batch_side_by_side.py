"""The batch settles chunks on two threads (PostgreSQL, outside a transaction) and decides exactly
as one by one: the same figures per visit, each accumulator equal to its claims' deltas."""
from datetime import date

import pytest

from claims import batch as batch_module
from claims.batch import claims_settle_batch
from claims.services import claim_settle
from tests.claims.invariants import accumulated, deltas_sum
from tests.claims.test_services import visits
from tests.factories import make_member, make_provider, make_signup

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shape(claim):
    return claim.status, claim.reason, claim.act_pay_dedc, claim.pool_prop_selfpay, claim.hifp_pay, claim.deltas


@pytest.mark.parametrize("admdvs", ["411300", "360100"])
def test_two_threads_decide_like_one_by_one(admdvs, monkeypatch):
    # given six members settled visit by visit and six identical members left for the batch
    providers = [make_provider(admdvs=admdvs, level="1", kind="township"),
                 make_provider(admdvs=admdvs, level="2", kind="hospital"),
                 make_provider(admdvs=admdvs, level="3", kind="hospital")]
    singles, twins = [], []
    for _ in range(6):
        pair = [make_member(admdvs=admdvs), make_member(admdvs=admdvs)]
        if admdvs == "360100":
            for member in pair:
                make_signup(member=member, provider=providers[0], effective_from=date(2023, 1, 1))
        singles.append(pair[0])
        twins.append(pair[1])
    expected = [[shape(claim_settle(request=r, by=None)[0]) for r in visits(m, providers, seed)]
                for seed, m in enumerate(singles)]
    threads_used = set()
    settle_chunk = batch_module._Batch.settle_chunk

    def spying(self, member_ids):
        import threading

        threads_used.add(threading.current_thread().name)
        return settle_chunk(self, member_ids)

    monkeypatch.setattr(batch_module._Batch, "settle_chunk", spying)
    requests = [r for seed, m in enumerate(twins) for r in reversed(visits(m, providers, seed))]
    # when the batch runs in chunks of about one member on two threads
    outcomes = claims_settle_batch(requests=requests, by=None, chunk_size=10, workers=2)
    # then both threads worked, and every member's decisions and accumulator match
    assert threads_used == {"claims-batch-0", "claims-batch-1"}
    assert all(o.created and not o.errors for o in outcomes)
    for member, wanted in zip(twins, expected):
        mine = sorted((o.claim for o in outcomes if o.claim.member_id == member.pk), key=lambda c: c.visit_at)
        assert [shape(c) for c in mine] == wanted
        assert accumulated(member) == deltas_sum(member)


def test_a_failing_chunk_stops_the_others_and_is_raised(monkeypatch):
    # given twelve members' visits and a chunk that fails
    providers = [make_provider(admdvs="370300", level=level, kind="hospital") for level in "123"]
    members = [make_member(admdvs="370300") for _ in range(12)]
    requests = [r for seed, m in enumerate(members) for r in visits(m, providers, seed, count=3)]
    settle_chunk = batch_module._Batch.settle_chunk
    calls = []

    def failing(self, member_ids):
        calls.append(member_ids)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return settle_chunk(self, member_ids)

    monkeypatch.setattr(batch_module._Batch, "settle_chunk", failing)
    # when / then the failure reaches the caller and not every chunk was started
    with pytest.raises(RuntimeError, match="disk full"):
        claims_settle_batch(requests=requests, by=None, chunk_size=3, workers=2)
    assert len(calls) < 12
