"""Settlement runs: compute (idempotent per region/kind/period, draft recomputed whole) and approve.

Kinds: ``monthly`` and ``year_end`` capitation runs (Nanchang, Heyuan) and the monthly
``fee_for_service`` run (Nanyang, Zibo, Ganzhou, Heyuan). Every kind takes approved deductions off
its lines (``deductions.py``).

``settlement_run_compute`` takes a PostgreSQL advisory lock on (admdvs, kind, period) for the whole
transaction, so two workers starting the same run produce one run; the unique constraint is the last
line of defence. The run row, its lines and its totals are written in ONE transaction: a run killed
halfway leaves the previous state.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from config.errors import Conflict
from policy.rules import REGIONS
from policy.selectors import parameters_in_force
from policy.models import District
from staff.scope import scope_for_user

from . import pricing, sql
from .deductions import deductions_apply, deductions_check_for_approval, deductions_record
from .models import CountyFund, SettlementLine, SettlementRun
from .selectors import settlement_run_stale_claims
from .sql_fee_for_service import fee_for_service_selection, fee_for_service_sums

KINDS = ("monthly", "year_end", "fee_for_service")
SAME_PERSON_MESSAGE = "结算批次须由计算人以外的另一人审核（您计算了该批次，不能审核它）"
STALE_MESSAGE = "该批次计算后又有结算或撤销记录进入其期间，数据已过期：请先重新计算，核对后再审核"
# RULES.md "Paying providers": the fee-for-service monthly run is Nanyang's, Zibo's, Ganzhou's and
# Heyuan's (Nanchang reimburses even a resettled member's visits through the signed provider).
FEE_FOR_SERVICE_REGIONS = ("411300", "370300", "360700", "441600")
# Heyuan 第十二条(五): a provider_suspended change moves the member's capitation from the month after it.
SUSPENDED_CHANGE_NEXT_MONTH_REGIONS = ("441600",)


def capitation_regions() -> list[str]:
    """Regions whose module prices capitation settlements (Nanchang, Heyuan)."""
    return [admdvs for admdvs, module in REGIONS.items() if hasattr(module, "CAPITATION_BY_AGE_GROUP")]


@dataclass(frozen=True)
class Period:
    admdvs: str
    kind: str
    period: str
    year: int
    months: list[int]
    start: date
    end: date
    parameter_set_id: int
    params: object

    @property
    def module(self):
        return REGIONS[self.admdvs]


def settlement_period_resolve(*, admdvs: str, kind: str, period: str, today: date | None = None) -> Period:
    """Validate a run's key; ``ValidationError`` (400) names the field that is wrong."""
    if kind not in KINDS:
        raise ValidationError({"kind": ["kind 必须是 monthly、year_end 或 fee_for_service"]})
    if kind == "fee_for_service" and admdvs not in FEE_FOR_SERVICE_REGIONS:
        only = ", ".join(FEE_FOR_SERVICE_REGIONS)
        raise ValidationError({"admdvs": [f"统筹区 {admdvs} 无按项目付费月结算 (only {only})"]})
    if kind != "fee_for_service" and admdvs not in capitation_regions():
        raise ValidationError({"admdvs": [f"统筹区 {admdvs} 不实行定额包干结算 (only 360100, 441600)"]})
    by_month = kind in ("monthly", "fee_for_service")
    pattern = r"(\d{4})-(0[1-9]|1[0-2])" if by_month else r"(\d{4})"
    match = re.fullmatch(pattern, str(period or ""))
    if not match:
        raise ValidationError({"period": [f"期间格式应为 {'YYYY-MM' if by_month else 'YYYY'}"]})
    year = int(match.group(1))
    start, end = (date(year, int(match.group(2)), 1), sql.month_end(year, int(match.group(2)))) \
        if by_month else (date(year, 1, 1), date(year, 12, 31))
    if end >= (today or timezone.localdate()):
        raise ValidationError({"period": [f"期间 {period} 尚未结束，不能结算"]})
    found = parameters_in_force(admdvs=admdvs, day=end)
    if found is None:
        raise ValidationError({"period": [f"期间 {period} 不在该统筹区政策有效期内"]})
    pk, params = found
    if kind == "fee_for_service":
        return Period(admdvs, kind, str(period), year, [start.month], start, end, pk, params)
    first = params.get("capitation_first_month") if "capitation_first_month" in REGIONS[admdvs].PARAMETERS else 1
    if params.effective_from.year == year:          # capitation starts with the rules (Heyuan 2022-08)
        first = max(first, params.effective_from.month)
    if kind == "monthly":
        if start.month < first:
            raise ValidationError({"period": [f"{period} 不在定额包干期间内 (from month {first})"]})
        months = [start.month]
    else:
        months = list(range(first, 13))
        start = date(year, first, 1)
    return Period(admdvs, kind, str(period), year, months, start, end, pk, params)


