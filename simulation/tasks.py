"""Celery: a run is a ``group`` of member partitions chained to one aggregation (a chord), eager in
the embedded default (no REDIS_URL), on the workers otherwise. Thin: each task is one service call."""
from __future__ import annotations

import logging

from celery import chord, shared_task

from .services import simulation_partition_settle, simulation_run_fail, simulation_run_finish, simulation_run_start

log = logging.getLogger(__name__)


@shared_task(name="simulation.tasks.simulation_run_task")
def simulation_run_task(run_id: int, queue: str | None = None) -> int:
    """Cut the run into partitions and send them, with the aggregation after them."""
    try:
        ranges = simulation_run_start(run_id=run_id)
        simulation_signature(run_id, ranges, queue=queue).apply_async()
    except Exception as exc:  # the run must say it failed, whatever the cause; the worker logs it too
        log.exception("simulation %s failed", run_id)
        simulation_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return run_id


def simulation_signature(run_id: int, ranges: list[tuple[int, int]], queue: str | None = None):
    options = {"queue": queue} if queue else {}
    header = [simulation_partition_task.s(run_id, index, lo, hi).set(**options)
              for index, (lo, hi) in enumerate(ranges)]
    finish = simulation_finish_task.si(run_id).set(**options)
    if not header:
        return finish
    return chord(header, finish)


@shared_task(name="simulation.tasks.simulation_partition_task")
def simulation_partition_task(run_id: int, index: int, member_lo: int, member_hi: int) -> bool:
    try:
        return simulation_partition_settle(run_id=run_id, index=index, member_lo=member_lo, member_hi=member_hi)
    except Exception as exc:
        log.exception("simulation %s partition %s failed", run_id, index)
        simulation_run_fail(run_id=run_id, error=f"partition {index} ({member_lo}–{member_hi}): "
                                                 f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="simulation.tasks.simulation_finish_task")
def simulation_finish_task(run_id: int) -> int:
    try:
        return simulation_run_finish(run_id=run_id).pk
    except Exception as exc:
        log.exception("simulation %s aggregation failed", run_id)
        simulation_run_fail(run_id=run_id, error=f"aggregation: {type(exc).__name__}: {exc}")
        raise
