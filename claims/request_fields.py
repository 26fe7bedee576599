"""The claim request's fields one by one: each field's parser, and the walk over a mapping's fields.

``request_values_parse(data)`` gives the parsed values (``claims/requests.py`` makes the
``ClaimRequest`` of them and checks the amounts against each other); a refused field is reported by
name, with every other problem of the same mapping, as ``ValidationError``.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from config.parsing import ParseError, code_normalise, code_parse, datetime_parse_local, money_parse
from members.certno import CERTNO_SHAPE
from policy.rules.common import BENEFITS, CHANNELS, EXCLUSIONS, OUT_OF_AREA

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_MONEY = Decimal("999999999999.99")  # the column holds 14 digits, 2 after the point
CLOCK_SKEW = timedelta(minutes=5)
CLOCK_SKEW_SECONDS = CLOCK_SKEW.total_seconds()
SECONDS_PER_DAY = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()   # POSIX time 0's day, as date.toordinal() counts days
AMOUNT_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
SELF_PAID_FIELDS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")
ITEM_CATEGORIES = ("drug", "tcm_drug", "exam", "treatment", "material", "service", "other")
ITEM_LEVELS = ("01", "02", "03")

@dataclass(frozen=True)
class FeeDetail:
    code: str
    name: str
    category: str
    chrgitm_lv: str
    amount: Decimal


def parse_money(value: Any) -> Decimal:
    """A non-negative amount with at most 2 decimals: the one money parser (``config.parsing``)
    under this module's historical name (the batch and the import call it too)."""
    return money_parse(value, max_value=MAX_MONEY)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0", ""):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("应为 true 或 false (must be a boolean)")


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{value!r} 不是有效值，可选 {', '.join(choices)} (not one of the allowed codes)")
    return value


def _certno(value: Any) -> str:
    """The one normalisation of a certno (``config.parsing.code_normalise``: full-width digits typed
    anywhere find the member registered with ASCII ones); its checksum was checked at registration."""
    if not isinstance(value, str):
        raise ParseError("身份证号应为字符串 (the certno must be a string)")
    certno = code_normalise(value)
    if not certno:
        raise ParseError("必填 (required)", "required")
    if len(certno) != 18 or not CERTNO_SHAPE.match(certno):
        raise ParseError("身份证号应为18位：17位数字加数字或X (18 characters: 17 ASCII digits, then a digit or X)")
    return certno


