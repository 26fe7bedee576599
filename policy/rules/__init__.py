"""The pure policy core: one module per region, no Django import anywhere in this package.

Each region module holds, in this order:
  * ``PARAMETERS``: the spec of its versioned parameters (names, kinds, which may be unset);
  * ``SEED``: the parameter sets RULES.md gives, with their effective periods;
  * ``adjudicate(...)``: the outpatient visit rules (see ``claims``);
  * for capitation regions, the budget / settlement pricing functions (see ``budgets``).

``REGIONS`` maps the national pooling-area code ``admdvs`` to the region module.
"""
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from . import ganzhou, heyuan, nanchang, nanyang, zibo
from .adjudication import not_covered_outside_period
from .common import (
    FUND, REASONS, Decision, MemberFacts, ProviderFacts, SignupFacts, Step, VisitFacts, YearToDate, YearToDateView,
    apply_deltas, negate_deltas,
)
from .out_of_area import out_of_area_step
from .money import ZERO
from .params import Params

REGIONS = {
    "411300": nanyang,
    "370300": zibo,
    "360700": ganzhou,
    "360100": nanchang,
    "441600": heyuan,
}


def region_module(admdvs: str):
    try:
        return REGIONS[admdvs]
    except KeyError:
        raise KeyError(f"unknown region admdvs={admdvs!r}") from None


def adjudicate(admdvs: str, *, params: Params, member: MemberFacts, provider: ProviderFacts,
               signup: SignupFacts | None, visit: VisitFacts, ytd: YearToDate, explain: bool = True) -> Decision:
    """Adjudicate one outpatient visit by the rules of the region ``admdvs`` (pure; see common.py).

    An out-of-area visit's explanation starts with what made it one: the step ``out_of_area`` names
    the derived value and the registration used (RULES.md "Out-of-area care"). ``explain=False``:
    the same decision with no steps (adjudication.py ``Claim``), for a replay that records nothing."""
    decision = region_module(admdvs).adjudicate(params=params, member=member, provider=provider, signup=signup,
                                                visit=visit, ytd=ytd, explain=explain)
    if visit.out_of_area == "none" or not explain:
        return decision
    step = out_of_area_step(out_of_area=visit.out_of_area, provider_admdvs=provider.admdvs,
                            registration=visit.registration)
    return replace(decision, steps=(step, *decision.steps))


def outside_policy_period(*, visit: VisitFacts, provider: ProviderFacts) -> Decision:
    """Not covered, reason ``outside_policy_period``: no parameter set is in force on the visit day."""
    return not_covered_outside_period(visit=visit, provider=provider)


def annual_cap(admdvs: str, *, params: Params, member: MemberFacts, signup: SignupFacts | None,
               year: int) -> Decimal | None:
    """The ordinary annual cap in force for the member in ``year`` (None: no per-person cap).

    ``params`` is the set in force in that year (e.g. on the day asked about); ``member.person_type``
    the type on that day."""
    return region_module(admdvs).annual_cap(params, member=member, signup=signup, year=year)


def year_to_date(admdvs: str, *, params: Params, member: MemberFacts, signup: SignupFacts | None,
                 ytd: YearToDate) -> YearToDateView:
    """A member's year-to-date for display: deductible per bucket, fund paid, cap and cap left, sub-caps."""
    return region_module(admdvs).year_to_date(params, member=member, signup=signup, ytd=ytd)


def caps_reached(admdvs: str, *, params: Params, member: MemberFacts, signup: SignupFacts | None, year: int,
                 buckets: Mapping[str, Decimal]) -> tuple[bool, bool]:
    """(the ordinary annual cap reached, some sub-cap reached) by a year's buckets: what ``year_to_date``'s
    view answers as ``cap_left == 0`` and a sub-cap's ``left == 0`` (every region's view takes its cap
    left as max(0, cap - fund), adjudication.py ``year_to_date_view``; the sub-caps are the region's
    ``subcap_uses``, which its view shows), without building the view: a simulation asks this once per
    member and scenario, where the view's figures and dictionaries cost twice the answer
    (tests/rules/test_caps_reached.py compares the two in every region)."""
    module = region_module(admdvs)
    cap = module.annual_cap(params, member=member, signup=signup, year=year)
    at_cap = cap is not None and max(ZERO, cap - buckets.get(FUND, ZERO)) == 0
    # Only Ganzhou has sub-caps. Looked up in the module's namespace: getattr with a default on a
    # module without the name raises and catches an AttributeError: 0.85-2.0 µs against 0.10-0.15 (timeit), once
    # per member and scenario of a simulation.
    subcap_uses = vars(module).get("subcap_uses")
    if subcap_uses is None:
        return at_cap, False
    return at_cap, any(use.left == 0 for use in subcap_uses(params, buckets).values())


__all__ = [
    "REGIONS", "REASONS", "region_module", "adjudicate", "outside_policy_period", "annual_cap", "year_to_date",
    "caps_reached", "negate_deltas", "apply_deltas", "Decision", "Step", "MemberFacts", "ProviderFacts", "SignupFacts",
    "VisitFacts", "YearToDate", "YearToDateView", "Params",
]
