"""Celery tasks: thin wrappers with explicit arguments around ``account_credit_month``."""
from __future__ import annotations

from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import account_credit_month
from policy.models import Region


def previous_month(today: date) -> str:
    first = today.replace(day=1)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


@shared_task(name="accounts.tasks.credit_region_month")
def credit_region_month(admdvs: str, period: str) -> dict:
    """Credit one region for one month ('YYYY-MM'); the answer summarises the run or why it was refused."""
    try:
        run = account_credit_month(admdvs=admdvs, period=period, by=None)
    except ValidationError as exc:
        return {"admdvs": admdvs, "period": period, "refused": [str(m) for m in exc.messages]}
    return {"admdvs": admdvs, "period": period, "run": run.pk, "employed": run.employed_count,
            "retired": run.retired_count, "amount": str(run.total_amount), "skipped": run.skipped_count,
            "refused": [r["message"] for r in run.refused]}


@shared_task(name="accounts.tasks.schedule_monthly_credits")
def schedule_monthly_credits() -> str:
    """Beat, on the 1st: credit the month before 'now' in every employee-scheme region."""
    period = previous_month(timezone.localdate())
    for admdvs in Region.objects.filter(insutype="310").values_list("admdvs", flat=True):
        credit_region_month.delay(admdvs, period)
    return period
