"""Money sums read back from set-based SQL over claims (settlement runs, supervision indicators).

PostgreSQL sums ``numeric`` exactly; ``money_value`` only gives an empty sum (NULL) its zero and every
sum the same two places, so figures compare and print alike. Never a float sum.
"""
from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def money_value(raw) -> Decimal:
    """A SQL ``SUM`` of money as yuan to the fen (0.00 for an empty sum)."""
    if raw is None:
        return Decimal("0.00")
    return Decimal(raw).quantize(CENT)
