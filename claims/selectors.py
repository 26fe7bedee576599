"""Read side of claims: one settlement, scoped lists, a member's year-to-date figures."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404

from members import selectors as member_selectors
from members.models import Member
from policy import rules
from policy.rules.common import FUND, WINDOW_PREFIX, YearToDate
from policy.selectors import parameters_in_force
from staff.scope import scope_for_user

from .facts import accumulator_buckets, member_facts, registration_facts, signup_facts
from .models import Accumulator, Claim

ZERO = Decimal("0.00")


def claims_visible(*, user) -> QuerySet[Claim]:
    """Every settlement the user's district scope covers (the member's region / district)."""
    return scope_for_user(user).filter(Claim.objects.all())


def claim_get(*, setl_id: str, user) -> Claim:
    """One settlement with what its page and API show; 404 when unknown or outside the scope."""
    claim = (claims_visible(user=user).select_related("member", "provider", "charged_provider", "reverses",
                                                      "parameter_set")
             .prefetch_related("items").filter(setl_id=setl_id).first())
    if claim is None:
        raise Http404(f"结算 {setl_id} 不存在")
    return claim


def claim_list(*, user, admdvs: str | None = None, district: str | None = None, certno: str | None = None,
               fixmedins_code: str | None = None, status: str | None = None, benefit: str | None = None,
               visit_from: date | None = None, visit_to: date | None = None) -> QuerySet[Claim]:
    """Scoped settlements, newest first, filtered; each filter is backed by an index."""
    queryset = claims_visible(user=user).select_related("member", "provider", "reverses")
    if admdvs:
        queryset = queryset.filter(admdvs_id=admdvs)
    if district:
        queryset = queryset.filter(district_id=district)
    if certno:
        queryset = queryset.filter(member__certno=certno.strip().upper())
    if fixmedins_code:
        queryset = queryset.filter(provider_id__in=_provider_ids(fixmedins_code))
    if status:
        queryset = queryset.filter(status=status)
    if benefit:
        queryset = queryset.filter(benefit=benefit)
    if visit_from:
        queryset = queryset.filter(visit_date__gte=visit_from)
    if visit_to:
        queryset = queryset.filter(visit_date__lte=visit_to)
    return queryset.order_by("-id")


def _provider_ids(code: str):
    from providers.models import Provider

    return Provider.objects.filter(fixmedins_code=code).values("pk")


def member_visible(*, admdvs: str, certno: str, user) -> Member:
    member = member_selectors.member_get(admdvs=admdvs, certno=certno)
    if member is None or not scope_for_user(user).covers(admdvs=member.admdvs_id, district=member.district_id):
        raise Http404("参保人不存在")
    return member


def accumulators_for(*, member: Member, year: int) -> dict:
    """The contract's year-to-date figures: ``deductible_paid`` (per bucket), ``fund_paid``,
    ``annual_cap``, ``cap_left``, sub-cap usage; money as Decimal, caps None where there are none."""
    row = Accumulator.objects.filter(member=member, year=year).first()
    buckets = accumulator_buckets(row) if row else {}
    ytd = YearToDate(year=year, buckets=buckets)
    day = min(date(year, 12, 31), max(date(year, 1, 1), date.today()))
    parameters = parameters_in_force(admdvs=member.admdvs_id, day=day)
    signup = None
    if rules.region_module(member.admdvs_id).HAS_SIGNUP:
        signup = signup_facts(member_selectors.signup_in_effect(member=member, day=day),
                              member_selectors.member_first_signup(member=member))
    describe = getattr(rules, "year_to_date", None)
    # Nanchang's resettled yearly cap depends on the member's out-of-area registrations.
    facts = member_facts(member, day, registration_facts(list(member_selectors.member_registration_history(
        member=member))))
    if parameters is not None and describe is not None:
        view = describe(member.admdvs_id, params=parameters[1], member=facts, signup=signup, ytd=ytd)
        return {
            "year": year, "deductible_paid": dict(view.deductible_paid), "fund_paid": view.fund_paid,
            "annual_cap": view.annual_cap, "cap_left": view.cap_left,
            "subcaps": {name: {"cap": u.cap, "used": u.used, "left": u.left} for name, u in view.subcaps.items()},
            "other_paid": dict(view.other_paid), "buckets": _plain(buckets),
        }
    return _raw_view(member, year, buckets, parameters, signup, facts)


def _raw_view(member: Member, year: int, buckets: dict, parameters, signup, facts) -> dict:
    """Figures straight from the buckets (no parameters in force, or the core has no describer)."""
    cap = None
    if parameters is not None and hasattr(rules, "annual_cap"):
        cap = rules.annual_cap(member.admdvs_id, params=parameters[1], member=facts, signup=signup, year=year)
    fund = buckets.get(FUND, ZERO)
    deductible = {name.partition(":")[2] or "shared": amount for name, amount in buckets.items()
                  if name.startswith("deductible")}
    windows = sum((a for n, a in buckets.items() if n.startswith(WINDOW_PREFIX)), ZERO)
    if windows:
        deductible["per_visit"] = windows
    return {
        "year": year, "deductible_paid": deductible, "fund_paid": fund, "annual_cap": cap,
        "cap_left": None if cap is None else max(ZERO, cap - fund),
        "subcaps": {name.partition(":")[2]: {"cap": None, "used": amount, "left": None}
                    for name, amount in buckets.items() if name.startswith("subcap:")},
        "other_paid": {name: amount for name, amount in buckets.items() if name == "special"},
        "buckets": _plain(buckets),
    }


def _plain(buckets: dict) -> dict:
    """Buckets without the Nanyang window entries (per-window detail is in the claims)."""
    return {name: amount for name, amount in sorted(buckets.items()) if not name.startswith(WINDOW_PREFIX)}
