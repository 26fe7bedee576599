"""Typed, validated policy parameters (pure Python).

A region's parameters are stored as a JSON object per effective period (``policy.ParameterSet``).
Each region module declares a spec: ``{name: Spec(kind, nullable, help)}``. ``validate_values``
returns a list of ``(name, message)`` errors so the admin can point at the exact key, and
``Params`` gives typed access to a validated set.

Kinds:
  money            "1500.00"                         Decimal >= 0, at most 2 places
  ratio            "0.55"                            Decimal in [0, 1]
  money_by_level   {"1": "0", "2": "30", "3": "50"}  one money per provider level 1/2/3
  ratio_by_level   {"1": "0.60", ...}
  money_by_key     {"hypertension": "500", ...}      free keys (named in the spec's ``keys``)
  int              12
  month_day        "10-01"                           a day of the year (selection windows)
  age_groups       [{"group": 1, "standard": "37", "ages": "0,14-25"}, ...]
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

LEVELS = ("1", "2", "3")


@dataclass(frozen=True)
class Spec:
    kind: str
    help: str = ""
    nullable: bool = False
    keys: tuple[str, ...] = ()


class ParameterNotSet(Exception):
    """A parameter that RULES.md says staff must enter has not been entered for the period."""

    def __init__(self, name: str):
        super().__init__(f"policy parameter {name!r} is not set for this period")
        self.name = name


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("must be written as a string or integer, not a float")
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def _money(value: Any) -> Decimal:
    amount = _decimal(value)
    if amount < 0:
        raise ValueError("must not be negative")
    if amount.as_tuple().exponent < -2:
        raise ValueError("money has at most 2 decimal places")
    return amount


def _ratio(value: Any) -> Decimal:
    ratio = _decimal(value)
    if not (0 <= ratio <= 1):
        raise ValueError("a ratio lies between 0 and 1 (e.g. 0.55)")
    return ratio


def parse_ages(text: str) -> list[tuple[int, int | None]]:
    """'0,14-25,90+' -> [(0, 0), (14, 25), (90, None)]."""
    ranges: list[tuple[int, int | None]] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        if part.endswith("+"):
            ranges.append((int(part[:-1]), None))
        elif "-" in part:
            low, high = part.split("-", 1)
            if int(low) > int(high):
                raise ValueError(f"age range {part!r} runs backwards")
            ranges.append((int(low), int(high)))
        else:
            ranges.append((int(part), int(part)))
    if not ranges:
        raise ValueError("an age group needs at least one age")
    return ranges


def _parse(kind: str, value: Any, spec: Spec) -> Any:
    if kind == "money":
        return _money(value)
    if kind == "ratio":
        return _ratio(value)
    if kind in ("money_by_level", "ratio_by_level", "money_by_key"):
        if not isinstance(value, Mapping):
            raise ValueError("must be an object")
        keys = LEVELS if kind != "money_by_key" else spec.keys
        missing = [k for k in keys if k not in value]
        extra = [k for k in value if k not in keys]
        if missing or extra:
            raise ValueError(f"keys must be exactly {list(keys)} (missing {missing}, unexpected {extra})")
        one = _ratio if kind == "ratio_by_level" else _money
        return {k: one(value[k]) for k in keys}
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        return value
    if kind == "month_day":
        try:
            month, day = (int(x) for x in str(value).split("-"))
            date(2024, month, day)
        except ValueError:
            raise ValueError(f"{value!r} is not a MM-DD day of the year") from None
        return (month, day)
    if kind == "age_groups":
        if not isinstance(value, list) or not value:
            raise ValueError("must be a non-empty list of groups")
        groups = []
        seen: dict[int, int] = {}
        for item in value:
            if not isinstance(item, Mapping) or set(item) != {"group", "standard", "ages"}:
                raise ValueError("each group is {group, standard, ages}")
            ranges = parse_ages(item["ages"])
            for low, high in ranges:
                for age in range(low, (high if high is not None else 150) + 1):
                    if age in seen:
                        raise ValueError(f"age {age} is in groups {seen[age]} and {item['group']}")
                    seen[age] = item["group"]
            groups.append({"group": int(item["group"]), "standard": _money(item["standard"]), "ranges": ranges})
        missing = [age for age in range(0, 121) if age not in seen]
        if missing:
            raise ValueError(f"ages {missing[:5]} belong to no group")
        return groups
    raise ValueError(f"unknown parameter kind {kind}")


def validate_values(spec: Mapping[str, Spec], values: Any) -> list[tuple[str, str]]:
    """All problems of a parameter object, as (parameter name, message) pairs."""
    if not isinstance(values, Mapping):
        return [("values", "must be a JSON object of parameter: value")]
    errors: list[tuple[str, str]] = []
    for name, item in spec.items():
        if name not in values:
            errors.append((name, "is missing (write null if it is not known yet)" if item.nullable else "is missing"))
            continue
        if values[name] is None:
            if not item.nullable:
                errors.append((name, "may not be empty"))
            continue
        try:
            _parse(item.kind, values[name], item)
        except ValueError as exc:
            errors.append((name, str(exc)))
    for name in values:
        if name not in spec:
            errors.append((name, "is not a parameter of this region"))
    return errors


class Params:
    """Typed read access to one validated parameter set, with its identity for the record."""

    def __init__(self, spec: Mapping[str, Spec], values: Mapping[str, Any], *, version: str,
                 effective_from: date, effective_to: date | None):
        errors = validate_values(spec, values)
        if errors:
            raise ValueError("; ".join(f"{k}: {m}" for k, m in errors))
        self.version = version
        self.effective_from = effective_from
        self.effective_to = effective_to
        self._values = {
            name: (None if values[name] is None else _parse(item.kind, values[name], item))
            for name, item in spec.items()
        }

    def get(self, name: str) -> Any:
        """The value, or ``ParameterNotSet`` when staff have not entered it for this period."""
        value = self._values[name]
        if value is None:
            raise ParameterNotSet(name)
        return value

    def is_set(self, name: str) -> bool:
        return self._values[name] is not None

    def by_level(self, name: str, level: str) -> Decimal:
        return self.get(name)[level]

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)