def settlement_partials(*, admdvs: str, kind: str, period: str, districts: list[str] | None = None) -> dict:
    """The run's database aggregates for some districts (all when None), JSON-serialisable so a
    Celery worker can compute a piece and hand it to the task that writes the run."""
    p = settlement_period_resolve(admdvs=admdvs, kind=kind, period=period)
    if kind == "fee_for_service":
        return _fee_for_service_partials(p)
    module = p.module
    groups = p.params.get("age_groups") if module.CAPITATION_BY_AGE_GROUP else None
    select = sql.monthly_claims_selection if kind == "monthly" else sql.year_claims_selection
    with transaction.atomic():
        sql.tune_transaction()
        attribution = sql.attribution_counts(
            admdvs=admdvs, year=p.year, months=p.months, age_groups=groups, districts=districts,
            full_year_first_signup=module.FIRST_SIGNUP_COUNTS_FULL_YEAR and kind == "year_end",
            suspended_change_next_month=admdvs in SUSPENDED_CHANGE_NEXT_MONTH_REGIONS)
        claims = sql.claims_sums(selection=select(admdvs=admdvs, start=p.start, end=p.end, districts=districts,
                                                  include_out_of_area=module.OUT_OF_AREA_IN_CAPITATION))
    return {"attribution": [list(row) for row in attribution],
            "claims": [[pid, district, str(total), count] for pid, district, total, count in claims]}


def _fee_for_service_selection(admdvs: str, start: date, end: date) -> tuple[str, list]:
    return fee_for_service_selection(admdvs=admdvs, start=start, end=end,
                                     capitation_region=admdvs in capitation_regions())


def _fee_for_service_partials(p: Period) -> dict:
    """The fee-for-service run's one aggregate (a single statement: not split by district)."""
    with transaction.atomic():
        rows = fee_for_service_sums(selection=_fee_for_service_selection(p.admdvs, p.start, p.end))
    return {"fee_for_service": [[pid, district, str(fund), str(medfee), visits, n]
                                for pid, district, fund, medfee, visits, n in rows]}


