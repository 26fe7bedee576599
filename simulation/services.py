"""Simulation runs 政策测算: create, replay a partition, finish, cancel. Each state change is one
transaction; nothing here writes outside the simulation tables.

A run: ``simulation_run_create`` (the scenarios, validated) → ``simulation_run_start`` (cut the
period's members into partitions) → ``simulation_partition_settle`` per partition (a Celery
``group``; each replays its members under every scenario and writes its partial figures with the
progress counter, in one transaction) → ``simulation_run_finish`` (one aggregation into the
results). A cancelled run's remaining partitions do nothing and the finish marks it cancelled.
"""
from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from policy.models import ParameterSet, Region
from policy.rules import REGIONS

from .models import Scenario, SimulationFinding, SimulationRun
from .parameters import draft_values_check, scenario_parameters, stored_sets
from .replay import BREAKDOWNS, collector_paused, partition_replay, period_partitions, recorded_visits
from .results import results_aggregate

logger = logging.getLogger(__name__)

MAX_DRAFTS = 3
# About this many visits per partition: enough to keep a worker's per-partition overhead (loading
# members, providers, sign-ups) small, few enough that progress moves and memory stays flat.
PARTITION_VISITS = 20_000
BASELINE_LABEL = "基线（实际结算参数）"


def _year_check(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": ["测算年度应为四位年份，如 2024 (year must be YYYY)"]}) from None
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": ["测算年度应为四位年份，如 2024 (year must be YYYY)"]})
    return year


def draft_base(*, admdvs: str, year: int) -> ParameterSet:
    """The set a draft is copied from: the one in force on 1 January of the year, else the first
    that starts within it."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    sets = ParameterSet.objects.filter(region_id=admdvs, effective_from__lte=end).order_by("effective_from")
    covering = [ps for ps in sets if ps.effective_to is None or ps.effective_to >= start]
    if not covering:
        raise ValidationError({"year": [f"{year} 年不在统筹区 {admdvs} 任何政策参数版本的有效期内"]})
    in_force = [ps for ps in covering if ps.effective_from <= start]
    return in_force[-1] if in_force else covering[0]


@transaction.atomic
def simulation_run_create(*, admdvs: str, year, drafts: list[dict], by=None) -> SimulationRun:
    """A queued run with the baseline and one to three drafts. Each draft is {"label": ...,
    "values": {...}}: ``values`` are edits over a copy of the set in force (``draft_base``), checked
    by the region's parameter validation. Refused whole (ValidationError naming the draft and the
    parameter) if anything is wrong."""
    if not Region.objects.filter(pk=admdvs).exists() or admdvs not in REGIONS:
        raise ValidationError({"admdvs": [f"统筹区 {admdvs} 不存在 (unknown region)"]})
    year = _year_check(year)
    if not isinstance(drafts, list) or not 1 <= len(drafts) <= MAX_DRAFTS:
        raise ValidationError({"scenarios": [f"请给出 1 至 {MAX_DRAFTS} 个测算方案 (one to three scenarios)"]})
    base = draft_base(admdvs=admdvs, year=year)
    prepared = []
    for number, draft in enumerate(drafts, start=1):
        if not isinstance(draft, dict) or not isinstance(draft.get("values", {}), dict):
            raise ValidationError({"scenarios": [f"方案{number}: 应为 {{label, values}} 对象"]})
        label = str(draft.get("label") or f"方案{number}").strip()[:60]
        values = {**base.values, **draft.get("values", {})}
        try:
            draft_values_check(admdvs=admdvs, values=values)
        except ValidationError as exc:
            raise ValidationError({"scenarios": [f"方案{number}（{label}）{m}" for m in exc.messages]}) from None
        prepared.append((label, values))
    run = SimulationRun.objects.create(admdvs_id=admdvs, year=year, created_by=by if getattr(by, "pk", None) else None)
    Scenario.objects.create(run=run, position=0, label=BASELINE_LABEL)
    for position, (label, values) in enumerate(prepared, start=1):
        Scenario.objects.create(run=run, position=position, label=label, based_on=base, values=values)
    logger.info("simulation %s created by %s: %s %s, %d drafts", run.pk, by, admdvs, year, len(prepared))
    return run


def simulation_run_submit(*, admdvs: str, year, drafts: list[dict], by) -> SimulationRun:
    """A staff member's run: needs ``simulation.run_simulation`` and the WHOLE region in their scope
    (the results cover every district); created, then sent to Celery (eager without a broker: done
    when this returns)."""
    from .selectors import region_visible
    from .tasks import simulation_run_task  # tasks import this module

    if by is None or not by.has_perm("simulation.run_simulation"):
        raise PermissionDenied("需要政策测算权限 (run_simulation)")
    if not region_visible(user=by, admdvs=admdvs):
        raise PermissionDenied("政策测算需要整个统筹区的数据范围 (the whole region must be in your scope)")
    run = simulation_run_create(admdvs=admdvs, year=year, drafts=drafts, by=by)
    simulation_run_task.delay(run.pk)
    return run


@transaction.atomic
def simulation_run_start(*, run_id: int) -> list[tuple[int, int]]:
    """Cut the run's members into partitions of whole members (member id ranges) and mark it
    running; the ranges, in order. No visit: the run is done at once, with empty results."""
    run = SimulationRun.objects.select_for_update().get(pk=run_id)
    if run.cancel_requested or run.finished:   # cancelled while queued: nothing to cut
        return []
    visits, ranges = period_partitions(admdvs=run.admdvs_id, year=run.year, visits_per_partition=PARTITION_VISITS)
    run.status = SimulationRun.Status.RUNNING
    run.partitions_total, run.partitions_done, run.visits = len(ranges), 0, visits
    run.save(update_fields=["status", "partitions_total", "partitions_done", "visits"])
    return ranges


def simulation_partition_settle(*, run_id: int, index: int, member_lo: int, member_hi: int) -> bool:
    """Replay one partition under every scenario and write its figures and the progress, in one
    transaction. Does nothing (False) once the run is cancelled or failed."""
    run = SimulationRun.objects.get(pk=run_id)
    if run.cancel_requested or run.finished:
        return False
    scenarios = list(Scenario.objects.filter(run=run).select_related("based_on"))
    sets = stored_sets(run.admdvs_id)
    with collector_paused():   # the reading too (replay.py ``collector_paused``)
        visits = recorded_visits(admdvs=run.admdvs_id, year=run.year, member_lo=member_lo, member_hi=member_hi)
        tallies = partition_replay(admdvs=run.admdvs_id, visits=visits, scenarios=[
            (s.pk, s.is_baseline, scenario_parameters(scenario=s, admdvs=run.admdvs_id, year=run.year, sets=sets))
            for s in scenarios])
    with transaction.atomic():
        locked = SimulationRun.objects.select_for_update().get(pk=run_id)
        if locked.cancel_requested or locked.finished:
            return False
        _members_write(run_id, tallies)
        for scenario_id, tally in tallies.items():
            _cells_write(run_id, scenario_id, index, tally.cells)
            SimulationFinding.objects.bulk_create([
                SimulationFinding(run_id=run_id, claim_id=f.claim_id, setl_id=f.setl_id, kind=f.kind,
                                  recorded_fund_pay=f.recorded, replayed_fund_pay=f.replayed, note=f.note)
                for f in tally.findings])
        with connection.cursor() as cursor:
            cursor.execute("UPDATE simulation_simulationrun SET partitions_done = partitions_done + 1 WHERE id = %s",
                           [run_id])
    return True


def _cells_write(run_id: int, scenario_id: int, index: int, cells: dict) -> None:
    if not cells:
        return
    keys = sorted(cells)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO simulation_simulationcell (run_id, scenario_id, partition, breakdown, key, visits, fund_pay, "
            "medfee) SELECT %s, %s, %s, b, k, v, f, m FROM unnest(%s::text[], %s::text[], %s::int[], %s::numeric[], "
            "%s::numeric[]) AS x(b, k, v, f, m)",
            [run_id, scenario_id, index, [b for b, _ in keys], [k for _, k in keys], [cells[k][0] for k in keys],
             [cells[k][1] for k in keys], [cells[k][2] for k in keys]])


# The member totals' columns, in the order ``_members_write`` sends them, with their types (binary COPY).
MEMBER_TOTAL_COLUMNS = ("run_id", "scenario_id", "member_id", "fund_pay", "at_cap", "at_subcap")
MEMBER_TOTAL_TYPES = ("bigint", "bigint", "bigint", "numeric", "bool", "bool")


def _members_write(run_id: int, tallies: dict) -> None:
    """Every scenario's member totals of the partition (a row per member and scenario: thousands),
    in one binary COPY: the INSERT from ``unnest`` of four arrays spent twice the CPU building and
    parsing the arrays' text (a tenth of the partition's wall time went to this write)."""
    if not any(tally.members for tally in tallies.values()):
        return
    columns = ", ".join(MEMBER_TOTAL_COLUMNS)
    with connection.cursor():   # the connection opened as Django opens it, then its DB-API cursor
        with connection.connection.cursor() as raw:
            with raw.copy(f"COPY simulation_simulationmembertotal ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(MEMBER_TOTAL_TYPES)
                for scenario_id, tally in tallies.items():
                    for member_id, (fund, at_cap, at_subcap) in tally.members.items():
                        copy.write_row((run_id, scenario_id, member_id, fund, at_cap, at_subcap))


@transaction.atomic
def simulation_run_finish(*, run_id: int) -> SimulationRun:
    """The one aggregation after the partitions: the results side by side, the baseline check, the
    partial cells dropped. A cancelled run is marked cancelled and keeps no figures."""
    run = SimulationRun.objects.select_for_update().get(pk=run_id)
    if run.finished:
        return run
    if run.cancel_requested:
        _partials_drop(run_id)
        run.status, run.finished_at = SimulationRun.Status.CANCELLED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        return run
    run.results = results_aggregate(run=run)
    run.baseline_matches = not SimulationFinding.objects.filter(run=run).exists()
    _partials_drop(run_id)
    run.status, run.finished_at = SimulationRun.Status.DONE, timezone.now()
    run.save(update_fields=["results", "baseline_matches", "status", "finished_at"])
    logger.info("simulation %s done: %d visits, baseline %s", run.pk, run.visits,
                "matches" if run.baseline_matches else "differs")
    return run


def _partials_drop(run_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM simulation_simulationcell WHERE run_id = %s", [run_id])


@transaction.atomic
def simulation_run_cancel(*, run: SimulationRun, by) -> SimulationRun:
    """Ask a running run to stop: partitions not yet replayed do nothing, the finish marks it."""
    if by is None or not by.has_perm("simulation.run_simulation"):
        raise PermissionDenied("需要政策测算权限 (run_simulation)")
    locked = SimulationRun.objects.select_for_update().get(pk=run.pk)
    if not locked.finished:
        locked.cancel_requested = True
        locked.save(update_fields=["cancel_requested"])
        if locked.status == SimulationRun.Status.QUEUED:   # never started: nothing will finish it
            locked.status, locked.finished_at = SimulationRun.Status.CANCELLED, timezone.now()
            locked.save(update_fields=["status", "finished_at"])
    return locked


@transaction.atomic
def simulation_run_fail(*, run_id: int, error: str) -> None:
    SimulationRun.objects.filter(pk=run_id).exclude(status=SimulationRun.Status.DONE).update(
        status=SimulationRun.Status.FAILED, error=error[:2000], finished_at=timezone.now())


__all__ = ["BREAKDOWNS", "simulation_run_create", "simulation_run_submit", "simulation_run_start",
           "simulation_partition_settle", "simulation_run_finish", "simulation_run_cancel", "simulation_run_fail",
           "draft_base"]
