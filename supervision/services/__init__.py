"""Supervision services. ``supervision_period_run`` is what beat, the command and the pages start."""
from __future__ import annotations

from datetime import date

from supervision.services.indicators import indicators_compute
from supervision.services.warnings import warnings_detect


def supervision_period_run(*, admdvs: str, period: date) -> dict:
    """Compute a region-month's indicators, then open/refresh its warnings. Safe to repeat."""
    rows = indicators_compute(admdvs=admdvs, period=period)
    return {"admdvs": admdvs, "period": period.isoformat()[:7], "indicators": rows,
            "warnings": warnings_detect(admdvs=admdvs, period=period)}
