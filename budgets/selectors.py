"""Read side of settlement runs, always through the user's district scope."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from staff.scope import scope_for_user

from .models import SettlementLine, SettlementRun


def settlement_runs_visible(*, user) -> QuerySet[SettlementRun]:
    """Runs of the regions the user's scope touches (a whole city, or some of its districts)."""
    scope = scope_for_user(user)
    runs = SettlementRun.objects.select_related("approved_by", "parameter_set")
    if scope.everything:
        return runs
    if scope.empty:
        return runs.none()
    from policy.models import District

    regions = set(scope.regions) | set(District.objects.filter(code__in=scope.districts)
                                       .values_list("region_id", flat=True))
    return runs.filter(admdvs_id__in=sorted(regions))


def settlement_lines_visible(*, run: SettlementRun, user) -> QuerySet[SettlementLine]:
    """The run's lines of providers inside the user's districts (all of them for city-wide staff)."""
    scope = scope_for_user(user)
    lines = run.lines.select_related("provider").order_by("provider__fixmedins_code")
    if scope.everything or run.admdvs_id in scope.regions:
        return lines
    return lines.filter(Q(district_id__in=sorted(scope.districts)))


def settlement_line_visible(*, user, pk: int) -> SettlementLine | None:
    # Not joined to the district: an out-of-area provider's line has a district that is no row of ours
    # (an inner join would lose the line); the statement shows its code.
    line = SettlementLine.objects.select_related("run", "provider").filter(pk=pk).first()
    if line is None or not settlement_lines_visible(run=line.run, user=user).filter(pk=pk).exists():
        return None
    return line


def provider_assessment_record(*, provider) -> dict:
    """For the provider's page: its last assessments, whether the last approved one failed (flagged
    for the agreement's renewal, Heyuan 第十四条) and what approved deductions still wait for a run."""
    from .deductions import deductions_outstanding
    from .models import Assessment

    assessments = list(Assessment.objects.filter(provider=provider).order_by("-year")[:5])
    approved = [a for a in assessments if a.is_approved]
    pending = deductions_outstanding(provider_ids=[provider.pk]).get(provider.pk, [])
    return {"assessments": assessments, "renewal_flag": bool(approved) and not approved[0].passed,
            "deductions_outstanding": sum((left for _, left in pending), Decimal("0.00"))}
