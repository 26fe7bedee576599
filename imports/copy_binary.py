"""Members in PostgreSQL's binary COPY format: the server stores each field as sent, instead of parsing
dates, amounts and timestamps from text (about 2 µs a row of the server's time, which is what bounds a
large import; Python, on the other core, has that time to spare).

Only what the import loads is encoded: varchar (UTF-8), bigint ids, dates, ``numeric(12, 2)`` amounts,
booleans, and a constant tail (status, an empty jsonb list, the two timestamps). The format is the
documented one (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"); the
``*_recv`` functions of the server check every field, so a wrong byte fails the load, it never
stores a different value. tests/imports compares stored values with the text format's.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from struct import Struct

HEADER = b"PGCOPY\n\xff\r\n\x00" + Struct("!ii").pack(0, 0)
TRAILER = Struct("!h").pack(-1)
FIELDS = 17  # id, the 12 MEMBER_COLUMNS, status, chronic_diseases, created_at, updated_at

_EPOCH_DAY = date(2000, 1, 1).toordinal()
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_START = Struct("!hiq")            # field count, then the id (length 8, int8)
_LENGTH = Struct("!i").pack
_DAY = Struct("!ii").pack          # length 4, days since 2000-01-01
_NULL = _LENGTH(-1)
_TRUE, _FALSE = b"\x00\x00\x00\x01\x01", b"\x00\x00\x00\x01\x00"
_NUMERIC_HEAD = Struct("!ihhhh")   # length, ndigits, weight, sign, dscale
_ZERO_AMOUNT = _NUMERIC_HEAD.pack(8, 0, 0, 0, 2)


def _text(value: str) -> bytes:
    data = value.encode()
    return _LENGTH(len(data)) + data


def amount(value: Decimal) -> bytes:
    """A non-negative amount with at most 2 decimals (as the import checked) as ``numeric`` with
    display scale 2: base-10000 digit groups, the first of weight ``weight``, trailing zero groups
    dropped (as the server stores them)."""
    cents = int(value.scaleb(2))
    if cents < 0 or cents != value.scaleb(2):
        raise ValueError(f"not a checked amount: {value!r}")
    if cents == 0:
        return _ZERO_AMOUNT
    whole, fraction = divmod(cents, 100)
    groups = []
    while whole:
        whole, group = divmod(whole, 10000)
        groups.append(group)
    groups.reverse()
    weight = len(groups) - 1       # -1 when there is no whole part: the first group is .xx00
    groups.append(fraction * 100)
    while groups[-1] == 0:         # cents > 0: some group is not zero
        groups.pop()
    count = len(groups)
    return _NUMERIC_HEAD.pack(8 + 2 * count, count, weight, 0, 2) + Struct(f"!{count}h").pack(*groups)


def day(value: date) -> bytes:
    return _DAY(4, value.toordinal() - _EPOCH_DAY)


def constant_tail(*, status: str, stamp: datetime) -> bytes:
    """status, chronic_diseases = [] (jsonb, format version 1), created_at = updated_at = ``stamp``."""
    micros = (stamp - _EPOCH) // _MICROSECOND
    timestamp = Struct("!iq").pack(8, micros)
    return _text(status) + _LENGTH(3) + b"\x01[]" + timestamp + timestamp


def member_row(member_id: int, record: tuple, tail: bytes) -> bytes:
    """A member record (row, admdvs, certno, psn_name, insutype, psn_type, retired_on, base, poverty,
    district, enrolled_on, brdy, gend) as one binary COPY tuple."""
    _, admdvs, certno, name, insutype, psn_type, retired_on, base, poverty, district, enrolled_on, brdy, gend = record
    return b"".join((
        _START.pack(FIELDS, 8, member_id), _text(admdvs), _text(certno), _text(name), _text(insutype),
        _text(psn_type), _NULL if retired_on is None else day(retired_on), _NULL if base is None else amount(base),
        _TRUE if poverty else _FALSE, _text(district), day(enrolled_on), day(brdy), _text(gend), tail))
