"""Streaming readers: xlsx (python-calamine; openpyxl read-only as the fallback) and csv (UTF-8 with or
without BOM, or GBK/GB18030, detected). Both yield ``(row_number, values)`` with the row number as the
user sees it in Excel (header = row 1); blank rows are skipped.
"""
from __future__ import annotations

import codecs
import csv
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from .safety import MAX_FILE_BYTES, FileRefused, first_sheet_part, inspect_xlsx, sniff
from .xlsx_slices import SheetSlices

CSV_FIELD_LIMIT = 4096          # a longer cell is junk, not a name or a code
HEADER_SCAN_ROWS = 20           # the header must be among the first rows
SAMPLE_BYTES = 1024 * 1024


@dataclass
class Sheet:
    format: str
    header: list[str]
    header_row: int
    rows: Iterator[tuple[int, list]]
    rows_total: int | None
    formula_cells: set[tuple[int, int]] = field(default_factory=set)
    encoding: str | None = None


def open_sheet(path: str, *, header_check=None) -> Sheet:
    """Open a file for reading. ``header_check(values)`` tells which of the first rows is the header
    (defaults to the first non-blank row)."""
    size = os.path.getsize(path)
    if size == 0:
        raise FileRefused("文件为空")
    if size > MAX_FILE_BYTES:
        raise FileRefused(f"文件 {size // 2**20} MB，超过上限 {MAX_FILE_BYTES // 2**20} MB")
    kind = sniff(path)
    if kind == "xlsx":
        scan = inspect_xlsx(path)
        rows, total = _xlsx_rows(path, scan.last_row)
        sheet = Sheet("xlsx", [], 0, rows, total, scan.formulas)
    else:
        encoding = detect_encoding(path)
        rows, total = _csv_rows(path, encoding)
        sheet = Sheet("csv", [], 0, rows, total, encoding=encoding)
    _take_header(sheet, header_check)
    return sheet


def _take_header(sheet: Sheet, header_check) -> None:
    for _ in range(HEADER_SCAN_ROWS):
        try:
            number, values = next(sheet.rows)
        except StopIteration:
            break
        if header_check is None or header_check(values):
            sheet.header, sheet.header_row = ["" if v is None else str(v) for v in values], number
            if sheet.rows_total is not None:
                sheet.rows_total = max(sheet.rows_total - number, 0)
            return
    if header_check is not None:
        raise FileRefused(f"前 {HEADER_SCAN_ROWS} 行中找不到表头行（请使用导入模板的列名）")
    raise FileRefused("文件没有表头行")


def _blank(values) -> bool:
    # any() settles the usual row in C; a row of falsy values (0, 0.0, False are not blank) is then
    # looked at cell by cell.
    return not any(values) and all(v is None or v == "" for v in values)


# ---- xlsx -------------------------------------------------------------------------------------------

def _xlsx_rows(path: str, last_row: int | None) -> tuple[Iterator[tuple[int, list]], int | None]:
    """A big sheet in slices loaded ahead in a helper thread (``xlsx_slices``), else the whole sheet.
    ``last_row``: the sheet's last row number (the safety scan's), its size before it is read."""
    slices = SheetSlices.open(path, _first_sheet(path))
    if slices is None:
        return _xlsx_whole_rows(path)

    def resume(after: int) -> Iterator[tuple[int, list]]:
        rows, _ = _xlsx_whole_rows(path)
        return (row for row in rows if row[0] > after)
    return slices.rows(resume=resume, blank=_blank), last_row


def _first_sheet(path: str) -> str | None:
    """The part of the workbook's first sheet (None if it cannot be told; the file has passed the
    safety scan, which found it the same way)."""
    try:
        with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
            return first_sheet_part(handle, archive, set(archive.namelist()))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _xlsx_whole_rows(path: str) -> tuple[Iterator[tuple[int, list]], int | None]:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is a dependency; openpyxl is the fallback
        return _openpyxl_rows(path)
    try:
        workbook = CalamineWorkbook.from_path(path)
        sheet = workbook.get_sheet_by_index(0)
        # The last used row's number: iter_rows() gives every row from the sheet's first (blank ones
        # above the first used row included), so a row's number is its position in it.
        total = sheet.start[0] + sheet.height if sheet.start else 0
    except Exception:
        # calamine refused the workbook (unusual producer, damaged part): try openpyxl before giving up.
        return _openpyxl_rows(path)

    def rows():
        number = 0
        try:
            for values in sheet.iter_rows():
                number += 1
                if not _blank(values):
                    yield number, values
        except Exception as exc:
            raise FileRefused(f"读取第 {number} 行时出错：{exc}") from None
    return rows(), total


