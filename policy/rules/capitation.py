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


def pro_rata_cuts(amounts: dict, excess: Decimal) -> dict:
    """Split ``excess`` over ``amounts`` (key → determined) in proportion, so the cuts sum EXACTLY
    to ``excess`` (rounded to the fen first): every share is rounded down to the fen, then the fen
    left over go one each to the keys with the largest remainders (ties: the smaller key first).
    Nanchang 第二十二条 county fund ceiling; a key with a non-positive amount is not cut."""
    excess = to_fen(Decimal(excess))
    positive = {k: Decimal(v) for k, v in amounts.items() if Decimal(v) > 0}
    total = sum(positive.values(), Decimal(0))
    if excess <= 0 or total <= 0:
        return {k: Decimal("0.00") for k in amounts}
    excess = min(excess, to_fen(total))
    exact = {k: excess * v / total for k, v in positive.items()}
    floor = {k: (e * 100).to_integral_value(rounding="ROUND_FLOOR") / 100 for k, e in exact.items()}
    left = int((excess - sum(floor.values(), Decimal(0))) * 100)
    for k in sorted(positive, key=lambda k: (-(exact[k] - floor[k]), str(k)))[:left]:
        floor[k] += Decimal("0.01")
    return {k: to_fen(floor.get(k, Decimal(0))) for k in amounts}
