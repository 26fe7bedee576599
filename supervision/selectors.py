"""Read side of supervision: thresholds in force, indicator series, warning lists, dashboard figures.
Every list takes the staff user's ``Scope`` (district scope, staff.scope)."""
from __future__ import annotations

from calendar import monthrange
from datetime import date

from django.db.models import Count, Q, QuerySet

from staff.scope import Scope
from supervision.models import ProviderIndicator, SupervisionSettings, Warning
from supervision.periods import month_add

INDICATOR_LABELS = {
    "visits": "就诊人次",
    "members": "就诊人数",
    "medfee_sumamt": "医疗费总额",
    "hifp_pay": "统筹基金支付",
    "avg_cost": "次均费用",
    "fund_per_member": "人均基金支付",
    "visits_per_member": "人次人头比",
    "self_paid_share": "自费比例",
    "exam_share": "检查费用占比",
    "out_of_catalogue_share": "目录外项目占比",
    "growth_mom": "费用环比增长",
    "growth_yoy": "费用同比增长",
}
# Compared with the provider's peers (same region and level) every month.
PEER_INDICATORS = ("avg_cost", "fund_per_member", "visits_per_member", "self_paid_share", "exam_share",
                   "out_of_catalogue_share", "growth_mom", "growth_yoy")
# Compared with a threshold of ``SupervisionSettings`` (a NULL setting is not checked).
THRESHOLD_FIELDS = {
    "growth_mom": "growth_threshold",
    "growth_yoy": "growth_threshold",
    "self_paid_share": "self_paid_share_max",
    "exam_share": "exam_share_max",
    "out_of_catalogue_share": "out_of_catalogue_share_max",
}


def supervision_settings_for(*, admdvs: str, period: date) -> SupervisionSettings | None:
    """The thresholds in force on the month's last day."""
    last = date(period.year, period.month, monthrange(period.year, period.month)[1])
    return (SupervisionSettings.objects.filter(region_id=admdvs, effective_from__lte=last)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=last)).first())


def warning_list(*, scope: Scope, admdvs: str | None = None, district: str | None = None,
                 period: date | None = None, status: str | None = None, kind: str | None = None,
                 provider_id: int | None = None) -> QuerySet[Warning]:
    queryset = scope.filter(Warning.objects.all(), region_field="admdvs", district_field="district")
    if admdvs:
        queryset = queryset.filter(admdvs_id=admdvs)
    if district:
        queryset = queryset.filter(district_id=district)
    if period:
        queryset = queryset.filter(period=period)
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if provider_id:
        queryset = queryset.filter(provider_id=provider_id)
    return queryset.select_related("provider", "member", "owner", "district").order_by(
        "-period", "status", "provider__fixmedins_code", "kind", "indicator", "subject")


def indicator_list(*, scope: Scope, admdvs: str | None = None, district: str | None = None,
                   period: date | None = None, provider_id: int | None = None) -> QuerySet[ProviderIndicator]:
    queryset = scope.filter(ProviderIndicator.objects.all(), region_field="admdvs", district_field="district")
    if admdvs:
        queryset = queryset.filter(admdvs_id=admdvs)
    if district:
        queryset = queryset.filter(district_id=district)
    if period:
        queryset = queryset.filter(period=period)
    if provider_id:
        queryset = queryset.filter(provider_id=provider_id)
    return queryset.select_related("provider").order_by("-period", "provider__fixmedins_code")


def warnings_by_kind(*, warnings: QuerySet[Warning]) -> list[dict]:
    return list(warnings.order_by().values("kind", "indicator").annotate(
        total=Count("id"), open=Count("id", filter=~Q(status=Warning.Status.CLOSED))).order_by("-total", "kind"))


def worst_providers(*, warnings: QuerySet[Warning], limit: int = 10) -> list[dict]:
    """Providers with the most warnings not closed (then most warnings) in the selection."""
    return list(warnings.order_by().values("provider_id", "provider__fixmedins_code", "provider__fixmedins_name",
                                           "district_id").annotate(
        open=Count("id", filter=~Q(status=Warning.Status.CLOSED)), total=Count("id"))
        .order_by("-open", "-total", "provider__fixmedins_code")[:limit])


def indicator_series(*, provider_ids: list[int], until: date, months: int = 12) -> dict[int, list[ProviderIndicator]]:
    """The providers' indicator rows of the ``months`` months ending with ``until``, oldest first."""
    since = month_add(until, -(months - 1))
    series: dict[int, list[ProviderIndicator]] = {pk: [] for pk in provider_ids}
    for row in ProviderIndicator.objects.filter(provider_id__in=provider_ids, period__gte=since,
                                                period__lte=until).order_by("period"):
        series[row.provider_id].append(row)
    return series


def latest_period(*, scope: Scope) -> date | None:
    return (scope.filter(ProviderIndicator.objects.all(), region_field="admdvs", district_field="district")
            .order_by("-period").values_list("period", flat=True).first())
