"""Read side of providers: lookups, filtered lists and the nearest replacement for a suspended one."""
from __future__ import annotations

from decimal import Decimal, localcontext

from django.db.models import Exists, OuterRef, Q, QuerySet

from policy.rules import REGIONS

from .models import Provider


def providers_in_scope(queryset: QuerySet[Provider], *, scope) -> QuerySet[Provider]:
    """``queryset`` as a staff scope may see it. Our providers by their region and district. An
    out-of-area provider 异地定点机构 belongs to no district of ours (RULES.md "Out-of-area care"):
    city-wide staff see it, and so does whoever may see a member who uses it — a member registered
    for its city 异地就医备案, selecting it (Heyuan 第十六条), or with a claim there."""
    if scope.everything:
        return queryset
    from claims.models import Claim  # claims builds on providers: imported where it is used
    from members.models import OutOfAreaRegistration, SignUp

    def member_seen(prefix: str) -> Q:
        return scope.q(region_field=f"{prefix}admdvs_id", district_field=f"{prefix}district_id")

    used = (Exists(OutOfAreaRegistration.objects.filter(member_seen("member__"), dest_admdvs=OuterRef("admdvs_id")))
            | Exists(SignUp.objects.filter(member_seen("member__"), provider_id=OuterRef("pk")))
            | Exists(Claim.objects.filter(member_seen(""), provider_id=OuterRef("pk"))))
    ours = scope.q(region_field="admdvs_id", district_field="district_id")
    return queryset.filter(ours | (~Q(admdvs_id__in=sorted(REGIONS)) & used))


def provider_list(*, admdvs: str | None = None, district: str | None = None, status: str | None = None,
                  kind: str | None = None, name_prefix: str | None = None,
                  parent_code: str | None = None) -> QuerySet[Provider]:
    queryset = Provider.objects.all()
    if admdvs:
        queryset = queryset.filter(admdvs_id=admdvs)
    if district:
        queryset = queryset.filter(district_id=district)
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if name_prefix:
        queryset = queryset.filter(fixmedins_name__startswith=name_prefix)
    if parent_code:
        queryset = queryset.filter(parent_id=parent_code)
    return queryset.order_by("fixmedins_code")


_PI = Decimal("3.14159265358979323846264338327950288")


def _cos_degrees(degrees: Decimal) -> Decimal:
    """cos() in exact decimal arithmetic (Taylor series; the project keeps floats out of app code)."""
    with localcontext() as ctx:
        ctx.prec = 30
        x = degrees * _PI / 180
        term, total, n = Decimal(1), Decimal(1), 0
        while True:
            n += 2
            term = -term * x * x / (n * (n - 1))
            if abs(term) < Decimal("1e-25"):
                return +total
            total += term


def squared_distance(a: Provider, b: Provider) -> Decimal:
    """Equirectangular squared distance in degrees², longitude scaled by cos(mean latitude): exact
    enough to rank providers inside one district (a few tens of km), and monotone in real distance."""
    scale = _cos_degrees((a.latitude + b.latitude) / 2)
    d_lat = a.latitude - b.latitude
    d_lon = (a.longitude - b.longitude) * scale
    return d_lat * d_lat + d_lon * d_lon


def provider_replacement_candidates(*, provider: Provider) -> QuerySet[Provider]:
    """Active providers of the same district that members may sign up with (region's kinds)."""
    return (Provider.objects.filter(admdvs_id=provider.admdvs_id, district_id=provider.district_id,
                                    status=Provider.Status.ACTIVE,
                                    kind__in=REGIONS[provider.admdvs_id].SIGNUP_PROVIDER_KINDS)
            .exclude(pk=provider.pk).order_by("fixmedins_code"))


def provider_nearest_replacement(*, provider: Provider) -> Provider | None:
    """The nearest eligible provider in the same district (Nanchang 第八条: 就近选定).

    Members carry no coordinates, so "nearest" is measured from the suspended provider. Fallback,
    deterministic: when the suspended provider has no coordinates, or a candidate has none, those
    candidates rank after every located one, and ties (or a whole unlocated district) go to the
    lowest ``fixmedins_code``.
    """
    candidates = list(provider_replacement_candidates(provider=provider))
    if not candidates:
        return None
    located = provider.latitude is not None and provider.longitude is not None

    def rank(candidate: Provider):
        if located and candidate.latitude is not None and candidate.longitude is not None:
            return (0, squared_distance(provider, candidate), candidate.fixmedins_code)
        return (1, Decimal(0), candidate.fixmedins_code)

    return min(candidates, key=rank)
