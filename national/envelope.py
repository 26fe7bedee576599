"""The national message envelope: reading the request's fields, writing the answer's.

Shapes follow the public HIS client newtouch-cloud/openhis (WinServiceAPI/YiBaoInterface/Models/):
``Input/InputPost.cs`` (the envelope: infno, msgid, mdtrtarea_admvs, insuplc_admdvs, recer_sys_code,
dev_no, dev_safe_info, cainfo, signtype, infver, opter_type, opter, opter_name, inf_time,
fixmedins_code, fixmedins_name, sign_no, input{data|feedetail|mdtrtinfo|diseinfo|signIn}) and
``Output/OutputReturn.cs`` (infcode, inf_refmsgid, refmsg_time, respond_time, err_msg, output).

Types in the answer, as that client parses them: money a JSON string with exactly 2 decimals
("93.50": Output_2207's fields are ``string``, Output_2206's ``decimal?``, and Newtonsoft reads both
from such a string without a float in between), ratios 4 decimals, times ``yyyy-MM-dd HH:mm:ss`` and
dates ``yyyy-MM-dd`` (Asia/Shanghai), ages a JSON integer (Output_2206 ``int``, Output_1101
``decimal``, Output_2207 ``string`` all read it).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.renderers import BaseRenderer

from claims.requests import parse_money
from config.parsing import SANE_YEARS

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENVELOPE_REQUIRED = ("infno", "msgid", "mdtrtarea_admvs", "recer_sys_code", "infver", "opter_type", "opter",
                     "opter_name", "inf_time", "fixmedins_code", "fixmedins_name", "input")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Refused(Exception):
    """A message refused: infcode -1 with ``err_msg`` (Chinese, naming the field and the rule)."""

    def __init__(self, err_msg: str):
        super().__init__(err_msg)
        self.err_msg = err_msg[:500]


def now_local() -> datetime:
    return datetime.now(SHANGHAI)


def answer(*, infcode: int, received: datetime, output: dict | None = None, err_msg: str = "",
           admdvs: str = "") -> dict:
    """The answer envelope (OutputReturn). ``inf_refmsgid``: the receiver's region (6) + time (14) +
    a 10-digit serial (random: unique enough per second, and tells a clinic nothing of others).

    ``refmsg_time`` and ``respond_time`` are written like every other time of the interface,
    ``yyyy-MM-dd HH:mm:ss``: CONTRACT.md gives the interface's times that one format and makes no
    exception for the envelope's. (The national platform's own specification writes these two as
    ``yyyyMMddHHmmssSSS``; the HIS client whose shapes we follow reads both as plain strings, so
    the contract's format costs a connecting clinic nothing.)"""
    responded = now_local()
    region = admdvs if len(admdvs) == 6 and admdvs.isdigit() else "000000"
    return {"infcode": infcode,
            "inf_refmsgid": f"{region}{received:%Y%m%d%H%M%S}{secrets.randbelow(10 ** 10):010d}",
            "refmsg_time": received.strftime(TIME_FORMAT), "respond_time": responded.strftime(TIME_FORMAT),
            "err_msg": err_msg, "output": output or {}}


_DJANGO_JSON_DEFAULT = DjangoJSONEncoder().default


def answer_json(result: dict) -> bytes:
    """The answer envelope as JSON (UTF-8, compact), what the clinic receives and what is recorded.

    orjson, with Django's encoder for what JSON has no type for (dates and times included, as
    Django writes them, though the answers carry their times as text already): the same JSON the
    standard library's encoder with ``DjangoJSONEncoder`` wrote, in a tenth of its time, twice per
    message (the record, the HTTP answer)."""
    return orjson.dumps(result, default=_DJANGO_JSON_DEFAULT, option=orjson.OPT_PASSTHROUGH_DATETIME)


class AnswerRenderer(BaseRenderer):
    """The national door's answers (``answer_json``); set on its view, which only ever answers JSON."""

    media_type = "application/json"
    format = "json"
    charset = None  # JSON is UTF-8 by definition (RFC 8259), as DRF's JSONRenderer declares it

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else answer_json(data)


# ---------------------------------------------------------------------------------------------
# Answer values
# ---------------------------------------------------------------------------------------------
def money(value: Decimal | None) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.01')):f}"


def ratio(value: Decimal | None) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.0001')):f}"


def time_text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def date_text(day: date) -> str:
    return day.strftime("%Y-%m-%d")


# ---------------------------------------------------------------------------------------------
# Request values: each names its field (and the node it sits in) when it refuses
# ---------------------------------------------------------------------------------------------
def node(message: dict, name: str) -> Any:
    value = message["input"].get(name) if isinstance(message.get("input"), dict) else None
    if value is None:
        raise Refused(f"input.{name}: 缺少节点 {name} (required node missing)")
    return value


def text(data: dict, name: str, *, where: str = "data", required: bool = True, max_length: int = 50) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Refused(f"{where}.{name}: 必填 (required)")
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise Refused(f"{where}.{name}: 应为字符型 (must be a string)")
    value = str(value).strip()
    if len(value) > max_length:
        raise Refused(f"{where}.{name}: 最长 {max_length} 个字符 (too long)")
    return value


def amount(data: dict, name: str, *, where: str = "data", required: bool = True) -> Decimal:
    """A money amount (数值型 16,2), from a JSON number (parsed as Decimal) or a string."""
    value = data.get(name)
    if value in (None, "") and not required:
        return Decimal("0.00")
    try:
        return parse_money(value)
    except ValueError as exc:
        raise Refused(f"{where}.{name}: {exc}") from None


def number(data: dict, name: str, *, where: str, places: int) -> Decimal:
    """A non-negative number with at most ``places`` decimals (数量 16,4; 单价 16,6)."""
    value = data.get(name)
    try:
        parsed = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Refused(f"{where}.{name}: {value!r} 不是数值 (not a number)") from None
    if not parsed.is_finite() or parsed < 0 or parsed != parsed.quantize(Decimal(1).scaleb(-places)):
        raise Refused(f"{where}.{name}: 应为非负数，最多 {places} 位小数 (at most {places} decimals)")
    return parsed


def moment(data: dict, name: str, *, where: str = "data") -> datetime:
    """A time ``yyyy-MM-dd HH:mm:ss`` (the national format; Asia/Shanghai). The ``T`` form is read
    too: openhis declares some of these fields ``DateTime`` (data2201.begntime), which Newtonsoft
    writes as ``yyyy-MM-ddTHH:mm:ss`` unless the client sets a date format."""
    value = data.get(name)
    try:
        parsed = datetime.strptime(str(value).strip().replace("T", " ", 1), TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise Refused(f"{where}.{name}: {value!r} 应为 yyyy-MM-dd HH:mm:ss 格式的时间") from None
    # The years every path accepts (config/parsing.py): a 1899 or 2100 time is a typo, never a visit.
    if not SANE_YEARS[0] <= parsed.year <= SANE_YEARS[1]:
        raise Refused(f"{where}.{name}: 时间 {value} 超出 {SANE_YEARS[0]}–{SANE_YEARS[1]} 年 (out of range)")
    return parsed


def day(data: dict, name: str, *, where: str = "data") -> date:
    value = data.get(name)
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise Refused(f"{where}.{name}: {value!r} 应为 yyyy-MM-dd 格式的日期") from None
