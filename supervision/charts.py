"""A small server-rendered line chart (inline SVG): no JavaScript library, nothing fetched from a CDN.

Coordinates are computed with Decimal and written with one decimal place; values are the indicator's
own decimals and are shown as they are stored.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")


def _px(value: Decimal) -> str:
    return str(value.quantize(TENTH, rounding=ROUND_HALF_UP))


def line_chart(points: list[tuple[str, Decimal | None]], *, width: int = 640, height: int = 180,
               pad: int = 32) -> dict:
    """points: (label, value or None) oldest first -> {"width", "height", "path", "dots", "ticks", "max", "min"}."""
    values = [v for _label, v in points if v is not None]
    chart = {"width": width, "height": height, "path": "", "dots": [], "ticks": [], "empty": not values}
    if not values:
        return chart
    low, high = min(min(values), Decimal(0)), max(values)
    span = (high - low) or Decimal(1)
    step = Decimal(width - 2 * pad) / Decimal(max(len(points) - 1, 1))
    inner = Decimal(height - 2 * pad)
    segments = []
    for index, (label, value) in enumerate(points):
        x = Decimal(pad) + step * index
        chart["ticks"].append({"x": _px(x), "label": label})
        if value is None:
            continue
        y = Decimal(height - pad) - (Decimal(value) - low) / span * inner
        segments.append(f"{'M' if not segments else 'L'}{_px(x)},{_px(y)}")
        chart["dots"].append({"x": _px(x), "y": _px(y), "label": label, "value": value})
    chart.update(path=" ".join(segments), max=high, min=low, top=pad, bottom=height - pad, left=pad, right=width - pad)
    return chart
