"""Downloadable spreadsheets: the failed rows with an error column, and the per-kind templates.
Every text cell written here is neutralised (a leading = + - @ gets a ') so that opening the file in
a spreadsheet never runs what a row contained."""
from __future__ import annotations

import io

from config.exports import cell_neutralise
from staff.scope import mask_certno, mask_certnos_in

from .columns import KINDS, header_key
from .context import RowError

# The one neutralising rule of every export (config.exports), under this module's historical name.
neutralise = cell_neutralise


# Headers (any spelling a file may use) of the columns that hold a certno: their cells are masked whole
# in what the import keeps (error report, stored errors and preview), valid or not; elsewhere any
# certno inside a text is masked (staff.scope.mask_certnos_in). The clerk finds the row by its number.
CERTNO_HEADERS = frozenset(header_key(name) for columns in KINDS.values() for column in columns
                           if column.field.endswith("certno")
                           for name in (column.header, column.field, *column.synonyms))


def is_certno_header(text) -> bool:
    return header_key(text) in CERTNO_HEADERS


def masked_cell(value, *, certno_column: bool):
    if certno_column and value not in (None, ""):
        return mask_certno(str(value)) if len(str(value)) >= 10 else "*" * len(str(value))
    return mask_certnos_in(value) if isinstance(value, str) else value


def error_masked(error: dict) -> dict:
    """A stored error (``RowError.as_dict``) with the certno in its value and message masked."""
    return {**error, "value": masked_cell(error.get("value"), certno_column=is_certno_header(error.get("column"))),
            "message": mask_certnos_in(error.get("message"))}


def preview_masked(record: dict) -> dict:
    return {key: masked_cell(value, certno_column=str(key).endswith("certno")) for key, value in record.items()}


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
        shown = error_masked(error.as_dict())
        problems.setdefault(error.row, []).append(f"[{error.column}]“{shown['value']}”：{shown['message']}")
    width = len(header)
    certno_columns = {position for position, text in enumerate(header) if is_certno_header(text)}

    def rows():
        for number in sorted(set(failed_rows) | set(problems)):
            values = list(failed_rows.get(number, []))[:width]
            values += [None] * (width - len(values))
            cells = [masked_cell(v if isinstance(v, (int, float, str)) or v is None else str(v),
                                 certno_column=position in certno_columns) for position, v in enumerate(values)]
            yield [number, *cells, "；".join(problems.get(number, ["（错误数超过上限，未逐条列出）"]))]
    return _workbook(["行号", *header, "错误说明"], rows(), "错误行")


def template_xlsx(kind: str) -> bytes:
    columns = KINDS[kind]
    workbook_bytes = _workbook([c.header for c in columns], [[c.example for c in columns]], "导入模板")
    return workbook_bytes
