"""Read questions behind the dashboard. Every figure is one set-based query over the user's district
scope (``staff.scope``): counts and sums are grouped in SQL, never accumulated row by row in Python.

The only Python step is the annual cap of the few members closest to it: a cap depends on the
member (employed/retired, first sign-up month) and is decided by the region's pure rules module
(``policy.rules.annual_cap``), so the candidates are picked in SQL (highest year-to-date fund
payments, at most ``NEAR_CAP_CANDIDATES``), their first sign-ups are read in one query, and the
rules module is asked for each cap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from budgets.models import SettlementLine, SettlementRun
from claims.facts import member_facts, registration_facts
from claims.models import Accumulator, Claim
from members.models import Member, SignUp
from members.selectors import registrations_of
from policy import rules
from policy.rules.common import SignupFacts
from policy.selectors import parameters_in_force
from staff.scope import Scope

ZERO = Decimal("0.00")
NEAR_CAP_SHARE = Decimal("0.80")     # "near the cap": at least 80% of it paid this year
NEAR_CAP_CANDIDATES = 200
CAPITATION_REGIONS = ("360100", "441600")
# Bands of the year-end rule when the parameters in force do not say: Nanchang 80%/90% (第二十六条),
# Heyuan 80%/100% (第十二条). The upper Heyuan band is fixed by the rule, the others are parameters.
DEFAULT_BANDS = {"360100": (Decimal("0.80"), Decimal("0.90")), "441600": (Decimal("0.80"), Decimal("1.00"))}


@dataclass(frozen=True)
class Filters:
    scope: Scope
    admdvs: str | None = None
    district: str | None = None
    year: int = 2024

    def q(self, *, region_field: str = "admdvs", district_field: str = "district") -> Q:
        condition = self.scope.q(region_field=region_field, district_field=district_field)
        if self.admdvs:
            condition &= Q(**{region_field: self.admdvs})
        if self.district:
            condition &= Q(**{district_field: self.district})
        return condition


def dashboard_members_by_provider(*, filters: Filters, day: date) -> list[dict]:
    """Per provider: sign-up requests recorded and members whose sign-up in effect on ``day`` is there."""
    later = SignUp.objects.filter(member=OuterRef("member"), effective_from__lte=day).filter(
        Q(effective_from__gt=OuterRef("effective_from"))
        | Q(effective_from=OuterRef("effective_from"), id__gt=OuterRef("id")))
    rows = (SignUp.objects.filter(filters.q(region_field="member__admdvs", district_field="member__district"))
            .values("provider__fixmedins_code", "provider__fixmedins_name", "provider__district_id",
                    "provider__district__name")
            .annotate(signups=Count("id"),
                      members=Count("member", distinct=True,
                                    filter=Q(effective_from__lte=day) & ~Exists(later)))
            .order_by("-members", "provider__fixmedins_code"))
    return [{"code": r["provider__fixmedins_code"], "name": r["provider__fixmedins_name"],
             "district": r["provider__district__name"] or r["provider__district_id"], "signups": r["signups"],
             "members": r["members"]}
            for r in rows[:50]]


def dashboard_member_totals(*, filters: Filters) -> dict:
    counts = Member.objects.filter(filters.q()).aggregate(
        members=Count("id"), active=Count("id", filter=Q(status=Member.Status.ACTIVE)))
    return counts


def dashboard_claims_by_month(*, filters: Filters) -> list[dict]:
    """Visits and fund payments per month of the year, net of reversals (a reversal row negates)."""
    rows = (Claim.objects.filter(filters.q(), visit_date__year=filters.year)
            .annotate(month=TruncMonth("visit_date")).values("month")
            .annotate(visits=Count("id", filter=~Q(status=Claim.Status.REVERSAL))
                      - Count("id", filter=Q(status=Claim.Status.REVERSAL)),
                      fund=Sum("hifp_pay"))
            .order_by("month"))
    by_month = {r["month"].month: r for r in rows}
    return [{"month": f"{filters.year}-{m:02d}", "visits": by_month[m]["visits"] if m in by_month else 0,
             "fund": (by_month[m]["fund"] or ZERO) if m in by_month else ZERO} for m in range(1, 13)]


def _bands(admdvs: str, day: date) -> tuple[Decimal, Decimal]:
    lower, upper = DEFAULT_BANDS[admdvs]
    found = parameters_in_force(admdvs=admdvs, day=day)
    if found is not None:
        params = found[1]
        if params.is_set("year_end_lower_band"):
            lower = params.get("year_end_lower_band")
        if admdvs == "360100" and params.is_set("year_end_upper_band"):
            upper = params.get("year_end_upper_band")
    return lower, upper


def _band(usage: Decimal | None, lower: Decimal, upper: Decimal) -> str:
    if usage is None:
        return ""
    if usage < lower:
        return "below"
    return "between" if usage < upper else "over"


def dashboard_budget_usage(*, filters: Filters) -> list[dict]:
    """Per capitation region in scope, each settling provider's year-to-date actual against its budget.

    The budget is the year-end run's budget when the year has one; before that it is the budget to
    date: the sum of the quotas (Nanchang) / monthly capitation (Heyuan) of the year's monthly runs,
    compared with the actual of the same months, so both sides cover the same period."""
    lines = SettlementLine.objects.filter(filters.q(region_field="run__admdvs", district_field="district"),
                                          run__admdvs__in=CAPITATION_REGIONS)
    monthly = (lines.filter(run__kind=SettlementRun.Kind.MONTHLY, run__period__startswith=f"{filters.year}-")
               .values("run__admdvs", "provider__fixmedins_code", "provider__fixmedins_name")
               .annotate(budget=Sum("quota"), actual=Sum("actual"), months=Count("run", distinct=True)))
    year_end = {(r["run__admdvs"], r["provider__fixmedins_code"]): r for r in
                lines.filter(run__kind=SettlementRun.Kind.YEAR_END, run__period=str(filters.year))
                .values("run__admdvs", "provider__fixmedins_code", "provider__fixmedins_name", "budget", "actual")}
    merged: dict[tuple, dict] = {(r["run__admdvs"], r["provider__fixmedins_code"]): dict(r, months=r["months"])
                                 for r in monthly}
    for key, row in year_end.items():
        merged[key] = dict(row, months=12)
    regions: dict[str, dict] = {}
    day = date(filters.year, 12, 31)
    for (admdvs, code), row in sorted(merged.items()):
        if admdvs not in regions:
            lower, upper = _bands(admdvs, day)
            regions[admdvs] = {"admdvs": admdvs, "name": region_names().get(admdvs, admdvs), "lower": lower,
                               "upper": upper, "providers": []}
        region = regions[admdvs]
        budget, actual = row["budget"] or ZERO, row["actual"] or ZERO
        usage = (actual / budget).quantize(Decimal("0.0001")) if budget else None
        region["providers"].append({"code": code, "name": row["provider__fixmedins_name"], "budget": budget,
                                    "actual": actual, "usage": usage, "months": row["months"],
                                    "band": _band(usage, region["lower"], region["upper"])})
    return list(regions.values())


def region_names() -> dict[str, str]:
    """Region code → name (five rows), so that pages name regions instead of showing codes."""
    from policy.models import Region

    return dict(Region.objects.values_list("admdvs", "name"))


def dashboard_runs_waiting(*, filters: Filters) -> QuerySet[SettlementRun]:
    """Draft settlement runs of the regions the user's scope touches (a run covers a whole region)."""
    from budgets.selectors import settlement_runs_with_staleness

    # each run says whether a later claim or reversal made it stale (shown before anyone approves it)
    runs = settlement_runs_with_staleness(SettlementRun.objects.filter(status=SettlementRun.Status.DRAFT)
                                          .select_related("admdvs").order_by("-computed_at", "-id"))
    if not filters.scope.everything:
        from policy.models import District

        covered = set(filters.scope.regions) | set(
            District.objects.filter(code__in=filters.scope.districts).values_list("region_id", flat=True))
        runs = runs.filter(admdvs__in=covered)
    if filters.admdvs:
        runs = runs.filter(admdvs=filters.admdvs)
    return runs[:20]


