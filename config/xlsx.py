"""Spreadsheets staff download: Chinese headers, money as numbers shown with 2 decimals and thousands
separators, ratios as percentages, column widths that fit the text, and a 合计 row summing the
money and count columns. Text that a spreadsheet would run as a formula gets a leading apostrophe."""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
RATIO_FORMAT = "0.00%"
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
WIDTH_SAMPLE_ROWS = 500


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text, money, count, ratio
    total: bool | None = None  # summed in the 合计 row; default: money and count columns

    @property
    def summed(self) -> bool:
        return self.total if self.total is not None else self.kind in ("money", "count")


def cell_safe(value):
    """Numbers, dates and empties as they are; formula-like text neutralised (CSV/formula injection)."""
    if value is None or isinstance(value, (int, float, Decimal, date, datetime)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def _number(value):
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, (int, Decimal)):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _width(value) -> int:
    text = f"{value:,.2f}" if isinstance(value, Decimal) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def xlsx_bytes(*, sheet: str, columns: list[Column], rows: Iterable[list], preamble: list[str] = (),
               totals: bool = True) -> bytes:
    """One sheet: optional preamble lines, the header row, the rows, then 合计 (when any column sums)."""
    rows = iter(rows)
    sample = []
    for row in rows:
        sample.append(row)
        if len(sample) >= WIDTH_SAMPLE_ROWS:
            break
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(title=sheet[:31])
    for index, column in enumerate(columns):
        widest = max([_width(column.header)] + [_width(r[index]) for r in sample if index < len(r)])
        worksheet.column_dimensions[get_column_letter(index + 1)].width = min(max(widest + 2, 8), 60)
    bold = Font(bold=True)
    for line in preamble:
        worksheet.append([cell_safe(line)])
    header = []
    for column in columns:
        cell = WriteOnlyCell(worksheet, value=column.header)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    sums = [Decimal(0) if column.summed else None for column in columns]
    formats = {"money": MONEY_FORMAT, "count": COUNT_FORMAT, "ratio": RATIO_FORMAT}

    def cells(row, font=None):
        out = []
        for index, column in enumerate(columns):
            value = row[index] if index < len(row) else None
            if column.kind != "text":
                value = _number(value)
                if value is not None and sums[index] is not None and font is None:
                    sums[index] += value
            cell = WriteOnlyCell(worksheet, value=cell_safe(value))
            if column.kind in formats:
                cell.number_format = formats[column.kind]
            if font is not None:
                cell.font = font
            out.append(cell)
        return out

    for row in sample:
        worksheet.append(cells(row))
    for row in rows:
        worksheet.append(cells(row))
    if totals and any(s is not None for s in sums):
        total_row = ["合计" if index == 0 else (sums[index] if sums[index] is not None else None)
                     for index in range(len(columns))]
        worksheet.append(cells(total_row, font=bold))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
