"""Nanyang 2025 replayed with a 24-hour window opened on 31 December 2024 (RULES.md "Nanyang": a window
is not a year-to-date accumulator, so it covers 1 January; the previous year is history, not replayed).

An L2 hospital (standard 30 a window, employed 55%). Recorded: 31 December 23:00, 10.00 eligible,
deductible 10 (in 2024); 1 January 01:00, 100.00 eligible, deductible 20, (100 − 20) × 0.55 = 44.00.
Replaying 2025 from empty buckets, the 1 January visit still sees the window's recorded 10:
  baseline:          (100 − 20) × 0.55 = 44.00 (the record, to the fen)
  L2 ratio 60%:      (100 − 20) × 0.60 = 48.00
  L2 standard 40:    (100 − 30) × 0.55 = 38.50 (40 − the 10 recorded)
"""
import pytest

from simulation.models import SimulationFinding
from tests.factories import make_member, make_provider

from .helpers import breakdown, run_simulation, settle

NANYANG = "411300"


@pytest.fixture
def across_midnight(db):
    hospital, member = make_provider(admdvs=NANYANG, level="2", kind="hospital"), make_member(admdvs=NANYANG)
    settle(member=member, provider=hospital, visit_at="2024-12-31T23:00:00+08:00", eligible="10.00")
    crossing = settle(member=member, provider=hospital, visit_at="2025-01-01T01:00:00+08:00", eligible="100.00")
    assert (crossing.act_pay_dedc, crossing.hifp_pay) == (20, 44)
    return crossing


def test_the_baseline_reproduces_the_1_january_visit_and_every_scenario_sees_the_recorded_window(across_midnight):
    run = run_simulation(admdvs=NANYANG, year=2025, drafts=[
        {"label": "60%", "values": {"ratio_employed": {"1": "0.60", "2": "0.60", "3": "0.50"}}},
        {"label": "40", "values": {"deductible_per_visit": {"1": "0", "2": "40", "3": "50"}}}])
    assert run.status == "done", run.error
    assert run.baseline_matches is True and not SimulationFinding.objects.filter(run=run).exists()
    assert breakdown(run, "total")["all"] == [pytest.approx(44), pytest.approx(48), pytest.approx(38.5)]
