"""One parser per kind of input value, shared by every path that accepts it (API, admin, import, batch).

Each function takes what a client sent (a string from JSON, a form or a spreadsheet cell; a number JSON
parsing produced) and returns the value the record needs, or raises ``ValueError`` with a message in
Chinese and English that the caller files under the field (or row) it came from. Pure: no database.

- ``text_normalise``: NFKC (full-width letters and digits become ASCII, as a clerk's IME types them),
  invisible format characters (zero-width space, BOM, direction marks) removed, blanks stripped. Every
  certno and code goes through it once, so one person or clinic has one stored form whatever was typed.
- ``code_normalise`` / ``code_parse``: the above, upper-cased, then ASCII letters and digits (and the
  separators - _ .) only: Arabic-Indic or other non-ASCII digits are refused, not guessed at.
- ``money_parse``: one grammar for amounts: ``123``, ``123.4``, ``123.45`` (ASCII digits, at most two
  decimals); no exponent, underscore, sign other than ``-`` where allowed, NaN or infinity; within
  the column's range. Decimal's own constructor takes ``1e400`` and ``2_0.00``; this does not.
- ``date_parse`` / ``datetime_parse``: ISO dates and datetimes within ``SANE_YEARS``, checked before
  any time-zone arithmetic (an offset at the calendar's edge would overflow ``datetime``).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

# Imported once here: a ``from ... import`` inside the function cost 2 of its 5 µs per call (the
# import system's from-list handling runs each time), and a replayed year parses millions of times.
from django.utils.dateparse import parse_datetime

# Every date the back office records lies in these years: the oldest living member's birth and the
# schemes' start are after 1900, and nothing is planned past 2099. A date outside is a typo
# (9999-12-31, 0001-01-01) and is refused, rather than stored and later overflowing a computation.
SANE_YEARS = (1900, 2099)
DATE_MIN = date(SANE_YEARS[0], 1, 1)
DATE_MAX = date(SANE_YEARS[1], 12, 31)
FEN = Decimal("0.01")
# The claim columns hold 14 digits with 2 decimals; a narrower column passes its own maximum.
MONEY_MAX = Decimal("999999999999.99")
_MONEY = re.compile(r"^(-?)([0-9]+)(?:\.([0-9]+))?$")
# The form every recorded amount is written in (``str`` of a Decimal to the fen): taken by Decimal()
# directly, which gives the very value the general path below gives (two places, no sign, at most
# 12 digits before the point so within MONEY_MAX). A replayed year reads millions of them.
_FEN_TEXT = re.compile(r"[0-9]{1,12}\.[0-9]{2}")
# The format characters (Unicode category Cf) of Python 3.11's Unicode 14, as one character class: one
# C-level scan of a name instead of a unicodedata.category() call per character (about half of
# text_normalise's time for a Chinese name, which every imported member row has).
# tests/hardening/test_parsing_format_characters.py checks it against unicodedata for every code point,
# so a Python with a newer Unicode fails there until the class is regenerated.
_FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
# Letters, digits and the separators codes use (the worked examples' clinics are "NC-T1"); ASCII only.
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


class ParseError(ValueError):
    """A value that is not what its field needs; ``rule`` is a short code (invalid, required, range)."""

    def __init__(self, message: str, rule: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.rule = rule


def text_normalise(value: Any) -> str:
    """NFKC, without format characters (Unicode category Cf: zero-width spaces and joiners, BOM, bidi
    marks) and without surrounding blanks. A name of zero-width spaces is then empty (and refused)."""
    if type(value) is str and value.isascii():   # ASCII is its own NFKC form and holds no format character
        return value.strip()
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    if not text.isascii():
        text = _FORMAT_CHARACTERS.sub("", text)
    return text.strip()


def code_normalise(value: Any) -> str:
    """The one normalisation step of a certno or a code: ``text_normalise`` and upper case. It does not
    validate; lookups use it so that what was typed finds what was stored."""
    return text_normalise(value).upper()


def code_parse(value: Any, *, max_length: int, min_length: int = 1, digits_only: bool = False) -> str:
    """A code (region, district, clinic, person type...): normalised, then ASCII letters/digits only."""
    code = code_normalise(value)
    if not code:
        raise ParseError("必填 (required)")
    if not _CODE.match(code) or (digits_only and not code.isdigit()):
        kind = "数字" if digits_only else "字母、数字和 - _ ."
        raise ParseError(f"只能包含半角{kind} (ASCII {'digits' if digits_only else 'letters, digits and - _ .'} only)")
    if not min_length <= len(code) <= max_length:
        size = f"{max_length}" if min_length == max_length else f"{min_length}–{max_length}"
        raise ParseError(f"应为{size}位 (must be {size} characters long)")
    return code


def money_parse(value: Any, *, max_value: Decimal = MONEY_MAX, allow_negative: bool = False) -> Decimal:
    """An amount as a Decimal quantised to the fen, or ParseError. Accepts a string of the grammar
    above, an int, or a Decimal (what JSON parsing with ``parse_float=Decimal`` or code produced): a
    Decimal must itself be finite, have at most two decimals and lie within range. A float is refused:
    it has already lost the amount that was meant (a spreadsheet's float cell is turned into the text
    that was typed by ``imports.cells`` first)."""
    if type(value) is str and _FEN_TEXT.fullmatch(value):
        amount = Decimal(value)
        if amount <= max_value:
            return amount
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ParseError("请填写金额 (a money amount is required)", "required")
    if isinstance(value, float):
        raise ParseError(f"{value!r} 不是金额，请以字符串传入 (not a money amount: send it as a string)")
    if isinstance(value, int):
        # Compared as an int: Decimal(10**5000) would exceed the context before any check.
        if abs(value) > max_value:
            raise ParseError(f"金额过大，最多 {max_value} (amount too large: at most {max_value})", "range")
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ParseError(f"{value} 不是金额 (not a money amount)")
        amount = value
    elif isinstance(value, str):
        text = text_normalise(value)
        match = _MONEY.match(text)
        if match is None:
            raise ParseError(f"“{text[:40]}”不是金额，格式如 123.45 (not a money amount: ASCII digits and one "
                             "point; no exponent, separator or underscore)")
        sign, whole, decimals = match.groups()
        if len(whole.lstrip("0")) > 20:  # before Decimal(): 200 nines are refused as too large, not parsed
            raise ParseError(f"金额过大，最多 {max_value} (amount too large: at most {max_value})", "range")
        amount = Decimal(f"{sign}{whole}.{decimals or '0'}")
    else:
        raise ParseError("金额应为数字或字符串 (a money amount must be a number or a string)")
    # Range before quantize(): quantizing 1E+400 raises InvalidOperation instead of answering.
    if abs(amount) > max_value:
        raise ParseError(f"金额过大，最多 {max_value} (amount too large: at most {max_value})", "range")
    if amount < 0 and not allow_negative:
        raise ParseError("金额不能为负数 (must not be negative)", "range")
    if amount != amount.quantize(FEN):
        raise ParseError("金额最多两位小数 (at most 2 decimal places)")
    return amount.quantize(FEN)


def date_bounds_check(day: date, *, earliest: date = DATE_MIN, latest: date = DATE_MAX) -> date:
    if not earliest <= day <= latest:
        raise ParseError(f"日期 {day.isoformat()} 超出范围 {earliest.isoformat()} 至 {latest.isoformat()} "
                         "(date out of range)", "range")
    return day


def date_parse(value: Any, *, earliest: date = DATE_MIN, latest: date = DATE_MAX) -> date:
    """An ISO date (YYYY-MM-DD; a ``date`` passes through, a ``datetime`` is refused) within bounds."""
    if isinstance(value, datetime):
        raise ParseError("应为日期 YYYY-MM-DD，不含时间 (a date without a time)")
    if isinstance(value, date):
        return date_bounds_check(value, earliest=earliest, latest=latest)
    text = text_normalise(value)
    match = _ISO_DATE.match(text)
    if match is None:
        raise ParseError("日期格式应为 YYYY-MM-DD (not a date)")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ParseError(f"{text} 不是有效日期 (no such day)") from None
    return date_bounds_check(day, earliest=earliest, latest=latest)


def datetime_parse(value: Any, *, default_tz: tzinfo) -> datetime:
    """An ISO 8601 datetime, aware (``default_tz`` when it names no offset), within ``SANE_YEARS``.
    The years are checked on the value as written and after conversion to ``default_tz``, so no
    later ``astimezone`` can overflow (9999-12-31T23:00-05:00 would)."""
    return datetime_parse_local(value, default_tz=default_tz)[0]


def datetime_parse_local(value: Any, *, default_tz: tzinfo) -> tuple[datetime, datetime]:
    """``datetime_parse``'s moment and the same moment in ``default_tz`` (``moment.astimezone``), which
    the check has made anyway: a caller that needs the local time too (a claim's visit day) does not
    convert a second time (a third of the parse of a replayed visit's time)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = text_normalise(value)
        try:
            moment = parse_datetime(text) if len(text) <= 40 else None
        except ValueError:  # well formed but impossible: 2024-02-30, an offset of 25 hours
            raise ParseError(f"{text[:40]} 不是有效时间 (no such time)") from None
        if moment is None:
            raise ParseError("时间格式应为 ISO 8601，如 2024-03-01T10:00:00+08:00 (not a datetime)")
    # Strictly inside the bounds first: then converting by any offset (at most a day) stays in range.
    if not SANE_YEARS[0] <= moment.year <= SANE_YEARS[1]:
        raise ParseError(f"时间 {moment.isoformat()} 超出 {SANE_YEARS[0]}–{SANE_YEARS[1]} 年 (out of range)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=default_tz)
    local = moment.astimezone(default_tz)
    # An offset moves the day by less than one, so only a moment of the first or last sane year can
    # leave them by conversion: the others need no second check (a replayed year parses millions).
    if not SANE_YEARS[0] < moment.year < SANE_YEARS[1]:
        date_bounds_check(local.date())
    return moment, local
