"""claims/batch_outcomes.py: a worker's outcomes cross to the parent unchanged, whatever they are
(a new claim, a replay of an earlier one, a refusal)."""
import pytest

from claims.batch import claims_settle_batch
from claims.batch_outcomes import BatchOutcome, ClaimSummary, outcomes_pack, outcomes_unpack
from claims.models import Claim
from tests.claims.test_services import visits
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db


def test_packed_outcomes_come_back_as_the_summaries_the_batch_returns_in_process():
    # Given a Ganzhou member's visits settled by the batch in this process (its summaries), one of
    # them under an idempotency key, and a second batch answering that key again (a replay)
    member = make_member(admdvs="360700")
    providers = [make_provider(admdvs="360700", level=level, kind="hospital") for level in "123"]
    requests = visits(member, providers, seed=3, count=6)
    requests[2] = requests[2].with_idempotency_key("K-7")
    summaries = claims_settle_batch(requests=requests, by=None, workers=1)
    replay = claims_settle_batch(requests=[requests[2]], by=None, workers=1)[0]
    assert all(o.created for o in summaries) and not replay.created
    # and the outcomes as a forked worker holds them: the recorded Claim rows, a replay, a refusal
    held = [BatchOutcome(Claim.objects.get(pk=o.claim.pk), True, None) for o in summaries]
    held.append(BatchOutcome(Claim.objects.get(pk=replay.claim.pk), False, None))
    held.append(BatchOutcome(None, False, {"certno": ["统筹区 360700 无此参保人 (no such member)"]}))
    requests_seen = [*requests, requests[2], requests[0]]
    # When they are packed and unpacked into the parent's list
    parent: list = [BatchOutcome() for _ in held]
    outcomes_unpack(outcomes_pack(held, range(len(held))), parent, requests_seen)
    # Then each new claim is the in-process summary, field for field (amounts as Decimals)
    assert parent[:6] == summaries
    assert all(type(o.claim) is ClaimSummary for o in parent[:7])
    assert parent[2].claim.idempotency_key == "K-7" and parent[2].claim.visit_at == requests[2].visit_local
    # and the replay and the refusal are as they were
    assert parent[6].claim == ClaimSummary.of(held[6].claim) and parent[6].created is False
    assert parent[7] == held[7]


def test_only_the_given_indexes_are_sent():
    # Given three outcomes of which the worker sends the first and the last
    held = [BatchOutcome(None, False, {"x": [str(n)]}) for n in range(3)]
    parent = [BatchOutcome() for _ in held]
    # When packed and unpacked / Then the middle one is untouched
    outcomes_unpack(outcomes_pack(held, [0, 2]), parent, [None] * 3)
    assert parent == [held[0], BatchOutcome(), held[2]]
