"""Resident ID numbers 居民身份证号码 (GB 11643-1999): checksum MOD 11-2, birth date, gender.

Only the 18-character form is accepted; the old 15-digit form carries no checksum and is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from config.parsing import code_normalise

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ASCII digits only: ``\d`` would also take full-width or Arabic-Indic digits and store them as typed.
CERTNO_SHAPE = _SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


class CertnoError(ValueError):
    pass


@dataclass(frozen=True)
class CertnoFacts:
    certno: str
    birth_date: date
    gender: str  # "1" male, "2" female (national code)


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def parse_certno(raw: str, *, today: date | None = None) -> CertnoFacts:
    """Normalise (``config.parsing.code_normalise``, the one step every path shares: full-width
    digits become ASCII, invisible characters and blanks go) and verify; raise CertnoError with a
    message staff can act on. Anything but ASCII digits and X after that step is refused."""
    value = code_normalise(raw)
    if len(value) == 15 and value.isdigit():
        raise CertnoError("15位旧身份证号不再受理，请使用18位居民身份证号 (15-digit IDs are not accepted)")
    if len(value) != 18:
        raise CertnoError(f"身份证号应为18位，实际为{len(value)}位")
    if not _SHAPE.match(value):
        raise CertnoError("身份证号前17位须为数字，末位为数字或X")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise CertnoError(f"身份证号中的出生日期 {value[6:14]} 不是有效日期") from None
    if birth.year < 1900 or birth > (today or date.today()):
        raise CertnoError(f"身份证号中的出生日期 {birth.isoformat()} 超出合理范围")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise CertnoError(f"身份证号校验码错误（应为 {expected}，GB 11643 MOD 11-2）")
    return CertnoFacts(certno=value, birth_date=birth, gender="1" if int(value[16]) % 2 else "2")


def make_certno(*, area: str, birth: date, sequence: int) -> str:
    """A valid certno for demo and test data (sequence 0–999; odd = male)."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
