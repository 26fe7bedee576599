"""A big xlsx sheet read in slices of whole rows, each slice loaded by python-calamine in a helper thread
while the caller validates and loads the rows of the slice before.

Why: python-calamine (0.4 to 0.9) has no streaming mode: it loads the whole sheet before the first row
is available, ~10 µs a row of Rust on a 2-core machine, during which the import's thread has nothing to
do; that load was about a third of an xlsx import's time. Calamine releases the GIL while it loads, so
a slice of the sheet loading on the other core overlaps with the Python work on the slice before.

How: the sheet's XML (already through ``safety.inspect_xlsx``, like every part read here) is inflated
as a stream and cut after a ``</row>`` every ``SLICE_BYTES``; each slice becomes a small stored
(uncompressed) workbook in memory: the parts calamine reads besides the sheet (content types,
relationships, workbook, styles, shared strings, theme), unchanged, and the sheet part made of the
original start of the sheet up to ``<sheetData>``, the slice's rows and the closing tags. Calamine
reads that workbook as it would the whole one: the same cell types, dates (styles and the 1904 flag
come along), shared strings, and the row numbers, which it takes from each row's ``r`` attribute.

Only files this reads exactly as a whole-sheet load does are sliced (``SheetSlices.open`` says None
otherwise, before any row): a sheet part big enough to be worth it, an unprefixed ``<worksheet>`` with
a ``<sheetData>`` element, and the other parts small next to a slice (a big shared-strings table would
be parsed again with every slice; such a file loads whole, as before). A byte cut after ``</row>`` is
an XML cut unless it falls inside a comment, CDATA or a processing instruction (``<`` cannot appear
unescaped in text or attribute values): then the slice ends with that construct open, calamine refuses
it ("comment not closed", tests/imports/test_xlsx_slices.py), and so each slice it accepted ended
outside any, and the next starts at a tag. A slice that calamine refuses, or that does not start with
a row carrying its number (calamine numbers rows without one from the row before), stops the slicing:
the rest of the sheet is read by the whole-sheet path, from the row after the last one given. (No
scan of every byte for such constructs: each pass over a slice cost ~0.5 µs a row.) Rows must come in
increasing order (Excel and every writer we know write them so); a sheet whose rows go back is refused,
as the slices cannot merge them.

Columns: calamine gives each slice's rows from the slice's first used column to its last. They are
put back on the first slice's columns (that slice holds the header): shifted right when a slice starts
further right, cut of cells left of the header's first column (no header names them, so the import
ignores them either way), padded with "" to the header slice's width (as the whole-sheet load pads).
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from .safety import FileRefused

SLICE_BYTES = 8 * 1024 * 1024        # of sheet XML per slice: ~15 000 rows of a members sheet
FIRST_SLICE_BYTES = 2 * 1024 * 1024  # the first, which the caller waits for, smaller
MIN_SHEET_BYTES = 3 * SLICE_BYTES    # a smaller sheet loads whole (little to overlap)
MAX_CARRIED_BYTES = SLICE_BYTES // 4  # the other parts each slice carries (mostly shared strings)
READ_BYTES = 1024 * 1024
MAX_PREFIX_BYTES = 4 * 1024 * 1024   # the sheet's start before <sheetData> (views, columns...)

_CARRIED_TYPES = (b"/styles", b"/sharedStrings", b"/theme")
_ROW_NUMBER = re.compile(rb'<row r="([0-9]{1,7})"')
_RELATIONSHIP = re.compile(rb"<Relationship\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\b(Type|Target)="([^"]*)"')


class _Stop(Exception):
    """The slices cannot go on exactly; the whole-sheet path reads the rest."""


class SheetSlices:
    """The open sheet part and what every slice carries; ``rows()`` gives (row number, values)."""

    def __init__(self, archive: zipfile.ZipFile, part: str, carried: dict[str, bytes], prefix: bytes,
                 stream, pending: bytes):
        self.archive, self.part, self.carried, self.prefix = archive, part, carried, prefix
        self.stream, self.pending = stream, pending
        self.done = False
        self.last_number = 0  # the last row number given (the whole-sheet path resumes after it)
        self.last_slice_row = 0  # the last row element's number in the slices cut so far

    @classmethod
    def open(cls, path: str, part: str | None) -> SheetSlices | None:
        """The slices of the workbook's first sheet (``part``, from ``safety.first_sheet_part``), or None
        when this file is read whole."""
        if part is None:
            return None
        archive = zipfile.ZipFile(path)
        try:
            slices = cls._open(archive, part)
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
            slices = None
        if slices is None:
            archive.close()
        return slices

    @classmethod
    def _open(cls, archive: zipfile.ZipFile, part: str) -> SheetSlices | None:
        names = set(archive.namelist())
        if archive.getinfo(part).file_size < MIN_SHEET_BYTES:
            return None
        carried_names = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"]
        if any(name not in names for name in carried_names):
            return None
        for element in _RELATIONSHIP.findall(archive.read("xl/_rels/workbook.xml.rels")):
            attributes = dict(_ATTRIBUTE.findall(element))
            if attributes.get(b"Type", b"").endswith(_CARRIED_TYPES):
                target = attributes.get(b"Target", b"").decode("utf-8", "replace")
                name = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                if name not in names:
                    return None
                carried_names.append(name)
        if sum(archive.getinfo(name).file_size for name in carried_names) > MAX_CARRIED_BYTES:
            return None
        carried = {name: archive.read(name) for name in carried_names}
        stream = archive.open(part)
        head = b""
        while (start := head.find(b"<sheetData>")) < 0:
            chunk = stream.read(READ_BYTES)
            if not chunk or len(head) > MAX_PREFIX_BYTES:
                stream.close()
                return None
            head += chunk
        prefix, pending = head[:start + len(b"<sheetData>")], head[start + len(b"<sheetData>"):]
        if b"<worksheet" not in prefix:
            stream.close()
            return None
        return cls(archive, part, carried, prefix, stream, pending)

    def _next_slice(self) -> bytes | None:
        """The next run of whole rows of the sheet's XML (None after the last)."""
        if self.done:
            return None
        chunks, size = [self.pending], len(self.pending)
        limit = SLICE_BYTES if self.last_slice_row else min(FIRST_SLICE_BYTES, SLICE_BYTES)
        before = b""  # the end of the reads before the last one (</sheetData> may straddle two)
        while True:
            last = chunks[-1]
            end = (before + last).find(b"</sheetData>")
            if end >= 0:
                self.done, self.pending = True, b""
                return b"".join(chunks)[:size - len(last) - len(before) + end]
            if size >= limit and (cut := last.rfind(b"</row>")) >= 0:
                cut += len(b"</row>")
                self.pending, chunks[-1] = last[cut:], last[:cut]
                return b"".join(chunks)
            before = (before + last)[-16:]
            chunk = self.stream.read(READ_BYTES)
            if not chunk:
                raise _Stop("the sheet ends without </sheetData>")
            chunks.append(chunk)
            size += len(chunk)

    def _check_order(self, rows: bytes) -> None:
        """The slice's rows come after the last slice's and end no lower than they start. Calamine sizes
        a sheet from its first and last cells: a slice ending lower than it starts would make it ask for
        terabytes (an abort of the process, not an exception); a row going back to an earlier slice
        could not be merged with it as the whole-sheet load merges it."""
        start = rows.find(b"<")
        if start < 0:
            return
        first = _ROW_NUMBER.match(rows, start)
        if first is None:
            # Not a numbered row first (a row without its r, a comment...): calamine would number this
            # slice's rows from 1; the whole-sheet path numbers them from the row before.
            raise _Stop("the slice does not start with a numbered row")
        last = _ROW_NUMBER.match(rows, rows.rfind(b'<row r="'))
        first_number, last_number = int(first.group(1)), int(last.group(1))
        if first_number <= self.last_slice_row or last_number < first_number:
            back = first_number if first_number <= self.last_slice_row else last_number
            after = self.last_slice_row if first_number <= self.last_slice_row else first_number
            raise FileRefused(f"工作表第 {back} 行出现在第 {after} 行之后（行顺序异常），请在 Excel 中另存后重新导入")
        self.last_slice_row = last_number

    def _load_next(self):
        """Cut, wrap and load the next slice (in the helper thread); None after the last."""
        rows = self._next_slice()
        if rows is None:
            return None
        self._check_order(rows)
        from python_calamine import CalamineWorkbook

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as workbook:
            for name, data in self.carried.items():
                workbook.writestr(name, data)
            workbook.writestr(self.part, b"".join((self.prefix, rows, b"</sheetData></worksheet>")))
        buffer.seek(0)
        return CalamineWorkbook.from_filelike(buffer).get_sheet_by_index(0)

    def rows(self, *, resume, blank) -> Iterator[tuple[int, list]]:
        """The sheet's non-blank rows (``blank(values)`` tells a blank one); ``resume(after)`` gives the
        rows after that number by the whole-sheet path when the slices stop."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-slice")
        try:
            future = pool.submit(self._load_next)
            first_column = width = None
            while True:
                try:
                    sheet = future.result()
                except FileRefused:
                    raise
                except Exception:  # noqa: BLE001 - _Stop, or calamine refused a slice: the whole-sheet
                    # path reads the rest and decides (calamine, then openpyxl, as for any file).
                    yield from resume(self.last_number)
                    return
                if sheet is None:
                    return
                future = pool.submit(self._load_next)  # the next slice loads while this one is read
                if sheet.start is None:
                    continue
                start_row, start_column = sheet.start
                if first_column is None:
                    first_column, width = start_column, sheet.width
                shift = start_column - first_column
                adjust = shift != 0 or sheet.width + shift < width  # else the rows are as they should be
                number = start_row
                try:
                    # to_python() gives the rows from the slice's first used one (iter_rows() would give
                    # every row from the sheet's first, blank up to this slice).
                    for values in sheet.to_python():
                        number += 1
                        if adjust:
                            values = _placed(values, shift, width)
                        if any(values) or not blank(values):  # any(): the usual row settled in C
                            yield number, values
                except Exception as exc:
                    raise FileRefused(f"读取第 {number} 行时出错：{exc}") from None
                self.last_number = number  # every row of the slice given: the whole-sheet path resumes after
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self.stream.close()
            self.archive.close()


def _placed(values: list, shift: int, width: int) -> list:
    """A slice's row put on the header slice's columns (see the module's docstring)."""
    if shift:
        values = [""] * shift + values if shift > 0 else values[-shift:]
    if len(values) < width:
        values = values + [""] * (width - len(values))
    return values
