"""The baseline check (issue 22 point 4) and the isolation of a run: nothing outside its own tables.

Zibo 2023 (cap 3 000, L1 deductible 50, ratio 60%), one employed member, L1 provider:
  02-01 eligible 1 050 → (1050 − 50) × 0.6 = 600;  03-01 eligible 500 → 500 × 0.6 = 300.
"""
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
import pytest

from policy.models import ParameterSet
from simulation.models import SimulationFinding, SimulationMemberTotal
from simulation.services import (simulation_partition_settle, simulation_run_cancel, simulation_run_create,
                                 simulation_run_finish, simulation_run_start)
from tests.factories import make_member, make_provider, make_staff

from .helpers import breakdown, run_simulation, settle

ZIBO = "370300"


@pytest.fixture
def two_visits(db):
    provider = make_provider(admdvs=ZIBO, level="1")
    member = make_member(admdvs=ZIBO)
    first = settle(member=member, provider=provider, visit_at="2023-02-01T09:00:00+08:00", eligible="1050.00")
    second = settle(member=member, provider=provider, visit_at="2023-03-01T09:00:00+08:00", eligible="500.00")
    return first, second


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label == "simulation" or not model._meta.managed:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")
            counts[model._meta.db_table] = cursor.fetchone()[0]
    return counts


def test_a_run_writes_nothing_outside_the_simulation_tables(two_visits):
    # given the row count of every table outside the simulation app
    before = _row_counts()
    # when a run replays the year under the baseline and a draft
    run = run_simulation(admdvs=ZIBO, year=2023, drafts=[{"label": "70%", "values": {
        "ratio_employed": {"1": "0.70", "2": "0.60", "3": "0.50"}}}])
    # then its results exist and every other table has exactly the rows it had
    assert run.status == "done", run.error
    # 70%: (1050 − 50) × 0.7 = 700; 500 × 0.7 = 350
    assert breakdown(run, "total")["all"] == [pytest.approx(900), pytest.approx(1050)]
    assert _row_counts() == before


def test_baseline_differs_when_a_parameter_was_edited_after_use(two_visits):
    first, second = two_visits
    # given the 2023 set's L1 deductible edited after the claims used it (bypassing the freeze, as
    # a direct database edit would): 50 → 100
    used = ParameterSet.objects.get(pk=first.parameter_set_id)
    values = {**used.values, "deductible_annual": {"1": "100", "2": "500", "3": "700"}}
    ParameterSet.objects.filter(pk=used.pk).update(values=values)
    # when the year is replayed
    run = run_simulation(admdvs=ZIBO, year=2023, drafts=[{"label": "same", "values": {}}])
    # then the first visit is a finding: same year-to-date before it, another decision
    # ((1050 − 100) × 0.6 = 570 against the recorded 600); the second saw another year-to-date
    # (deductible bucket 100 instead of 50) but was decided the same (300): no finding
    assert run.status == "done" and run.baseline_matches is False
    [finding] = SimulationFinding.objects.filter(run=run)
    assert (finding.claim_id, finding.kind) == (first.pk, "decision")
    assert (finding.recorded_fund_pay, finding.replayed_fund_pay) == (600, 570)
    assert run.results["findings"] == 1


def test_a_run_equal_to_the_records_is_marked_so(two_visits):
    run = run_simulation(admdvs=ZIBO, year=2023, drafts=[{"label": "same", "values": {}}])
    assert run.baseline_matches is True
    assert breakdown(run, "total")["all"] == [900, 900]  # 600 + 300 in both columns


def test_bad_drafts_are_refused_naming_the_parameter(db):
    with pytest.raises(ValidationError) as refused:
        simulation_run_create(admdvs=ZIBO, year=2023, drafts=[{"label": "bad", "values": {"annual_cap": "-1"}}])
    assert "annual_cap" in str(refused.value)
    with pytest.raises(ValidationError):
        simulation_run_create(admdvs=ZIBO, year=2023, drafts=[{"values": {}}] * 4)
    with pytest.raises(ValidationError):
        simulation_run_create(admdvs=ZIBO, year=1999, drafts=[{"values": {}}])


def test_a_cancelled_run_stops_and_keeps_no_figures(two_visits):
    # given a run cut into its partitions (running)
    run = simulation_run_create(admdvs=ZIBO, year=2023, drafts=[{"label": "same", "values": {}}])
    [(lo, hi)] = simulation_run_start(run_id=run.pk)
    analyst = make_staff(all_regions=True, perms=["simulation.run_simulation"])
    # when an analyst cancels it before its partition runs
    asked = simulation_run_cancel(run=run, by=analyst)
    assert asked.status == "running" and asked.cancel_requested
    # then the partition does nothing and the aggregation marks it cancelled, with no figures
    assert simulation_partition_settle(run_id=run.pk, index=0, member_lo=lo, member_hi=hi) is False
    finished = simulation_run_finish(run_id=run.pk)
    assert finished.status == "cancelled" and finished.results == {} and finished.partitions_done == 0
    assert not SimulationMemberTotal.objects.filter(run=run).exists()


def test_cancel_needs_the_permission(two_visits):
    run = simulation_run_create(admdvs=ZIBO, year=2023, drafts=[{"label": "same", "values": {}}])
    with pytest.raises(PermissionDenied):
        simulation_run_cancel(run=run, by=make_staff(all_regions=True))


def test_a_run_cancelled_while_queued_never_starts(two_visits):
    run = simulation_run_create(admdvs=ZIBO, year=2023, drafts=[{"label": "same", "values": {}}])
    simulation_run_cancel(run=run, by=make_staff(all_regions=True, perms=["simulation.run_simulation"]))
    assert simulation_run_start(run_id=run.pk) == []
    run.refresh_from_db()
    assert run.status == "cancelled" and run.partitions_total == 0


def test_deleting_a_run_removes_its_member_totals_without_a_database_constraint(two_visits):
    # given two finished runs of the same year (the member totals' references are kept by the
    # writer and Django's CASCADE, not by PostgreSQL: simulation/models.py SimulationMemberTotal)
    drafts = [{"label": "70%", "values": {"ratio_employed": {"1": "0.70", "2": "0.60", "3": "0.50"}}}]
    kept = run_simulation(admdvs=ZIBO, year=2023, drafts=drafts)
    deleted = run_simulation(admdvs=ZIBO, year=2023, drafts=drafts)
    # one member: a row per scenario (the baseline and the draft)
    assert SimulationMemberTotal.objects.filter(run=kept).count() == 2
    assert SimulationMemberTotal.objects.filter(run=deleted).count() == 2
    # when one run is deleted
    deleted.delete()
    # then its member totals are gone, the other run's stay
    assert not SimulationMemberTotal.objects.filter(run_id=deleted.pk).exists()
    assert SimulationMemberTotal.objects.filter(run=kept).count() == 2
