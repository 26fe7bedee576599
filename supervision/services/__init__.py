"""Supervision services. ``supervision_period_run`` is what beat, the command and the pages start."""
from __future__ import annotations

from datetime import date

from supervision.models import ProviderIndicator
from supervision.periods import month_add
from supervision.services.indicators import indicators_compute
from supervision.services.warnings import warnings_detect


def supervision_period_run(*, admdvs: str, period: date) -> dict:
    """Compute a region-month's indicators, then open/refresh its warnings. Safe to repeat.

    Re-running a month also moves the growth figures of the month after and of the same month next
    year (``indicators_growth_refresh``); their growth warnings must follow, or a warning would keep
    figures nobody can reproduce (the beat runs each month once). So the warnings of those later
    months are detected again too, but only for months that were already run: detecting a month that
    was never computed would open claim-pattern warnings for a month nobody has closed yet."""
    rows = indicators_compute(admdvs=admdvs, period=period)
    result = {"admdvs": admdvs, "period": period.isoformat()[:7], "indicators": rows,
              "warnings": warnings_detect(admdvs=admdvs, period=period)}
    later_months = {}
    for later in (month_add(period, 1), month_add(period, 12)):
        if ProviderIndicator.objects.filter(admdvs_id=admdvs, period=later).exists():
            later_months[later.isoformat()[:7]] = warnings_detect(admdvs=admdvs, period=later)
    if later_months:
        result["later_months_warnings"] = later_months
    return result
