"""Exact money sums in set-based SQL over claims (settlement runs, supervision indicators).

PostgreSQL sums ``numeric`` exactly. SQLite (the embedded default) keeps decimals as REAL, so there
the sum is taken over whole fen, ``ROUND(x * 100)`` — exact for amounts with 2 places — and turned
back into yuan by ``money_value``. Never a float sum.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import connection

CENT = Decimal("0.01")


def money_sum(expression: str) -> str:
    """``SUM(expression)`` as an exact money sum on the current database."""
    if connection.vendor == "postgresql":
        return f"SUM({expression})"
    return f"SUM(CAST(ROUND(({expression}) * 100) AS INTEGER))"


def money_value(raw) -> Decimal:
    """A ``money_sum`` result as yuan to the fen (0.00 for an empty sum)."""
    if raw is None:
        return Decimal("0.00")
    if connection.vendor == "postgresql":
        return Decimal(raw).quantize(CENT)
    return (Decimal(int(raw)) / 100).quantize(CENT)