def _lock_key(admdvs: str, kind: str, period: str) -> int:
    digest = hashlib.blake2b(f"settlement:{admdvs}:{kind}:{period}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock(admdvs: str, kind: str, period: str) -> None:
    """Transaction-scoped advisory lock: two starts of the same run queue up here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(admdvs, kind, period)])


def _write_lines(run: SettlementRun, lines: list[dict]) -> None:
    """The line writer: one bulk insert of the per-provider lines, then one of their deductions."""
    taken = {line["provider_id"]: line.pop("_taken", []) for line in lines}
    taken = {provider_id: rows for provider_id, rows in taken.items() if rows}
    created = SettlementLine.objects.bulk_create([SettlementLine(run=run, **line) for line in lines],
                                                 batch_size=2000)
    if taken:
        deductions_record(lines_by_provider={line.provider_id: line.pk for line in created}, taken=taken)


def _price(p: Period, partials: list[dict]) -> list[dict]:
    if p.kind == "fee_for_service":
        return sorted(pricing.fee_for_service_lines(partials), key=lambda line: line["provider_id"])
    per = pricing.merge(partials)
    if p.kind == "monthly":
        lines = pricing.monthly_lines(p.module, p.params, per)
    else:
        prepaid = dict(sql.approved_monthly_paid(admdvs=p.admdvs, year=p.year))
        ceilings = {}
        if p.module.HAS_COUNTY_CEILING:
            ceilings = dict(CountyFund.objects.filter(admdvs_id=p.admdvs, year=p.year)
                            .values_list("district_id", "amount"))
        lines = pricing.year_end_lines(p.module, p.params, per, prepaid, ceilings)
    if any(line["district_id"] is None for line in lines):      # a provider with approved payments only
        from providers.models import Provider

        missing = [line["provider_id"] for line in lines if line["district_id"] is None]
        districts = dict(Provider.objects.filter(pk__in=missing).values_list("pk", "district_id"))
        for line in lines:
            line["district_id"] = line["district_id"] or districts[line["provider_id"]]
    return sorted(lines, key=lambda line: line["provider_id"])


def settlement_run_compute(*, admdvs: str, kind: str, period: str, by=None,
                           partials: list[dict] | None = None) -> SettlementRun:
    """Compute (or recompute, while draft) the run of a capitation region for a closed period.

    An approved run is returned untouched. ``partials`` are pieces from ``settlement_partials``
    (e.g. one per district from Celery workers); without them the aggregates are computed here."""
    p = settlement_period_resolve(admdvs=admdvs, kind=kind, period=period)
    with transaction.atomic():
        _lock(admdvs, kind, p.period)
        run = SettlementRun.objects.select_for_update().filter(admdvs_id=admdvs, kind=kind, period=p.period).first()
        if run is not None and run.is_approved:
            return run
        if partials is None:
            partials = [settlement_partials(admdvs=admdvs, kind=kind, period=p.period)]
        lines = _price(p, partials)
        deductions_apply(kind=kind, lines=lines, run_id=run.pk if run else None)
        if run is None:
            run = SettlementRun.objects.create(admdvs_id=admdvs, kind=kind, period=p.period,
                                               period_start=p.start, period_end=p.end)
        else:
            run.lines.all().delete()
        _write_lines(run, lines)
        run.parameter_set_id = p.parameter_set_id
        run.period_start, run.period_end = p.start, p.end
        run.totals = pricing.totals(lines)
        run.computed_at = timezone.now()
        run.computed_by = by if getattr(by, "pk", None) else None
        run.save()
    return run


def settlement_run_approve(*, run: SettlementRun, by) -> SettlementRun:
    """Freeze a run (permission ``budgets.approve_settlement``). A monthly run stamps
    ``Claim.monthly_run_id`` on exactly the claims its lines counted; if that set changed since the
    run was computed (a claim posted or reversed meanwhile), nothing changes and the answer is a
    409: recompute, check, approve. Every run is approved by a second person: not the one who
    computed it (a scheduled run has no computing person). A run made stale by a claim or reversal
    recorded after it was computed (``settlement_run_stale_claims``) is refused before anything is
    stamped, with the message to recompute. A run whose deductions another
    approved run used up meanwhile is refused the same way (``deductions_check_for_approval``)."""
    if by is None or not by.has_perm("budgets.approve_settlement"):
        raise PermissionDenied("需要结算审核权限 (approve_settlement)")
    _approver_scope_check(run=run, by=by)
    with transaction.atomic():
        _lock(run.admdvs_id, run.kind, run.period)
        run = SettlementRun.objects.select_for_update().get(pk=run.pk)
        if run.is_approved:
            return run
        # One rule for every kind (four-eyes): whoever computed a run may not approve it. A scheduled
        # run has no computing person, so any approver may approve it.
        if run.computed_by_id is not None and run.computed_by_id == by.pk:
            raise PermissionDenied(SAME_PERSON_MESSAGE)
        if settlement_run_stale_claims(run=run):
            raise Conflict(STALE_MESSAGE, code="run_stale")
        deductions_check_for_approval(run=run)
        if run.kind in ("monthly", "fee_for_service"):
            if run.kind == "monthly":
                module = REGIONS[run.admdvs_id]
                selection = sql.monthly_claims_selection(admdvs=run.admdvs_id, start=run.period_start,
                                                         end=run.period_end,
                                                         include_out_of_area=module.OUT_OF_AREA_IN_CAPITATION)
            else:
                selection = _fee_for_service_selection(run.admdvs_id, run.period_start, run.period_end)
            stamped = sql.stamp_claims(run_id=run.pk, selection=selection)
            if stamped != run.totals.get("claims", 0):
                raise Conflict(f"结算记录已变化 ({stamped} ≠ {run.totals.get('claims', 0)})，请重新计算后再审核",
                               code="run_stale")
        run.status = SettlementRun.Status.APPROVED
        run.approved_at = timezone.now()
        run.approved_by = by
        run.save(update_fields=["status", "approved_at", "approved_by"])
    return run


def _approver_scope_check(*, run: SettlementRun, by) -> None:
    """Approving freezes every line of the run (and stamps every claim they counted), so the approver
    must see all of them: a city-wide scope over the run's region, or districts covering every line.
    A district approver seeing the run (it touches one of its districts) is not enough."""
    scope = scope_for_user(by)
    if scope.everything or run.admdvs_id in scope.regions:
        return
    outside = sorted(run.lines.exclude(district_id__in=scope.districts)
                     .values_list("district_id", flat=True).distinct())
    if outside or not run.lines.exists():
        raise PermissionDenied("审核结算批次须有其全部县区的数据范围，或全市范围 (the approver's scope must cover "
                               f"every line of the run; outside it: {', '.join(outside) or run.admdvs_id})")


def settlement_districts(*, admdvs: str) -> list[str]:
    return list(District.objects.filter(region_id=admdvs).order_by("code").values_list("code", flat=True))
