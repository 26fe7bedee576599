"""The batch settles chunks in two forked processes (PostgreSQL, outside a transaction; on two
threads where fork is unavailable) and decides exactly as one by one: the same figures per visit,
each accumulator equal to its claims' deltas."""
import multiprocessing
import os
import pickle
import threading
from datetime import date

import pytest

from claims import batch as batch_module
from claims import batch_workers
from claims.batch import claims_settle_batch
from claims.services import claim_settle
from tests.claims.invariants import accumulated, deltas_sum
from tests.claims.test_services import visits
from tests.factories import make_member, make_provider, make_signup

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shape(claim):
    return claim.status, claim.reason, claim.act_pay_dedc, claim.pool_prop_selfpay, claim.hifp_pay, claim.deltas


def given_twins(admdvs):
    """Six members settled visit by visit, and six identical members' visits left for the batch."""
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
    requests = [r for seed, m in enumerate(twins) for r in reversed(visits(m, providers, seed))]
    return twins, expected, requests


def spy_on_chunks(monkeypatch, log, fail_for=None):
    """Each settled chunk appends its worker's name to ``log`` (a file: forked workers share no
    memory); the chunk holding member ``fail_for`` raises instead."""
    settle_chunk = batch_module._Batch.settle_chunk

    def spying(self, member_ids, **options):
        with open(log, "a") as out:
            out.write(f"{multiprocessing.current_process().name}/{threading.current_thread().name} {os.getpid()}\n")
        if fail_for in member_ids:
            raise RuntimeError("disk full")
        return settle_chunk(self, member_ids, **options)

    monkeypatch.setattr(batch_module._Batch, "settle_chunk", spying)


def then_each_member_as_one_by_one(outcomes, twins, expected):
    assert all(o.created and not o.errors for o in outcomes)
    for member, wanted in zip(twins, expected):
        mine = sorted((o.claim for o in outcomes if o.claim.member_id == member.pk), key=lambda c: c.visit_at)
        assert [shape(c) for c in mine] == wanted
        assert accumulated(member) == deltas_sum(member)


@pytest.mark.parametrize("admdvs", ["411300", "360100"])
def test_two_processes_decide_like_one_by_one(admdvs, monkeypatch, tmp_path):
    # given six members settled visit by visit and six identical members left for the batch
    twins, expected, requests = given_twins(admdvs)
    log = tmp_path / "chunks.log"
    spy_on_chunks(monkeypatch, log)
    # when the batch runs in chunks of about one member in two worker processes
    outcomes = claims_settle_batch(requests=requests, by=None, chunk_size=10, workers=2)
    # then two other processes settled the chunks, and every member's decisions and accumulator match
    workers = {line.split()[0].split("/")[0]: line.split()[1] for line in log.read_text().splitlines()}
    assert set(workers) == {"claims-batch-0", "claims-batch-1"}
    assert str(os.getpid()) not in workers.values() and len(set(workers.values())) == 2
    then_each_member_as_one_by_one(outcomes, twins, expected)


def test_without_fork_two_threads_decide_like_one_by_one(monkeypatch, tmp_path):
    # given a platform without fork (the same twins as above)
    twins, expected, requests = given_twins("370300")
    monkeypatch.setattr(batch_workers.mp, "get_all_start_methods", lambda: ["spawn"])
    log = tmp_path / "chunks.log"
    spy_on_chunks(monkeypatch, log)
    # when the batch runs with two workers
    outcomes = claims_settle_batch(requests=requests, by=None, chunk_size=10, workers=2)
    # then two threads of this process settled the chunks, with the same decisions
    names = {line.split()[0].split("/")[1] for line in log.read_text().splitlines()}
    assert names == {"claims-batch-0", "claims-batch-1"}
    assert {line.split()[1] for line in log.read_text().splitlines()} == {str(os.getpid())}
    then_each_member_as_one_by_one(outcomes, twins, expected)


def test_a_failing_chunk_stops_the_others_and_is_raised(monkeypatch, tmp_path):
    # given twelve members' visits, one member per chunk, and the second member's chunk failing
    providers = [make_provider(admdvs="370300", level=level, kind="hospital") for level in "123"]
    members = [make_member(admdvs="370300") for _ in range(12)]
    requests = [r for seed, m in enumerate(members) for r in visits(m, providers, seed, count=3)]
    log = tmp_path / "chunks.log"
    spy_on_chunks(monkeypatch, log, fail_for=members[1].pk)
    # when / then the failure reaches the caller and not every chunk was started
    with pytest.raises(RuntimeError, match="disk full"):
        claims_settle_batch(requests=requests, by=None, chunk_size=3, workers=2)
    assert len(log.read_text().splitlines()) < 12


def test_an_exception_that_cannot_cross_processes_is_named():
    # given an exception that pickle cannot carry back from a worker
    class Local(Exception):
        pass

    # when it is made portable / then a RuntimeError names it; a picklable one passes as it is
    portable = batch_workers._portable(Local("no space left"))
    assert type(portable) is RuntimeError and str(portable) == "Local: no space left"
    assert type(pickle.loads(pickle.dumps(portable))) is RuntimeError
    original = ValueError("bad")
    assert batch_workers._portable(original) is original
