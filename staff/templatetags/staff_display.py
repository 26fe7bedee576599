"""Template filters of the one number format and the code labels (config/display.py, config/labels.py):
``{% load staff_display %}`` then ``{{ x|money }}``, ``{{ r|ratio }}``, ``{{ n|count }}``,
``{{ doc|data_table }}``, ``{{ code|reason_label }}``."""
from django import template

from config import display, labels

register = template.Library()

register.filter("money", display.money)
register.filter("amount", display.amount)
register.filter("ratio", display.ratio)
register.filter("count", display.count)
register.filter("yes_no", display.yes_no)
register.filter("data_table", display.data_table)
register.filter("reason_label", labels.reason_label)
register.filter("step_label", labels.step_label)
register.filter("key_label", display.key_label)

# Supervision indicators: money per visit/member, counts, the rest ratios (supervision.models RATIO).
MONEY_INDICATORS = {"medfee_sumamt", "hifp_pay", "avg_cost", "fund_per_member"}
COUNT_INDICATORS = {"visits", "members", "repeat_visit_days"}
PLAIN_INDICATORS = {"visits_per_member", "period", "fixmedins_code", "fixmedins_name"}


@register.filter
def indicator_value(value, name: str):
    """One supervision figure in the one format: ¥ for money, % for shares and growth."""
    if value is None or value == "":
        return "—"
    if name in MONEY_INDICATORS:
        return display.money(value)
    if name in COUNT_INDICATORS:
        return display.count(value)
    if name in PLAIN_INDICATORS:
        return display.amount(value) if name == "visits_per_member" else value
    return display.ratio(value)


@register.filter
def indicator_cell(value, index: int):
    """A cell of the indicator table by its column (supervision.views.INDICATOR_COLUMNS)."""
    from supervision.views import INDICATOR_COLUMNS

    return indicator_value(value, INDICATOR_COLUMNS[index][0])


@register.filter
def warning_status(code):
    from supervision.models import Warning

    return dict(Warning.Status.choices).get(code, code) if code else "—"


@register.filter
def evidence_table(figures):
    """A warning's 依据数据 as a labelled table; indicator values formatted by the indicator."""
    from supervision.selectors import INDICATOR_LABELS

    figures = dict(figures or {})
    indicator = figures.get("indicator")
    shown = {}
    for key, value in figures.items():
        if key == "indicator":
            value = INDICATOR_LABELS.get(value, value)
        elif key in ("value", "peer_value", "threshold") and indicator:
            value = indicator_value(value, indicator)
        elif key == "peer_percentile":
            value = display.ratio(value)
        shown[key] = value
    return display.data_table(shown)


@register.filter
def indicator_label(code):
    from supervision.selectors import INDICATOR_LABELS

    return INDICATOR_LABELS.get(code, code) if code else "—"
