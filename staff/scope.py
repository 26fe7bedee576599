"""District scope: the one place that decides which rows a staff user may see.

``Scope`` is resolved once per request and applied to any queryset by naming the lookups of its
region and district fields, so providers, members, claims and runs all share the same rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Scope:
    everything: bool
    regions: frozenset[str]          # whole-city regions
    districts: frozenset[str]        # single districts (within other regions)

    @property
    def empty(self) -> bool:
        return not self.everything and not self.regions and not self.districts

    def covers(self, *, admdvs: str | None, district: str | None) -> bool:
        if self.everything:
            return True
        return (admdvs in self.regions) or (district is not None and district in self.districts)

    def q(self, *, region_field: str = "admdvs", district_field: str = "district") -> Q:
        if self.everything:
            return Q()
        if self.empty:
            return Q(pk__in=[])
        condition = Q(pk__in=[])
        if self.regions:
            condition |= Q(**{f"{region_field}__in": sorted(self.regions)})
        if self.districts:
            condition |= Q(**{f"{district_field}__in": sorted(self.districts)})
        return condition

    def filter(self, queryset: QuerySet, *, region_field: str = "admdvs", district_field: str = "district") -> QuerySet:
        return queryset.filter(self.q(region_field=region_field, district_field=district_field))


NOTHING = Scope(everything=False, regions=frozenset(), districts=frozenset())


def scope_for_user(user) -> Scope:
    """The user's scope, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_district_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True, regions=frozenset(), districts=frozenset())
    else:
        from staff.models import StaffScope

        record = StaffScope.objects.filter(user=user).select_related("region").first()
        if record is None:
            scope = NOTHING
        elif record.all_regions:
            scope = Scope(everything=True, regions=frozenset(), districts=frozenset())
        else:
            districts = frozenset(record.districts.values_list("code", flat=True))
            if districts:
                scope = Scope(everything=False, regions=frozenset(), districts=districts)
            else:
                scope = Scope(everything=False, regions=frozenset({record.region_id}), districts=frozenset())
    user._district_scope = scope
    return scope


def mask_certno(certno: str) -> str:
    """360102197005010112 -> 360102********0112 (first 6 and last 4 kept)."""
    if not certno or len(certno) < 10:
        return certno
    return certno[:6] + "*" * (len(certno) - 10) + certno[-4:]


# A certno inside other text (an idempotency key "visit-360102197005010112-3", a recorded request): 17
# digits and a digit or X, not part of a longer run of letters or digits (a setl_id is 6+8 digits
# then hex, so never 18 digits standing alone).
CERTNO_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


# Values that hold no text: kept as they are without a call (a recorded request is mostly these and
# short codes; a call per value was most of what masking one request cost, and every claim records one).
_NO_TEXT = frozenset({bool, int, float, type(None)})


def _masked_match(match) -> str:
    return mask_certno(match.group(0))


def _masked_text(text: str) -> str:
    # Text without a certno (a visit's time, most names) comes back after one search, remembered
    # nowhere: it rarely repeats, and remembering it pushed the members' certnos out of the memory.
    return text if CERTNO_IN_TEXT.search(text) is None else _masked_found(text)


@lru_cache(maxsize=4096)
def _masked_found(text: str) -> str:
    # Remembered: a file's visits repeat their members' certnos (the regex's match and the mask
    # were a quarter of masking one recorded request).
    return CERTNO_IN_TEXT.sub(_masked_match, text)


def mask_certnos_in(value):
    """``value`` (text, or JSON made of dicts, lists and text) with every certno in it masked."""
    kind = type(value)
    if kind is str or isinstance(value, str):
        # Shorter text holds no 18-character certno: most of a recorded request (codes, amounts).
        return value if len(value) < 18 else _masked_text(value)
    if kind is dict or isinstance(value, dict):
        # A copy, then only the values that may hold text replaced: values that hold none (numbers,
        # booleans, None, short text: most of a recorded request) cost no call.
        masked = dict(value)
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                if len(item) >= 18:
                    masked[key] = _masked_text(item)
            elif kind is list and not item:
                masked[key] = []    # a request without fee details: nothing to walk
            elif kind not in _NO_TEXT:
                masked[key] = mask_certnos_in(item)
        return masked
    if isinstance(value, (list, tuple)):
        return [item if (kind := type(item)) in _NO_TEXT or (kind is str and len(item) < 18)
                else mask_certnos_in(item) for item in value]
    return value


def can_see_full_certno(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_perm("staff.view_full_certno")))


def certno_for(user, certno: str) -> str:
    return certno if can_see_full_certno(user) else mask_certno(certno)


def certnos_for(user, value):
    """Text or JSON with the certnos in it shown as ``user`` may see them (recorded inputs, keys)."""
    return value if can_see_full_certno(user) else mask_certnos_in(value)
