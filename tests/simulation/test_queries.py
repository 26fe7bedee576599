"""A partition's replay asks the database a fixed number of questions, whatever its size (no N+1):
its visits in one statement, then the ledger (members, providers; sign-ups in sign-up regions)."""
from decimal import Decimal

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
    # The questions (SELECT), and all statements: the visits' read also sets its transaction's plan
    # mode (replay.py ``planned_for_its_values``) and no parallel workers inside its own transaction
    # (a savepoint here).
    return sum(q["sql"].lstrip().upper().startswith("SELECT") for q in queries), len(queries)


def test_replay_queries_do_not_grow_with_the_partition(db):
    # given 3 members, then 12 more (6, then 30 visits), when the partition is replayed each time
    # then the number of statements is the same, and small: 3 questions (visits, members, providers),
    # 7 statements in all (the read sets two things for its transaction)
    small = _replay_queries(3)
    assert small[0] <= 3 and small[1] <= 7
    assert _replay_queries(12) == small


def test_given_a_year_when_cut_into_partitions_then_the_ranges_hold_whole_members_and_every_visit_once(db):
    # given 6 members with 1, 2, 3, 1, 2, 3 visits (12 visits)
    provider = make_provider(admdvs=ZIBO, level="1")
    members = [make_member(admdvs=ZIBO) for _ in range(6)]
    for n, member in enumerate(members):
        for visit in range(1 + n % 3):
            settle(member=member, provider=provider, visit_at=f"2023-03-0{1 + visit}T09:00:00+08:00",
                   eligible="100.00")
    # when cut for about 4 visits a partition (12 / 4 = 3 partitions asked)
    visits, ranges = period_partitions(admdvs=ZIBO, year=2023, visits_per_partition=4)
    # then the ranges are in order, disjoint, and cover each member's visits in exactly one range
    assert visits == 12 and 2 <= len(ranges) <= 3
    assert all(lo <= hi for lo, hi in ranges) and all(a[1] < b[0] for a, b in zip(ranges, ranges[1:]))
    assert ranges[0][0] == min(m.pk for m in members) and ranges[-1][1] == max(m.pk for m in members)
    replayed = [len(recorded_visits(admdvs=ZIBO, year=2023, member_lo=lo, member_hi=hi)) for lo, hi in ranges]
    assert sum(replayed) == 12 and all(replayed)


def test_given_no_visit_in_the_year_when_cut_then_there_is_no_partition(db):
    assert period_partitions(admdvs=ZIBO, year=2023, visits_per_partition=4) == (0, [])


def test_given_two_scenarios_when_replayed_together_then_each_tally_is_its_own(db):
    # given an employed Zibo member at a level-1 provider, 2023 (deductible 50, ratio 60 %, cap 3 000):
    #   02-01 100 → (100 − 50) × 0.60 = 30; 03-01 100 → 100 × 0.60 = 60; Σ 90
    # and a draft with the level-1 employed ratio at 80 %: 50 × 0.80 = 40; 100 × 0.80 = 80; Σ 120
    from simulation.services import draft_base

    provider = make_provider(admdvs=ZIBO, level="1", kind="township")
    member = make_member(admdvs=ZIBO)
    for month in (2, 3):
        settle(member=member, provider=provider, visit_at=f"2023-0{month}-01T09:00:00+08:00", eligible="100.00")
    _, [(lo, hi)] = period_partitions(admdvs=ZIBO, year=2023, visits_per_partition=20_000)
    sets = stored_sets(ZIBO)
    values = {**draft_base(admdvs=ZIBO, year=2023).values, "ratio_employed": {"1": "0.80", "2": "0.60", "3": "0.50"}}
    baseline = (0, True, scenario_parameters(scenario=Scenario(position=0), admdvs=ZIBO, year=2023, sets=sets))
    draft = (1, False, scenario_parameters(scenario=Scenario(position=1, label="80 %", values=values), admdvs=ZIBO,
                                           year=2023, sets=sets))
    visits = recorded_visits(admdvs=ZIBO, year=2023, member_lo=lo, member_hi=hi)
    # when replayed under both (each visit's facts made once, shared), and under each alone
    together = partition_replay(admdvs=ZIBO, visits=visits, scenarios=[baseline, draft])
    alone = {**partition_replay(admdvs=ZIBO, visits=visits, scenarios=[baseline]),
             **partition_replay(admdvs=ZIBO, visits=visits, scenarios=[draft])}
    # then each scenario has its own figures, the same as alone, and the baseline matches the records
    for scenario_id, fund in ((0, "90.00"), (1, "120.00")):
        assert together[scenario_id].cells[("total", "all")] == [2, Decimal(fund), Decimal("200.00")]
        assert together[scenario_id].members == alone[scenario_id].members == {member.pk: [Decimal(fund), False, False]}
    assert together[0].findings == []


def test_a_replayed_member_leaves_its_bookkeeping_times_unread_and_loads_them_if_asked(db):
    # given a Zibo member with one recorded visit
    from claims.store import UNREAD, ledger_load_fresh
    from members.models import Member
    from simulation.replay import EVERYONE

    provider = make_provider(admdvs=ZIBO, level="1")
    member = make_member(admdvs=ZIBO)
    settle(member=member, provider=provider, visit_at="2023-02-01T09:00:00+08:00", eligible="100.00")
    _, [(lo, hi)] = period_partitions(admdvs=ZIBO, year=2023, visits_per_partition=20_000)
    visits = recorded_visits(admdvs=ZIBO, year=2023, member_lo=lo, member_hi=hi)
    # when the replay's ledger loads it
    ledger = ledger_load_fresh([v.request for v in visits], scope=EVERYONE, parameters=None, member_ids=(lo, hi))
    [book] = ledger.books.values()
    # then the facts a decision reads are there, the timestamps are deferred (not a wrong value),
    # and reading one loads the stored one
    loaded = book.member
    assert (loaded.pk, loaded.certno, loaded.brdy, loaded.enrolled_on) == (member.pk, member.certno, member.brdy,
                                                                         member.enrolled_on)
    assert loaded.get_deferred_fields() == set(UNREAD)
    assert loaded.created_at == Member.objects.get(pk=member.pk).created_at
