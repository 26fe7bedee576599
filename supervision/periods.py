"""Months as periods: ``YYYY-MM`` text in, the first day of the month (a ``date``) everywhere inside."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def period_parse(text: str) -> date:
    try:
        year, month = (int(part) for part in str(text).strip().split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError({"period": [f"{text!r} 不是 YYYY-MM 格式的月份"]}) from None


def month_add(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_before(now: datetime) -> date:
    """The month that ended last, as seen in Asia/Shanghai (the beat task runs on the 1st)."""
    local = now.astimezone(SHANGHAI)
    return month_add(date(local.year, local.month, 1), -1)


def period_label(period: date) -> str:
    return f"{period.year:04d}-{period.month:02d}"
