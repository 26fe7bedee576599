"""The claim request as the contract defines it, and its parsing from JSON-like data.

``claim_request_parse(data)`` turns a mapping (an API body, an import row) into a ``ClaimRequest`` or
raises ``ValidationError`` with a message per offending field, so the API, the batch importer and the
admin refuse bad input the same way. The service re-checks the amount identities it relies on.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import orjson
from django.core.exceptions import ValidationError

from config.parsing import ParseError, code_normalise, code_parse, datetime_parse_local, money_parse
from members.certno import CERTNO_SHAPE

from policy.rules.common import BENEFITS, CHANNELS, EXCLUSIONS, OUT_OF_AREA

# json.dumps(..., sort_keys=True, ensure_ascii=False, separators=(",", ":")), built once.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
FEN = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # the column holds 14 digits, 2 after the point
CLOCK_SKEW = timedelta(minutes=5)
CLOCK_SKEW_SECONDS = CLOCK_SKEW.total_seconds()
SECONDS_PER_DAY = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()   # POSIX time 0's day, as date.toordinal() counts days
AMOUNT_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
SELF_PAID_FIELDS = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt")
ITEM_CATEGORIES = ("drug", "tcm_drug", "exam", "treatment", "material", "service", "other")
ITEM_LEVELS = ("01", "02", "03")


class computed_once:
    """``functools.cached_property`` without its lock: the value is computed on first read and kept in
    the instance's dictionary, which answers every later read (a non-data descriptor). Python 3.11's
    cached_property takes an RLock on each first read, which cost a replayed visit's local time 1.4 of
    its 2 µs; a request is not shared between threads while it is being settled, and two threads
    computing the same value would store equal values anyway (Python 3.12 dropped the lock for this)."""

    def __init__(self, func):
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


@dataclass(frozen=True)
class FeeDetail:
    code: str
    name: str
    category: str
    chrgitm_lv: str
    amount: Decimal


@dataclass(frozen=True)
class ClaimRequest:
    """The contract's request fields, typed. ``visit_at`` is aware (Asia/Shanghai if given naive).
    ``visit_local``: the same moment in Asia/Shanghai (``claim_request_parse`` gives it, having made it
    to check the day; a request built in code computes it on first read)."""

    admdvs: str
    certno: str
    fixmedins_code: str
    visit_at: datetime
    medfee_sumamt: Decimal
    inscp_scp_amt: Decimal
    fulamt_ownpay_amt: Decimal = Decimal("0.00")
    overlmt_selfpay: Decimal = Decimal("0.00")
    preselfpay_amt: Decimal = Decimal("0.00")
    benefit: str = "ordinary"
    emergency: bool = False
    referral: bool = False
    # None: not sent; the settle step derives it (and refuses a sent value that disagrees).
    out_of_area: str | None = None
    channel: str = "direct"
    exclusion: str | None = None
    prescribing_fixmedins_code: str | None = None  # 外配处方: the prescriber of a fill at a pharmacy
    acct_used: bool = False
    acct_payer_certno: str | None = None  # 家庭共济: the holder whose account pays (accounts)
    idempotency_key: str | None = None
    fee_details: tuple[FeeDetail, ...] = field(default=())

    @computed_once
    def visit_local(self) -> datetime:
        return self.visit_at.astimezone(SHANGHAI)

    def content(self) -> dict:
        """The request's content in a canonical JSON form (what the idempotency hash covers)."""
        return dict(self._content)

    @computed_once
    def _content(self) -> dict:
        # Built key by key in the order it always had (what a client reading inputs.request sees),
        # without the unpacked displays and the comprehension over the amounts' names: half the
        # cost, once per recorded claim.
        content = {
            "admdvs": self.admdvs, "certno": self.certno, "fixmedins_code": self.fixmedins_code,
            "visit_at": self.visit_local.isoformat(), "benefit": self.benefit, "emergency": self.emergency,
            "referral": self.referral, "out_of_area": self.out_of_area or "none", "channel": self.channel,
            "exclusion": self.exclusion, "acct_used": self.acct_used,
        }
        if self.acct_payer_certno:
            content["acct_payer_certno"] = self.acct_payer_certno
        # Only when sent, so the hashes recorded before the field existed stay valid.
        if self.prescribing_fixmedins_code:
            content["prescribing_fixmedins_code"] = self.prescribing_fixmedins_code
        # AMOUNT_FIELDS, in its order
        content["medfee_sumamt"] = str(self.medfee_sumamt)
        content["fulamt_ownpay_amt"] = str(self.fulamt_ownpay_amt)
        content["overlmt_selfpay"] = str(self.overlmt_selfpay)
        content["preselfpay_amt"] = str(self.preselfpay_amt)
        content["inscp_scp_amt"] = str(self.inscp_scp_amt)
        content["fee_details"] = [[d.code, d.name, d.category, d.chrgitm_lv, str(d.amount)] for d in self.fee_details]
        return content

    @computed_once
    def _hash(self) -> str:
        # orjson with sorted keys writes exactly the bytes of the canonical form (compact, keys in
        # code-point order, non-ASCII as UTF-8, the same escapes: pinned by a property test) about
        # five times faster; the hashes stored with earlier claims stay valid. Text it refuses (a
        # lone surrogate) goes the canonical way, which refuses it as before.
        try:
            raw = orjson.dumps(self._content, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            raw = _CANONICAL.encode(self._content).encode()
        return hashlib.sha256(raw).hexdigest()

    def content_hash(self) -> str:
        return self._hash

    def with_idempotency_key(self, key: str) -> ClaimRequest:
        """The same request under ``key``. The key is not part of the content, so what was already
        worked out for this request (its content, hash, local time, passed check) carries over."""
        keyed = replace(self, idempotency_key=key)
        for name in ("_content", "_hash", "visit_local", "_checked"):
            if name in self.__dict__:
                keyed.__dict__[name] = self.__dict__[name]
        return keyed


def request_hash_for(request: ClaimRequest) -> str:
    """What a claim records as its ``request_hash``: the content hash when the request carries an
    ``idempotency_key`` (a retry under that key is compared with it), else "" — nothing ever
    compares a key-less claim's content, and hashing it costs about half as much as the rule core's
    decision."""
    return request.content_hash() if request.idempotency_key else ""


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


def claim_request_parse(data: Mapping[str, Any]) -> ClaimRequest:
    """Validate a JSON-like mapping into a ``ClaimRequest``; every problem is reported by field."""
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
    return _request_made(values)


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


def _request_made(values: dict[str, Any]) -> ClaimRequest:
    # The visit time's parser answers (moment, local): the field and the request's visit_local.
    values["visit_at"], values["visit_local"] = values["visit_at"]
    request = _request_new(values)
    _identities_check(request)  # the amounts themselves came from parse_money just above
    return request


# Every field's default, for ``_request_new`` (a field without one is required, and REQUIRED
# makes sure the parsed values carry it).
_DEFAULTS = {f.name: f.default for f in fields(ClaimRequest) if f.default is not MISSING}
# What ``_request_new`` does not do: a field made by a factory, or a __post_init__ (checked at import).
assert not any(f.default_factory is not MISSING for f in fields(ClaimRequest))
assert not hasattr(ClaimRequest, "__post_init__")


def _request_new(values: dict[str, Any]) -> ClaimRequest:
    """``ClaimRequest(**values)`` for values the parsers have just produced, without the frozen
    dataclass's ``__init__``: it sets each of the twenty fields through ``object.__setattr__``,
    7.6 µs of a replayed visit's 30 µs rebuild, where filling the instance's dictionary costs
    about 1 µs. The same instance (fields, defaults, equality, hash, cached properties, which
    live in that dictionary too); ``__post_init__`` would be skipped, so there must be none."""
    request = object.__new__(ClaimRequest)
    state = request.__dict__
    state.update(_DEFAULTS)
    state.update(values)
    return request


def claim_request_check(request: ClaimRequest) -> None:
    """The identities between the amounts (also run on requests built in code). A request is
    immutable, so once it passed it is not checked again (the service and the batch check every
    request they are given, most of which ``claim_request_parse`` has just checked)."""
    if request.__dict__.get("_checked"):
        return
    errors: dict[str, list[str]] = {}
    for name in AMOUNT_FIELDS:
        try:
            parse_money(getattr(request, name))
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    _identities_check(request)


def _identities_check(request: ClaimRequest) -> None:
    """medfee_sumamt = the three self-paid parts + inscp_scp_amt; fee details, if any, add up to
    medfee_sumamt. A request that passes is marked checked."""
    errors: dict[str, list[str]] = {}
    # inscp_scp_amt + each self-paid part in SELF_PAID_FIELDS' order (the sum's own order), written out:
    # the generator over the names cost a replayed visit 1 µs.
    parts = request.inscp_scp_amt + request.fulamt_ownpay_amt + request.overlmt_selfpay + request.preselfpay_amt
    if request.medfee_sumamt != parts:
        errors["medfee_sumamt"] = [
            f"医疗费总额 {request.medfee_sumamt} 应等于 全自费+超限价自费+先行自付+政策范围内费用 = {parts} "
            "(medfee_sumamt must equal fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt)"]
    if request.fee_details:
        total = sum((d.amount for d in request.fee_details), Decimal("0.00"))
        if total != request.medfee_sumamt:
            errors["fee_details"] = [f"费用明细合计 {total} 与医疗费总额 {request.medfee_sumamt} 不符 "
                                     "(the fee details must add up to medfee_sumamt)"]
    if errors:
        raise ValidationError(errors)
    request.__dict__["_checked"] = True  # beside the frozen fields: not part of equality or the hash


def claim_request_from_content(content: Mapping[str, Any]) -> ClaimRequest:
    """The request back from what a claim recorded of it (``Claim.inputs["request"]``, i.e.
    ``ClaimRequest.content()``): the inverse of ``content()``, parsed by the same parsers, so a
    replay (policy simulation) sees every fact the original request carried, including ones added
    later. The idempotency key is not part of the content: the replayed request has none."""
    items = content.get("fee_details")
    if not items:   # none recorded: parsed as they are (no copy of the content needed)
        return claim_request_parse(content)
    return claim_request_parse({**content, "fee_details": [
        dict(zip(("code", "name", "category", "chrgitm_lv", "amount"), item)) for item in items]})
