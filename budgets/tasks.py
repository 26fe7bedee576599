"""Celery tasks: thin wrappers with explicit (admdvs, kind, period) arguments.

Beat (config/settings.py) calls the two ``schedule_*`` tasks; they compute the period from the time
they run in Asia/Shanghai (the month before / the year before) and hand it on explicitly, so a re-run
for any period goes through exactly the same code as ``manage.py run_settlement`` and the API.

A large run can be split by district: one ``settlement_partial_task`` per group of districts
computes those districts' aggregates (a chord header, spread over the workers) and ``settlement_combine_task`` writes
the run from all the pieces in one transaction — the same lines a single task writes.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import chord, shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from .services import (FEE_FOR_SERVICE_REGIONS, capitation_regions, settlement_districts, settlement_partials,
                       settlement_run_compute)

log = logging.getLogger(__name__)


def _local_now(now: str | None):
    moment = datetime.fromisoformat(now) if now else timezone.now()
    return timezone.localtime(moment if timezone.is_aware(moment) else timezone.make_aware(moment))


def previous_month(now: str | None = None) -> str:
    first = _local_now(now).date().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def previous_year(now: str | None = None) -> str:
    return str(_local_now(now).year - 1)


@shared_task(name="budgets.tasks.schedule_monthly_settlements")
def schedule_monthly_settlements(now: str | None = None) -> list:
    """1st of the month 02:00: the month before — the capitation monthly run of every capitation
    region and the fee-for-service run of every fee-for-service region (RULES.md "Paying providers")."""
    period = previous_month(now)
    return ([run_settlement_task.delay(admdvs, "monthly", period).id for admdvs in capitation_regions()]
            + [run_settlement_task.delay(admdvs, "fee_for_service", period).id for admdvs in FEE_FOR_SERVICE_REGIONS])


@shared_task(name="budgets.tasks.schedule_year_end_settlements")
def schedule_year_end_settlements(now: str | None = None) -> list:
    """5 January 02:00: the year before, for every capitation region."""
    period = previous_year(now)
    return [run_settlement_task.delay(admdvs, "year_end", period).id for admdvs in capitation_regions()]


@shared_task(name="budgets.tasks.run_settlement_task")
def run_settlement_task(admdvs: str, kind: str, period: str, split: bool | None = None):
    """Compute one run. Split by district when asked (default: setting SETTLEMENT_SPLIT_BY_DISTRICT,
    on when a broker is configured). Returns the run id (single task) or the chord's id (split)."""
    if split is None:
        split = getattr(settings, "SETTLEMENT_SPLIT_BY_DISTRICT", not settings.CELERY_TASK_ALWAYS_EAGER)
    try:
        if split and kind != "fee_for_service":     # one aggregate statement: nothing to split
            return settlement_split_signature(admdvs, kind, period).apply_async().id
        return settlement_run_compute(admdvs=admdvs, kind=kind, period=period).pk
    except ValidationError as exc:      # e.g. a month before capitation started: nothing to run
        log.warning("settlement %s %s %s not run: %s", admdvs, kind, period, exc.messages)
        return None


def settlement_split_signature(admdvs: str, kind: str, period: str, queue: str | None = None,
                               pieces: int | None = None):
    """chord(one partial per group of districts) → combine; its result is the run id.

    Districts are dealt round-robin into ``pieces`` groups (setting SETTLEMENT_SPLIT_PIECES, default
    4; at most one group per district). Each piece still reads the region's sign-up and claim tables
    once, so a piece per worker is the sweet spot, not a piece per district."""
    options = {"queue": queue} if queue else {}
    districts = settlement_districts(admdvs=admdvs)
    count = max(1, min(len(districts), pieces or getattr(settings, "SETTLEMENT_SPLIT_PIECES", 4)))
    groups = [districts[i::count] for i in range(count)]
    header = [settlement_partial_task.s(admdvs, kind, period, group).set(**options) for group in groups]
    return chord(header, settlement_combine_task.s(admdvs, kind, period).set(**options))


@shared_task(name="budgets.tasks.settlement_partial_task")
def settlement_partial_task(admdvs: str, kind: str, period: str, districts: list[str]) -> dict:
    return settlement_partials(admdvs=admdvs, kind=kind, period=period, districts=districts)


@shared_task(name="budgets.tasks.settlement_combine_task")
def settlement_combine_task(partials: list[dict], admdvs: str, kind: str, period: str) -> int:
    return settlement_run_compute(admdvs=admdvs, kind=kind, period=period, partials=partials).pk
