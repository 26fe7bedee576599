"""The one cell-neutralising writer of every export (CSV from the admin, xlsx reports and lists).

A text cell starting with = + - @ (or a tab or carriage return) is read by spreadsheet programs as a
formula (CSV/formula injection): it gets a leading apostrophe. A signed plain number ('-93.50', a
reversal's amount) stays a number. Numbers, dates and empties pass unchanged.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def cell_neutralise(value):
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        if value[0] in "+-" and _NUMBER.match(value):
            return value
        return "'" + value
    return value


def row_neutralise(values: Iterable) -> list:
    return [cell_neutralise(value) for value in values]


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line (for a streaming response): a UTF-8 BOM so spreadsheet programs read
    Chinese correctly, then the header and rows, every cell neutralised. Non-text values are written
    as ``str()`` would, then checked too (a name object whose text starts with '=' is still text)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(row_neutralise(str(h) for h in header))
    for row in rows:
        yield writer.writerow(row_neutralise("" if v is None else v if isinstance(v, (int, float)) else str(v)
                                             for v in row))