def _openpyxl_rows(path: str) -> tuple[Iterator[tuple[int, list]], int | None]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        worksheet = workbook.worksheets[0]
    except Exception as exc:
        raise FileRefused(f"无法读取 xlsx：{exc}") from None

    def rows():
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                if not _blank(values):
                    yield number, list(values)
        except Exception as exc:
            raise FileRefused(f"读取工作表出错：{exc}") from None
        finally:
            workbook.close()
    return rows(), worksheet.max_row


# ---- csv --------------------------------------------------------------------------------------------

def detect_encoding(path: str) -> str:
    """'utf-8-sig' (BOM), 'utf-8' or 'gb18030' (GBK superset); anything else is refused."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise FileRefused("文件不是文本或 xlsx（含二进制内容）")
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=len(sample) < SAMPLE_BYTES)
            return encoding
        except UnicodeDecodeError:
            continue
    mixed = _first_line_in_other_encoding(sample)
    if mixed is not None:
        raise FileRefused(f"第 {mixed} 行的编码与前面的行不同（UTF-8 与 GBK 混用），请统一编码后重新导入")
    raise FileRefused("csv 文件编码无法识别，请使用 UTF-8 或 GBK 编码")


def _first_line_in_other_encoding(sample: bytes) -> int | None:
    """The number of the first line whose encoding (UTF-8 or GBK) differs from the first non-ASCII
    line's, when every line is one or the other; None otherwise (the sample's last line may be cut)."""
    first = None
    for number, line in enumerate(sample.split(b"\n")[:-1], start=1):
        if line.isascii():
            continue
        kind = "utf-8" if _utf8_not_gb2312(line) else "gbk" if _decodes(line, "gb18030") else None
        if kind is None:
            return None
        if first is None:
            first = kind
        elif kind != first:
            return number
    return None


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _count_lines(path: str) -> int:
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(SAMPLE_BYTES):
            count += chunk.count(b"\n")
    return count + 1


def _csv_rows(path: str, encoding: str) -> tuple[Iterator[tuple[int, list]], int | None]:
    total = _count_lines(path)

    def rows():
        csv.field_size_limit(CSV_FIELD_LIMIT)
        number = 0
        try:
            with open(path, encoding=encoding, newline="", errors="strict") as handle:
                first = handle.readline(SAMPLE_BYTES)
                if len(first) >= SAMPLE_BYTES:
                    raise FileRefused("第 1 行超过 1 MB，不是表格文件")
                lines = _checked_lines(_chain(first, handle)) if encoding == "gb18030" else _chain(first, handle)
                first = next(lines, "")
                dialect = "excel-tab" if "\t" in first and "," not in first else "excel"
                reader = csv.reader(_chain(first, lines), dialect)
                for values in reader:
                    number += 1
                    if values and not _blank(values):
                        yield number, values
        except UnicodeDecodeError:
            raise FileRefused(f"第 {number + 1} 行附近的字节不是 {encoding} 编码") from None
        except csv.Error as exc:
            raise FileRefused(f"第 {number + 1} 行不是有效的 csv：{exc}") from None
    return rows(), total


def _checked_lines(handle) -> Iterator[str]:
    """The lines of a GBK file, refusing one that is UTF-8 with its number: GB18030 decodes almost any
    bytes, so a UTF-8 row pasted into a GBK file would otherwise be stored garbled. A line counts as
    UTF-8 when its bytes (GB18030 gives them back exactly) decode as UTF-8 and are not plain GB2312
    pairs (both bytes A1–FE): UTF-8's continuation bytes 80–A0 almost never pass the latter, and a GBK
    line almost never passes the former."""
    for number, line in enumerate(handle, start=1):
        if not line.isascii() and _utf8_not_gb2312(line.encode("gb18030")):
            raise FileRefused(f"第 {number} 行是 UTF-8 编码，文件其余部分是 GBK，请统一编码后重新导入")
        yield line


_GB2312_PAIRS = re.compile(rb"^(?:[\x00-\x7f]|[\xa1-\xfe][\xa1-\xfe])*$")


def _utf8_not_gb2312(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _GB2312_PAIRS.match(line) is None


def _chain(first: str, handle):
    yield first
    yield from handle