def _text(value: Any, *, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("必填 (required)")
    value = value.strip()
    if len(value) > max_length:
        raise ValueError(f"最长 {max_length} 个字符 (too long)")
    return value


def _visit_at(value: Any) -> tuple[datetime, datetime]:
    """Aware, within the sane years, and not in the future: a visit is settled after it happened
    (the moment is compared, so a visit at 23:00 tonight is refused at 10:00 this morning). A few
    minutes of the clinic's clock running ahead are tolerated. (moment, the moment in Asia/Shanghai):
    the parse converts it for its check, and the request keeps it as its ``visit_local``."""
    moment, local = parsed = datetime_parse_local(value, default_tz=SHANGHAI)
    # A day as written at least two days before today's UTC date cannot be in the future: its
    # offset is less than 24 hours, so the instant is before today began (UTC). That answers the
    # visits of a replayed year by comparing day numbers; only a visit of the last few days asks
    # for the instant (``timestamp()``: a third of this parser's 3 µs).
    now = time.time()
    if moment.toordinal() < _EPOCH_ORDINAL + int(now // SECONDS_PER_DAY) - 1:
        return parsed
    # The instants compared as POSIX seconds: timezone.now() (USE_TZ is on: an aware UTC now) and
    # the aware comparison cost four times as much, once per visit of a replayed year.
    if moment.timestamp() > now + CLOCK_SKEW_SECONDS:
        raise ParseError(f"就诊时间 {local.isoformat()} 晚于当前时间 (the visit is in the future)", "range")
    return parsed


def _fee_details(value: Any) -> tuple[FeeDetail, ...]:
    if value is None or (type(value) is list and not value):   # none: what most recorded visits carry
        return ()
    if not isinstance(value, (list, tuple)):
        raise ValueError("费用明细应为列表 (must be a list)")
    items = []
    for index, raw in enumerate(value):
        if not isinstance(raw, Mapping):
            raise ValueError(f"第{index + 1}条: 应为对象 (item {index} must be an object)")
        try:
            items.append(FeeDetail(
                code=_text(raw.get("code"), max_length=50), name=_text(raw.get("name"), max_length=100),
                category=_choice(raw.get("category"), ITEM_CATEGORIES),
                chrgitm_lv=_choice(str(raw.get("chrgitm_lv", "")), ITEM_LEVELS),
                amount=parse_money(raw.get("amount"))))
        except ValueError as exc:
            raise ValueError(f"第{index + 1}条: {exc}") from None
    return tuple(items)


_PARSERS = {
    "admdvs": lambda v: code_parse(v, min_length=6, max_length=6, digits_only=True),
    "certno": _certno,
    "fixmedins_code": lambda v: code_parse(v, max_length=30),
    "visit_at": _visit_at,   # (moment, local): claim_request_parse splits the pair
    "benefit": lambda v: _choice(v, BENEFITS),
    "emergency": _bool,
    "referral": _bool,
    "out_of_area": lambda v: None if v == "" else _choice(v, OUT_OF_AREA),
    "channel": lambda v: _choice(v, CHANNELS),
    "exclusion": lambda v: None if v in (None, "") else _choice(v, EXCLUSIONS),
    "prescribing_fixmedins_code": lambda v: None if v in (None, "") else code_parse(v, max_length=30),
    "acct_used": _bool,
    "acct_payer_certno": lambda v: None if v in (None, "") else _certno(v),
    "idempotency_key": lambda v: None if v in (None, "") else _text(v, max_length=100),
    "fee_details": _fee_details,
    **{name: parse_money for name in AMOUNT_FIELDS},
}
REQUIRED = ("admdvs", "certno", "fixmedins_code", "visit_at", "medfee_sumamt", "inscp_scp_amt")
# Fields whose parser's answer depends on the text alone and whose texts repeat across a file or a
# replayed year (a region, a few hundred clinics, the codes, the self-paid parts that are mostly
# "0.00", and the certnos: a file's partition holds every visit of its members, ten a member in the
# batch bench): each (field, text) is parsed once and its answer kept, which saves a replayed visit
# about 4 of its 25 µs of parsing (the certno's normalisation and shape check a further 1 µs of a
# file's visit). Not the visit time (the check against the clock moves) nor the two amounts that
# differ per visit; a refused text is never kept, so it is refused with its message each time.
# Bounded: each field's answers emptied when full.
_MEMO_FIELDS = frozenset({"admdvs", "certno", "fixmedins_code", "benefit", "out_of_area", "channel", "exclusion",
                          "prescribing_fixmedins_code", "acct_payer_certno", *SELF_PAID_FIELDS})
_MEMO_LIMIT = 4096
_UNSEEN = object()
# field -> text -> answer: one dictionary per field, looked up by the text itself (a (field, text)
# key made and hashed per field and visit cost as much as the lookup).
_parsed: dict[str, dict[str, Any]] = {name: {} for name in _MEMO_FIELDS}
# (field, parser, its kept answers or None, required): the parsers in ``_PARSERS`` order, the
# questions about each field asked once here.
_PARSE_PLAN = tuple((name, parse, _parsed.get(name), name in REQUIRED) for name, parse in _PARSERS.items())
# field -> (parser, its kept answers or None), for the walk over the fields a mapping carries.
_PARSER_OF = {name: (parse, memo) for name, parse, memo, _ in _PARSE_PLAN}
_REQUIRED_SET = frozenset(REQUIRED)

class _Refused(Exception):
    """A required field was not sent: the mapping is parsed again in field order, which reports it."""

def request_values_parse(data: Mapping[str, Any]) -> dict[str, Any]:
    """The request's fields parsed from a JSON-like mapping: field name -> value (``visit_at``: the
    pair (moment, local) its parser answers); ``ValidationError`` with every problem by field."""
    # A dict (every JSON body, import row and recorded request) answers without the abstract class's check.
    if type(data) is not dict and not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["请求体应为 JSON 对象 (the body must be an object)"]})
    # First the fields the mapping carries, in its own order: a file's row sends 7 of the 20 (a walk
    # over every field asked the row for 13 it does not hold, 1.3 µs of a visit's 10). A refused or
    # missing field sends it to ``_parse_in_order``, which reports every problem in field order.
    values: dict[str, Any] = {}
    try:
        for name, value in data.items():
            if value is None:
                continue
            plan = _PARSER_OF.get(name)
            if plan is None:   # a key the contract does not name: ignored
                continue
            parse, memo = plan
            if memo is not None and type(value) is str:
                parsed = memo.get(value, _UNSEEN)
                if parsed is _UNSEEN:
                    parsed = parse(value)
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    memo[value] = parsed
                values[name] = parsed
            else:
                values[name] = parse(value)
        if not _REQUIRED_SET <= values.keys():
            raise _Refused
    except Exception:  # noqa: BLE001 - parsed again in field order, which reports (or raises) as it always did
        values = _parse_in_order(data)
    return values


def _parse_in_order(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields parsed in ``_PARSERS`` order; ``ValidationError`` with every problem by field."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, parse, memo, required in _PARSE_PLAN:
        value = data.get(name)
        if value is None:
            if required:
                errors[name] = ["必填 (this field is required)"]
            continue
        if memo is not None and type(value) is str:
            parsed = memo.get(value, _UNSEEN)
            if parsed is _UNSEEN:
                try:
                    parsed = parse(value)
                except ValueError as exc:
                    errors[name] = [str(exc)]
                    continue
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[value] = parsed
            values[name] = parsed
            continue
        try:
            values[name] = parse(value)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return values
