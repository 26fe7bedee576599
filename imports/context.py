"""What every row of a file is checked against, loaded once per file (regions, districts, the user's
scope) or once per batch (providers by code, members by (admdvs, certno)): never a query per row."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from members.models import Member
from policy.models import District, Region
from providers.models import Provider
from staff.scope import Scope


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


@dataclass
class Context:
    scope: Scope
    today: date
    regions: dict[str, Region]
    district_region: dict[str, str]
    providers: dict[str, Provider] = field(default_factory=dict)
    members: dict[tuple[str, str], Member] = field(default_factory=dict)

    @classmethod
    def load(cls, *, scope: Scope) -> "Context":
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


def existing_members(keys_by_region: dict[str, list[str]], fields: tuple[str, ...]) -> dict[tuple[str, str], tuple]:
    """(admdvs, certno) → the stored values of ``fields``, for the keys of one batch (one query per
    region; the unique (admdvs, certno) index answers it)."""
    found: dict[tuple[str, str], tuple] = {}
    if connection.vendor == "postgresql":
        # certno = ANY(array): one parameter, not thousands of placeholders to build and parse.
        columns = ", ".join(f.removesuffix("_id") if f.endswith("_id") else f for f in fields)
        with connection.cursor() as cursor:
            for admdvs, certnos in keys_by_region.items():
                cursor.execute(f"SELECT certno, {columns} FROM members_member WHERE admdvs = %s AND certno = ANY(%s)",
                               [admdvs, list(certnos)])
                for certno, *values in cursor.fetchall():
                    found[(admdvs, certno)] = tuple(values)
        return found
    for admdvs, certnos in keys_by_region.items():
        if not certnos:
            continue
        rows = Member.objects.filter(Q(admdvs_id=admdvs) & Q(certno__in=certnos)).values_list("certno", *fields)
        for certno, *values in rows:
            found[(admdvs, certno)] = tuple(values)
    return found
