"""xlsx exports of the supervision lists: Chinese headers, one sheet, formula-like text neutralised."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse

from config.xlsx import Column, xlsx_bytes

from config.exports import cell_neutralise

def cell_safe(value):
    """Numbers, dates and empties as they are; text through the one neutralising rule (config.exports)."""
    if value is None or isinstance(value, (int, Decimal, date, datetime)) and not isinstance(value, bool):
        return value
    return cell_neutralise(str(value))


# Column kinds by header (the supervision views pass Chinese headers): money, counts, ratios.
KINDS = {"医疗费总额": "money", "统筹基金支付": "money", "次均费用": "money", "人均基金支付": "money",
         "就诊人次": "count", "就诊人数": "count", "自费比例": "ratio", "检查费用占比": "ratio",
         "目录外项目占比": "ratio", "费用环比增长": "ratio", "费用同比增长": "ratio"}
NOT_SUMMED = {"次均费用", "人均基金支付"}  # per-visit / per-member figures: a sum means nothing


def xlsx_response(*, filename: str, sheet: str, headers: list[str], rows: Iterable[list]) -> HttpResponse:
    columns = [Column(h, KINDS.get(h, "text"), total=False if h in NOT_SUMMED else None) for h in headers]
    response = HttpResponse(xlsx_bytes(sheet=sheet, columns=columns, rows=rows),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