def dashboard_members_near_cap(*, filters: Filters, day: date) -> list[dict]:
    """Members who have used at least ``NEAR_CAP_SHARE`` of the annual cap in force for them."""
    candidates = list(Accumulator.objects
                      .filter(filters.q(region_field="member__admdvs", district_field="member__district"),
                              year=filters.year, fund_paid__gt=0)
                      .select_related("member").order_by("-fund_paid")[:NEAR_CAP_CANDIDATES])
    if not candidates:
        return []
    first_signups = dict(SignUp.objects.filter(member__in=[a.member_id for a in candidates])
                         .values("member").annotate(first=Min("effective_from")).values_list("member", "first"))
    # Nanchang's resettled yearly cap depends on the out-of-area registrations: one statement for all.
    registrations = registrations_of([a.member_id for a in candidates])
    params_by_region = {}
    near = []
    for row in candidates:
        member = row.member
        if member.admdvs_id not in params_by_region:
            found = parameters_in_force(admdvs=member.admdvs_id, day=day)
            params_by_region[member.admdvs_id] = found[1] if found else None
        params = params_by_region[member.admdvs_id]
        if params is None:
            continue
        signup = SignupFacts(provider=None, first_effective_on=first_signups.get(member.pk))
        facts = member_facts(member, day, registration_facts(registrations.get(member.pk, [])))
        cap = rules.annual_cap(member.admdvs_id, params=params, member=facts, signup=signup, year=filters.year)
        if not cap or row.fund_paid < cap * NEAR_CAP_SHARE:
            continue
        near.append({"member": member, "fund_paid": row.fund_paid, "cap": cap,
                     "left": max(ZERO, cap - row.fund_paid), "share": (row.fund_paid / cap).quantize(Decimal("0.01"))})
    return near


def dashboard_payment_calendar(*, filters: Filters, regions: list[str], today: date) -> list[dict]:
    """The year's payment calendar (budgets.calendar) of the regions in scope (or the chosen one)."""
    from budgets.calendar import payment_calendar

    chosen = [r for r in regions if not filters.admdvs or r == filters.admdvs]
    names = region_names()
    return [{**row, "region_name": names.get(row["admdvs"], row["admdvs"])}
            for row in payment_calendar(year=filters.year, regions=sorted(chosen), today=today)]


def dashboard_renewal_flags(*, filters: Filters) -> list:
    """Providers in scope whose last approved assessment failed: their agreement's renewal needs a
    review (Heyuan 第十四条). At most 50, newest year first."""
    from budgets.assessments import providers_flagged_for_renewal
    from providers.models import Provider

    providers = Provider.objects.filter(filters.q())
    return list(providers_flagged_for_renewal(providers=providers)[:50])
