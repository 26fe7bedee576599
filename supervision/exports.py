"""xlsx exports of the supervision lists: Chinese headers, one sheet, formula-like text neutralised."""
from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook

from config.exports import cell_neutralise

def cell_safe(value):
    """Numbers, dates and empties as they are; text through the one neutralising rule (config.exports)."""
    if value is None or isinstance(value, (int, Decimal, date, datetime)) and not isinstance(value, bool):
        return value
    return cell_neutralise(str(value))


def xlsx_response(*, filename: str, sheet: str, headers: list[str], rows: Iterable[list]) -> HttpResponse:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet)
    worksheet.append(headers)
    for row in rows:
        worksheet.append([cell_safe(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
