"""Turning spreadsheet cells into typed values, exactly: text is NFKC-normalised (full-width digits and
letters become ASCII), money becomes ``Decimal`` (never via float arithmetic), dates accept the usual
Chinese spreadsheet spellings. Every parser raises ``CellError`` with a message staff can act on.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from config.parsing import DATE_MAX, DATE_MIN, ParseError, code_normalise, code_parse, money_parse, text_normalise

FEN = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")
EARLIEST = date(1900, 1, 1)
TRUE = frozenset({"1", "true", "t", "y", "yes", "是", "√"})
FALSE = frozenset({"", "0", "false", "f", "n", "no", "否"})
FORMULA_PREFIX = "="


class CellError(ValueError):
    """One cell is wrong; ``rule`` is a short machine-readable code."""

    def __init__(self, message: str, rule: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.rule = rule


def text(value) -> str:
    """A cell as clean text: NFKC (全角→半角), trimmed; numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = text_normalise(value)  # the one text step of every path (config.parsing)
        if value.startswith(FORMULA_PREFIX):
            raise CellError("单元格以“=”开头（公式），请粘贴为数值", "formula")
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def code(value, *, length: int | None = None, max_length: int = 30, label: str = "编码") -> str:
    """A code such as admdvs, district, psn_type (digits kept as typed)."""
    if isinstance(value, float) and not value.is_integer():
        raise CellError(f"{label}应为文本，不应为小数")
    result = text(value).upper()
    if length is not None and (len(result) != length or not result.isascii() or not result.isdigit()):
        raise CellError(f"{label}应为{length}位数字")
    if len(result) > max_length:
        raise CellError(f"{label}最长{max_length}个字符")
    if result:
        try:  # ASCII letters and digits only, as every other path's codes (config.parsing.code_parse)
            code_parse(result, max_length=max_length)
        except ParseError as exc:
            raise CellError(f"{label}{exc.message}") from None
    return result


def certno_text(value) -> str:
    if isinstance(value, float) or isinstance(value, int) and not isinstance(value, bool):
        if isinstance(value, int) and len(str(value)) == 18:
            return str(value)
        raise CellError("身份证号在表格中被存成了数字（已丢失精度），请将该列设为“文本”格式后重新填写")
    return code_normalise(text(value))


def money(value, *, required: bool = True, maximum: Decimal = MAX_MONEY) -> Decimal | None:
    """Non-negative amount, at most 2 decimals: '12.50', '１２.５', '1,234.5', '¥8', 12.5 (a float cell
    is read by its shortest decimal repr, which is what was typed)."""
    if value is None or value == "":
        if required:
            raise CellError("请填写金额", "required")
        return None
    if isinstance(value, bool):
        raise CellError(f"{value!r} 不是金额")
    if isinstance(value, float):
        # A numeric cell: its shortest repr is what was typed ('12.5'); one with an exponent
        # ('1e+16') is refused by the grammar below as it would be as text.
        raw = repr(value)
    elif isinstance(value, (int, Decimal)):
        raw = value
    else:
        raw = text(value).replace(",", "").replace("¥", "").replace("元", "").strip()
        if raw == "":
            if required:
                raise CellError("请填写金额", "required")
            return None
    try:
        return money_parse(raw, max_value=maximum)  # the one money parser of every path
    except ParseError as exc:
        raise CellError(exc.message, exc.rule) from None


def _date_from_text(raw: str) -> date:
    if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
        return date.fromisoformat(raw)
    if len(raw) == 8 and raw.isdigit():
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    cleaned = raw.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    head = cleaned.split(" ")[0].split("T")[0]
    parts = head.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    raise ValueError(raw)


def day(value, *, required: bool = True, latest: date | None = None, earliest: date = EARLIEST) -> date | None:
    """A date: date/datetime cells, '2024-03-01', '2024/3/1', '20240301', '2024年3月1日'."""
    if value is None or value == "":
        if required:
            raise CellError("请填写日期", "required")
        return None
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        raw = text(value)
        if raw == "":
            if required:
                raise CellError("请填写日期", "required")
            return None
        try:
            result = _date_from_text(raw)
        except ValueError:
            raise CellError(f"“{raw}”不是有效日期，应为 YYYY-MM-DD") from None
    # Never outside the sane years (config.parsing), whatever the caller allows.
    earliest, latest = max(earliest, DATE_MIN), min(latest or DATE_MAX, DATE_MAX)
    if result < earliest or result > latest:
        bound = f"{earliest.isoformat()} 至 {latest.isoformat()}" if latest else f"{earliest.isoformat()} 之后"
        raise CellError(f"日期 {result.isoformat()} 超出范围（应在 {bound}）", "range")
    return result


def boolean(value) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    raw = text(value).lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise CellError(f"“{raw}”应为 是/否")


def choice(value, choices: dict[str, str], *, label: str, default: str | None = None) -> str:
    """An enum given by its code or its Chinese label; ``choices`` maps code → label."""
    raw = text(value)
    if raw == "" and default is not None:
        return default
    if raw in choices:
        return raw
    lowered = raw.lower()
    if lowered in choices:
        return lowered
    for key, display in choices.items():
        if raw == display:
            return key
    allowed = "、".join(f"{k}({v})" if v != k else k for k, v in choices.items())
    raise CellError(f"{label}“{raw}”无效，可选：{allowed}", "enum")


def text_or_repr(value) -> str:
    """A cell as it was, for error messages (formulas and junk included, never raising)."""
    if value is None:
        return ""
    shown = value if isinstance(value, str) else str(value)
    return shown[:200]
