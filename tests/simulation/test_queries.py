"""A partition's replay asks the database a fixed number of questions, whatever its size (no N+1):
its visits in one statement, then the ledger (members, providers; sign-ups in sign-up regions)."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from simulation.models import Scenario
from simulation.parameters import scenario_parameters, stored_sets
from simulation.replay import partition_replay, period_partitions, recorded_visits
from tests.factories import make_member, make_provider

from .helpers import settle

ZIBO = "370300"


def _replay_queries(members: int) -> int:
    provider = make_provider(admdvs=ZIBO, level="1")
    for n in range(members):
        member = make_member(admdvs=ZIBO)
        for month in (2, 3):
            settle(member=member, provider=provider, visit_at=f"2023-0{month}-0{1 + n % 9}T09:00:00+08:00",
                   eligible="100.00")
    _, [(lo, hi)] = period_partitions(admdvs=ZIBO, year=2023, visits_per_partition=20_000)
    sets = stored_sets(ZIBO)
    scenarios = [(0, True, scenario_parameters(scenario=Scenario(position=0), admdvs=ZIBO, year=2023, sets=sets))]
    with CaptureQueriesContext(connection) as queries:
        visits = recorded_visits(admdvs=ZIBO, year=2023, member_lo=lo, member_hi=hi)
        tallies = partition_replay(admdvs=ZIBO, visits=visits, scenarios=scenarios)
    assert sum(t[0] for t in tallies[0].combos.values()) == len(visits) >= 2 * members
    return len(queries)


def test_replay_queries_do_not_grow_with_the_partition(db):
    # given 3 members, then 12 more (6, then 30 visits), when the partition is replayed each time
    # then the number of statements is the same, and small
    small = _replay_queries(3)
    assert small <= 3
    assert _replay_queries(12) == small
