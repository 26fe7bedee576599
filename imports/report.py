"""Downloadable spreadsheets: the failed rows with an error column, and the per-kind templates.
Every text cell written here is neutralised (a leading = + - @ gets a ') so that opening the file in
a spreadsheet never runs what a row contained."""
from __future__ import annotations

import io
import re

from .columns import KINDS
from .context import RowError

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def neutralise(value):
    """'=1+2' → "'=1+2"; a signed number ('-93.50', a reversal's amount) stays a number."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        if value[0] in "+-" and _is_number(value):
            return value
        return "'" + value
    return value


def _workbook(header: list[str], rows, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append([neutralise(h) for h in header])
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_report_xlsx(*, header: list[str], errors: list[RowError], failed_rows: dict[int, list]) -> bytes:
    """One line per failed row: 行号, the row's cells as read, and every problem of that row."""
    problems: dict[int, list[str]] = {}
    for error in errors:
        problems.setdefault(error.row, []).append(f"[{error.column}]“{error.value}”：{error.message}")
    width = len(header)

    def rows():
        for number in sorted(set(failed_rows) | set(problems)):
            values = list(failed_rows.get(number, []))[:width]
            values += [None] * (width - len(values))
            cells = [v if isinstance(v, (int, float, str)) or v is None else str(v) for v in values]
            yield [number, *cells, "；".join(problems.get(number, ["（错误数超过上限，未逐条列出）"]))]
    return _workbook(["行号", *header, "错误说明"], rows(), "错误行")


def template_xlsx(kind: str) -> bytes:
    columns = KINDS[kind]
    workbook_bytes = _workbook([c.header for c in columns], [[c.example for c in columns]], "导入模板")
    return workbook_bytes
