"""What every row of a file is checked against, loaded once per file (regions, districts, the user's
scope) or once per batch (providers by code, members by (admdvs, certno)): never a query per row."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from members.models import Member
from policy.models import District, Region
from providers.models import Provider
from staff.scope import Scope

from . import cells


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    message: str
    rule: str = "invalid"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message,
                "rule": self.rule}


class RowCells:
    """One sheet row read by field name (``positions``: field → column index), with the problems it
    has so far in ``errors``, each naming the row, the column's header, the cell's value and the rule."""

    __slots__ = ("number", "values", "positions", "headers", "errors")

    def __init__(self, number: int, values: list, positions: dict[str, int], headers: dict[str, str]):
        self.number, self.values, self.positions, self.headers = number, values, positions, headers
        self.errors: list[RowError] = []

    def raw(self, name: str):
        """The cell of field ``name`` (None when the column is absent or the row is short)."""
        index = self.positions.get(name)
        return self.values[index] if index is not None and index < len(self.values) else None

    def fail(self, name: str, error: cells.CellError, value=None) -> None:
        """Record ``error`` against field ``name``; the value shown is the cell's unless given."""
        shown = self.raw(name) if value is None else value
        self.errors.append(RowError(self.number, self.headers[name], cells.text_or_repr(shown), error.message,
                                    error.rule))

    def get(self, name: str, parser, **kw):
        """``parser(cell, **kw)``, or None with the parser's CellError recorded."""
        try:
            return parser(self.raw(name), **kw)
        except cells.CellError as exc:
            self.fail(name, exc)
            return None


@dataclass
class Context:
    scope: Scope
    today: date
    regions: dict[str, Region]
    district_region: dict[str, str]
    providers: dict[str, Provider] = field(default_factory=dict)
    members: dict[tuple[str, str], Member] = field(default_factory=dict)

    @classmethod
    def load(cls, *, scope: Scope) -> Context:
        return cls(scope=scope, today=timezone.localdate(),
                   regions={r.admdvs: r for r in Region.objects.all()},
                   district_region=dict(District.objects.values_list("code", "region_id")))

    def load_providers(self, codes) -> None:
        """Providers named by this batch, one query (those already known are not asked again)."""
        wanted = sorted({c for c in codes if c and c not in self.providers})
        for start in range(0, len(wanted), 5000):
            for provider in Provider.objects.filter(fixmedins_code__in=wanted[start:start + 5000]):
                self.providers[provider.fixmedins_code] = provider

    def load_members(self, keys) -> None:
        """Members named by this batch, by (admdvs, certno): one query per region per batch."""
        by_region: dict[str, set[str]] = {}
        for admdvs, certno in keys:
            if admdvs and certno and (admdvs, certno) not in self.members:
                by_region.setdefault(admdvs, set()).add(certno)
        for admdvs, certnos in by_region.items():
            ordered = sorted(certnos)
            for start in range(0, len(ordered), 5000):
                for member in Member.objects.filter(admdvs_id=admdvs, certno__in=ordered[start:start + 5000]):
                    self.members[(member.admdvs_id, member.certno)] = member

    def forget_members(self) -> None:
        self.members.clear()


_PLAIN_ARRAY = re.compile(r"[0-9X,]*")


def array_literal(values: list[str]):
    """A list of codes as one PostgreSQL array literal (``{a,b,c}``): psycopg adapts a Python list
    element by element in Python (about 1.3 µs each, more than the lookup itself). Only ASCII digits
    and X (region codes, certnos) are spelled out so; anything else (which might need quoting, or read
    as NULL) is handed to psycopg's own adaptation."""
    joined = ",".join(values)
    if _PLAIN_ARRAY.fullmatch(joined) and all(values) and joined.count(",") == len(values) - 1:
        return "{" + joined + "}"
    return values


def existing_members(*, admdvs: list[str], certnos: list[str], fields: tuple[str, ...],
                     using=None) -> dict[tuple[str, str], tuple]:
    """(admdvs, certno) → the stored values of ``fields``, for the keys of one batch (the i-th key is
    ``admdvs[i]``, ``certnos[i]``), in one query.

    ``using``: the connection to ask (default: the current one). The import passes an autocommit side
    connection, so the lookups of batch N+1 run on the second core while the import's own connection
    loads batch N; it sees what is committed, which is what a stored member is (rows of the
    same file are found by the in-file duplicate check, and a member registered concurrently after the
    lookup makes the load fail on the unique constraint: the file is refused whole)."""
    found: dict[tuple[str, str], tuple] = {}
    if not certnos:
        return found
    # One index probe per key, whatever the planner statistics say: a LATERAL subquery with LIMIT is
    # always run as a nested loop over the keys. ``certno = ANY(array)`` was planned, with the
    # statistics of a table still being loaded, as a scan of the whole region per batch.
    columns = ", ".join(f.removesuffix("_id") for f in fields)
    with (using or connection).cursor() as cursor:
        cursor.execute(f"SELECT k.admdvs, k.certno, m.* FROM unnest(%s::varchar[], %s::varchar[]) "
                       f"AS k(admdvs, certno) CROSS JOIN LATERAL (SELECT {columns} FROM members_member m "
                       "WHERE m.admdvs = k.admdvs AND m.certno = k.certno LIMIT 1) m",
                       [array_literal(admdvs), array_literal(certnos)])
        for admdvs, certno, *values in cursor.fetchall():
            found[(admdvs, certno)] = tuple(values)
    return found
