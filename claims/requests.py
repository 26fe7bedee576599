"""The claim request as the contract defines it, and its parsing from JSON-like data.

``claim_request_parse(data)`` turns a mapping (an API body, an import row) into a ``ClaimRequest`` or
raises ``ValidationError`` with a message per offending field, so the API, the batch importer and the
admin refuse bad input the same way. Each field's own parser is in ``claims/request_fields.py``; here
the amounts are checked against each other. The service re-checks the amount identities it relies on.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from collections.abc import Mapping

import orjson
from django.core.exceptions import ValidationError

from .request_fields import AMOUNT_FIELDS, SHANGHAI, FeeDetail, parse_money, request_values_parse

# What callers import from here: the request, its parse and checks, and the field names, time zone,
# fee-detail line and money parser it is made of (defined in ``request_fields``).
__all__ = ["AMOUNT_FIELDS", "SHANGHAI", "ClaimRequest", "FeeDetail", "claim_request_check",
           "claim_request_from_content", "claim_request_parse", "parse_money", "request_hash_for"]

# json.dumps(..., sort_keys=True, ensure_ascii=False, separators=(",", ":")), built once.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


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


def claim_request_parse(data: Mapping[str, Any]) -> ClaimRequest:
    """Validate a JSON-like mapping into a ``ClaimRequest``; every problem is reported by field."""
    return _request_made(request_values_parse(data))


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
