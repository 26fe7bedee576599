"""Read side of settlement runs, always through the user's district scope."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from staff.scope import scope_for_user

from .models import SettlementLine, SettlementRun


def settlement_runs_visible(*, user) -> QuerySet[SettlementRun]:
    """Runs of the regions the user's scope touches (a whole city, or some of its districts)."""
    runs = SettlementRun.objects.select_related("approved_by", "parameter_set")
    if scope_for_user(user).everything:
        return runs
    return runs.filter(admdvs_id__in=settlement_regions_in_scope(user=user))


def settlement_regions_in_scope(*, user) -> list[str]:
    """The regions the user's scope touches (a whole city, or some of its districts): a run covers a
    whole region, so these are the regions whose runs the user sees and may start."""
    from policy.models import District, Region

    scope = scope_for_user(user)
    if scope.everything:
        return list(Region.objects.order_by("admdvs").values_list("admdvs", flat=True))
    if scope.empty:
        return []
    regions = set(scope.regions) | set(District.objects.filter(code__in=scope.districts)
                                       .values_list("region_id", flat=True))
    return sorted(regions)


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


# A run counts settled claims and the reversal rows that cancel them; a refused or pending claim
# changes none of its sums, so only these two make a run stale.
STALE_STATUSES = ("settled", "reversal")


def _claims_recorded_after(*, admdvs, start, end, computed_at):
    from claims.models import Claim

    return Claim.objects.filter(admdvs_id=admdvs, visit_date__gte=start, visit_date__lte=end,
                                created_at__gt=computed_at, status__in=STALE_STATUSES)


def settlement_run_stale_claims(*, run: SettlementRun) -> int:
    """How many claims (or reversals) of the run's region and period were recorded after the run was
    computed: a draft with any is stale — its sums no longer match the claims — and must be recomputed
    before approval. Staleness is not stored: it is derived here from ``Claim.created_at`` (a
    reversal is a claim row of its own, dated when it was recorded, on the original's visit date), so
    it can never be out of date itself. An approved run is frozen and never stale."""
    if run.is_approved or run.computed_at is None:
        return 0
    return _claims_recorded_after(admdvs=run.admdvs_id, start=run.period_start, end=run.period_end,
                                  computed_at=run.computed_at).count()


def settlement_runs_with_staleness(runs: QuerySet[SettlementRun]) -> QuerySet[SettlementRun]:
    """The runs with ``later_claims`` (one EXISTS per run, in the same statement) for lists and the
    dashboard; a draft with it is stale (an approved run is frozen: ``settlement_run_stale_claims``)."""
    from claims.models import Claim

    later = Claim.objects.filter(admdvs_id=OuterRef("admdvs_id"), visit_date__gte=OuterRef("period_start"),
                                 visit_date__lte=OuterRef("period_end"), created_at__gt=OuterRef("computed_at"),
                                 status__in=STALE_STATUSES)
    return runs.annotate(later_claims=Exists(later))
