"""Inline SVG bar charts for the chart page (no external assets): grouped bars, one colour per
scenario. Pure geometry from Decimal strings; the template draws it."""
from __future__ import annotations

from decimal import Decimal

COLOURS = ("#417690", "#e07b39", "#5b9f4a", "#a05195")


def grouped_bars(*, groups: list[tuple[str, list]], series: list[str], width: int = 760, height: int = 260) -> dict:
    """``groups``: (label, one value per series). Returns the rectangles, axis and legend."""
    left, right, top, bottom = 70, width - 10, 24, height - 40
    values = [Decimal(str(v)) for _, row in groups for v in row]
    peak = max([v for v in values if v > 0], default=Decimal(0))
    if not groups or peak == 0:
        return {"empty": True}
    slot = (right - left) / len(groups)
    bar = max(1.0, slot * 0.8 / len(series))
    rects, ticks = [], []
    for g, (label, row) in enumerate(groups):
        x0 = left + g * slot + slot * 0.1
        for s, value in enumerate(row):
            value = Decimal(str(value))
            h = float(max(value, Decimal(0)) / peak) * (bottom - top)
            rects.append({"x": round(x0 + s * bar, 1), "y": round(bottom - h, 1), "w": round(bar, 1),
                          "h": round(h, 1), "colour": COLOURS[s % len(COLOURS)],
                          "title": f"{label} {series[s]}: {value}"})
        ticks.append({"x": round(left + g * slot + slot / 2, 1), "label": label})
    legend = [{"x": left + 150 * s, "label": name, "colour": COLOURS[s % len(COLOURS)]}
              for s, name in enumerate(series)]
    return {"empty": False, "width": width, "height": height, "left": left, "right": right, "top": top,
            "bottom": bottom, "max": str(peak), "rects": rects, "ticks": ticks, "legend": legend,
            "label_y": height - 22, "legend_y": height - 6}
