"""One number format for every staff page, and JSON documents shown as labelled tables.

money 1,234.50 → "¥1,234.50"; amounts without the sign "1,234.50"; ratios 0.55 → "55.00%"; counts
"12,345"; years are printed as they are ("2026", never "2,026"). Used by admin display methods and by
the template filters of ``staff/templatetags/staff_display.py``.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from config.labels import KEY_LABELS, bucket_label, value_label

CENT = Decimal("0.01")
# Keys whose values are money in the JSON documents staff read (claim inputs, run totals, evidence).
MONEY_KEYS = {"medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "paid",
              "quota", "actual", "budget", "hifp_pay", "compared_medfee_sumamt", "fund", "deductible", "special",
              "standard", "amount", "determined", "ceiling_cut", "prepaid", "balance_due"}
COUNT_KEYS = {"lines", "claims", "members", "peers", "visits", "max_visits_per_day"}


def _decimal(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def amount(value, places: int = 2) -> str:
    """1234.5 → "1,234.50" (half-up, as the money is rounded); "" stays "", None is "—"."""
    number = _decimal(value)
    if number is None:
        return "—" if value is None or value == "" else str(value)
    return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


def money(value) -> str:
    """1234.5 → "¥1,234.50"; a negative amount (a reversal) "-¥12.00"."""
    number = _decimal(value)
    if number is None:
        return amount(value)
    text = amount(abs(number))
    return f"-¥{text}" if number < 0 else f"¥{text}"


def ratio(value, places: int = 2) -> str:
    """0.55 → "55.00%"."""
    number = _decimal(value)
    if number is None:
        return amount(value)
    return f"{(number * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}%"


def count(value) -> str:
    number = _decimal(value)
    if number is None:
        return amount(value)
    return f"{int(number):,}"


def yes_no(value) -> str:
    return "是" if value else "否"


def key_label(key: str) -> str:
    return KEY_LABELS.get(key) or bucket_label(key)


@lru_cache(maxsize=1)
def _choice_labels() -> dict[str, dict[str, str]]:
    """Coded values the models label themselves (choices), by the JSON key they appear under: a
    provider's kind in a claim's inputs, a run's or a warning's status in an audit snapshot. Read
    lazily: config is imported by the apps, not the other way round."""
    from budgets.models import SettlementRun
    from claims.models import Claim
    from members.models import Member
    from providers.models import Provider
    from supervision.models import Warning
    from supervision.selectors import INDICATOR_LABELS

    def merged(*choices) -> dict[str, str]:
        out: dict[str, str] = {}
        for pairs in choices:
            for code, label in pairs:
                out.setdefault(code, str(label))
        return out

    return {"kind": merged(Provider.Kind.choices, SettlementRun.Kind.choices, Warning.Kind.choices),
            "status": merged(Claim.Status.choices, SettlementRun.Status.choices, Warning.Status.choices,
                             Provider.Status.choices, Member.Status.choices),
            "indicator": dict(INDICATOR_LABELS)}


def value_shown(key: str, value):
    """One value of a JSON document as staff read it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dict):
        return data_table(value)
    if isinstance(value, list):
        return list_table(key, value)
    labelled = value_label(key, value)
    if labelled is None and isinstance(value, str):
        labelled = _choice_labels().get(key, {}).get(value)
    if labelled is not None:
        return labelled
    if key in MONEY_KEYS or key.startswith(("deductible:", "subcap:", "window:")):
        return money(value)
    if key in COUNT_KEYS:
        return count(value)
    if key == "visit_at" and isinstance(value, str):
        return value[:16].replace("T", " ")
    return str(value)


def data_table(document: dict, *, empty: str = "—") -> SafeString:
    """A JSON object as a two-column table of Chinese labels and formatted values (nested objects
    as nested tables)."""
    if not document:
        return format_html("{}", empty)
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>",
                            ((key_label(key), value_shown(key, value)) for key, value in document.items()))
    return format_html('<table class="data-table">{}</table>', rows)


FEE_DETAIL_COLUMNS = ("项目编码", "项目名称", "费用类别", "收费项目等级", "金额")


def list_table(key: str, items: list) -> SafeString | str:
    if not items:
        return "无"
    if key == "fee_details":
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                ((*row[:4], money(row[4])) for row in items))
        head = format_html_join("", "<th>{}</th>", ((c,) for c in FEE_DETAIL_COLUMNS))
        return format_html('<table class="data-table"><tr>{}</tr>{}</table>', head, body)
    if all(isinstance(item, dict) for item in items):
        keys = list(dict.fromkeys(k for item in items for k in item))
        head = format_html_join("", "<th>{}</th>", ((key_label(k),) for k in keys))
        body = format_html_join("", "<tr>{}</tr>", ((format_html_join(
            "", "<td>{}</td>", ((value_shown(k, item.get(k)),) for k in keys)),) for item in items))
        return format_html('<table class="data-table"><tr>{}</tr>{}</table>', head, body)
    return "、".join(str(value_shown(key, item)) for item in items)


class Titled:
    """An object as the admin's change form shows it, under a readable title (models whose ``__str__``
    would be "Accumulator object (48)"): every attribute is the object's, ``str()`` is the title."""

    def __init__(self, obj, title: str):
        self._obj, self._title = obj, title

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._title


SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def readable_note(note: str) -> str:
    """A rule's explanation with the request's field names it quotes (inscp_scp_amt ...) by their labels."""
    return SNAKE_CASE.sub(lambda m: KEY_LABELS.get(m.group(0), m.group(0)), note or "")
