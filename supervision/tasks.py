"""Celery tasks: thin wrappers with explicit arguments around ``supervision.services``."""
from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from policy.models import Region
from supervision.periods import month_before, period_label, period_parse
from supervision.services import supervision_period_run
from supervision.tallies import tallies_catch_up


@shared_task(name="supervision.tasks.compute_indicators")
def compute_indicators(admdvs: str, period: str) -> dict:
    return supervision_period_run(admdvs=admdvs, period=period_parse(period))


@shared_task(name="supervision.tasks.schedule_monthly_indicators")
def schedule_monthly_indicators(period: str | None = None) -> list[str]:
    """Beat (1st of the month, 04:00): one task per region for the month before now (Asia/Shanghai)."""
    label = period or period_label(month_before(timezone.now()))
    regions = list(Region.objects.order_by("admdvs").values_list("admdvs", flat=True))
    for admdvs in regions:
        compute_indicators.delay(admdvs, label)
    return [f"{admdvs}:{label}" for admdvs in regions]


@shared_task(name="supervision.tasks.tallies_catch_up")
def tallies_catch_up_task() -> int:
    """Beat (every minute): count the claims written since the last catch-up into the tallies, so a
    month run finds only a minute's worth left to count."""
    return tallies_catch_up()
