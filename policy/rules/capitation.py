"""Year-end band arithmetic shared by the capitation regions (pure).

Band comparisons multiply instead of dividing (``actual < 0.8 × budget``) so the edges are exact:
79.99% is below 80%, 80% is in the 80% band, with no rounding of a usage percentage.
"""
from dataclasses import dataclass
from decimal import Decimal

from .money import to_fen


@dataclass(frozen=True)
class YearEndAmounts:
    band: str
    determined: Decimal
    balance_due: Decimal
    explanation: str


def balance(determined: Decimal, prepaid: Decimal) -> Decimal:
    """What is still due for the year (negative: to recover from the provider)."""
    return to_fen(determined - prepaid)


def month_share_total(standard_times_months: Decimal) -> Decimal:
    """Σ(standard × months) ÷ 12 for a provider, rounded once for the recorded line."""
    return to_fen(Decimal(standard_times_months) / 12)
