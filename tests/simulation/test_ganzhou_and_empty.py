"""Ganzhou 2023 by benefit category with the hypertension sub-cap raised (RULES.md Ganzhou, 第五条(一)(四)),
and a year without visits.

One employed member, L1 provider (ratio 60%):
  03-01 hypertension, eligible 500: no deductible, 500 × 0.6 = 300 (sub-cap 500: 300 used)
  05-01 hypertension, eligible 500: 300 → 200 left of the sub-cap → 200 (sub-cap reached)
  06-01 ordinary, eligible 1 100: deductible 600, (1100 − 600) × 0.6 = 300
Baseline: hypertension 500, ordinary 300, total 800, 1 member at a sub-cap.
Draft hypertension sub-cap 800: 300 + 300 = 600 (200 left: not reached), ordinary 300, total 900.
"""
from decimal import Decimal

import pytest

from tests.factories import make_member, make_provider

from .helpers import breakdown, run_simulation, settle

GANZHOU = "360700"


@pytest.fixture
def ganzhou_2023(db):
    provider, member = make_provider(admdvs=GANZHOU, level="1"), make_member(admdvs=GANZHOU)
    settle(member=member, provider=provider, visit_at="2023-03-01T09:00:00+08:00", eligible="500.00",
           benefit="hypertension")
    settle(member=member, provider=provider, visit_at="2023-05-01T09:00:00+08:00", eligible="500.00",
           benefit="hypertension")
    settle(member=member, provider=provider, visit_at="2023-06-01T09:00:00+08:00", eligible="1100.00")


def test_benefit_categories_and_sub_cap_reached(ganzhou_2023):
    run = run_simulation(admdvs=GANZHOU, year=2023, drafts=[{"label": "两病 800", "values": {
        "two_disease_subcap": {"hypertension": "800", "diabetes": "600"}}}])
    assert run.status == "done" and run.baseline_matches is True
    assert breakdown(run, "benefit") == {"hypertension": [Decimal("500.00"), Decimal("600.00")],
                                         "ordinary": [Decimal("300.00"), Decimal("300.00")]}
    assert breakdown(run, "total")["all"] == [Decimal("800.00"), Decimal("900.00")]
    assert run.results["members"]["at_subcap"] == [1, 0]
    assert run.results["members"]["at_cap"] == [0, 0]


def test_a_year_without_visits_is_done_with_empty_results(db):
    run = run_simulation(admdvs=GANZHOU, year=2024, drafts=[{"label": "same", "values": {}}])
    assert run.status == "done" and run.visits == 0 and run.partitions_total == 0
    assert breakdown(run, "total") == {} and run.baseline_matches is True
