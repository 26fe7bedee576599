"""Properties of every region over random visit sequences with random reversals:
0 ≤ fund ≤ eligible and rounded to the fen; the year's fund never above the cap in force; sub-caps
and per-visit caps never exceeded; applying then negating deltas restores the buckets exactly;
the same inputs give the same decision; every reason is a documented code."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.rules import region_module
from policy.rules.common import REASONS, STATUSES, VisitFacts, YearToDate, apply_deltas, negate_deltas
from policy.rules.money import to_fen

from .support import SHANGHAI, D, member, params_on, provider, signup

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Region:
    admdvs: str
    providers: tuple
    benefits: tuple = ("ordinary",)
    years: tuple = (2024,)
    overrides: tuple = ()          # parameter values the sequence may set (name, value)


NY, ZB, GZ, NC, HY = "411300", "370300", "360700", "360100", "441600"
REGIONS = {
    NY: Region(NY, (provider("A1", "1", admdvs=NY), provider("A2", "2", admdvs=NY), provider("B2", "2", admdvs=NY),
                    provider("A3", "3", admdvs=NY), provider("X3", "3", admdvs="110100"))),
    ZB: Region(ZB, (provider("Z1", "1", admdvs=ZB), provider("Z2", "2", admdvs=ZB), provider("Z3", "3", admdvs=ZB)),
               years=(2023, 2024)),
    GZ: Region(GZ, (provider("G1", "1", admdvs=GZ), provider("G2", "2", admdvs=GZ), provider("G3", "3", admdvs=GZ)),
               benefits=("ordinary", "tcm", "hypertension", "diabetes", "special_item"),
               overrides=(("special_item_ratio", "0.85"),)),
    NC: Region(NC, (provider("T1", "1", kind="township", admdvs=NC),
                    provider("V1", "1", kind="village", admdvs=NC, parent_code="T1"),
                    provider("T2", "1", kind="township", admdvs=NC),
                    provider("TCM", "2", kind="county_tcm", admdvs=NC),
                    provider("AWAY", "1", kind="community", admdvs="440300")),
               overrides=(("resettled_annual_cap", "300"),)),
    HY: Region(HY, (provider("H1", "1", kind="township", admdvs=HY),
                    provider("HV", "1", kind="village", admdvs=HY, parent_code="H1"),
                    provider("H2", "2", admdvs=HY), provider("H3", "3", admdvs=HY),
                    provider("OUT", "3", admdvs="440100"))),
}


def visits(region: Region):
    return st.fixed_dictionaries({
        "provider": st.sampled_from(region.providers),
        # mostly close together (24-hour windows, caps within weeks), sometimes anywhere in the year
        "hours": st.one_of(st.integers(0, 24 * 20), st.integers(0, 24 * 364)),
        "cents": st.one_of(st.integers(0, 30000), st.integers(0, 300000)),
        "benefit": st.sampled_from(region.benefits),
        "emergency": st.booleans(), "referral": st.booleans(),
        "out_of_area": st.sampled_from(("none", "none", "long_term", "temporary")),
        "channel": st.sampled_from(("direct", "direct", "manual")),
        "exclusion": st.one_of(st.none(), st.none(), st.none(), st.sampled_from(("inpatient", "work_injury"))),
        "reverse": st.one_of(st.none(), st.none(), st.none(), st.integers(0, 1000)),
    })


def scenario(region: Region):
    return st.fixed_dictionaries({
        "year": st.sampled_from(region.years),
        "retire_after_hours": st.one_of(st.none(), st.integers(0, 24 * 364)),
        "poverty": st.booleans(), "resettled": st.booleans(), "family_doctor": st.booleans(),
        "selected": st.sampled_from([p for p in region.providers if p.kind != "village"]),
        "first_month": st.integers(1, 12),
        "set_overrides": st.booleans(),
        "visits": st.lists(visits(region), min_size=1, max_size=20),
    })


def run_and_check(region: Region, plan: dict) -> None:
    module = region_module(region.admdvs)
    year = plan["year"]
    start = datetime(year, 1, 1, 8, 0, tzinfo=SHANGHAI)
    overrides = dict(region.overrides) if plan["set_overrides"] else {}
    params = params_on(region.admdvs, date(year, 6, 1), **overrides)
    chosen = None
    if module.HAS_SIGNUP:
        chosen = signup(plan["selected"], family_doctor=plan["family_doctor"],
                        first_effective_on=date(year, plan["first_month"], 1))
    buckets: dict = {}
    live: list = []                    # deltas of decisions not yet reversed
    # visits arrive in time order (a backdated claim is checked by "never pushes the year past its cap")
    for planned in sorted(plan["visits"], key=lambda v: v["hours"]):
        if planned["reverse"] is not None and live:
            deltas = live.pop(planned["reverse"] % len(live))
            buckets = apply_deltas(buckets, negate_deltas(deltas))
            assert all(amount > 0 for amount in buckets.values())
        when = min(start + timedelta(hours=planned["hours"]), datetime(year, 12, 31, 23, tzinfo=SHANGHAI))
        retired = plan["retire_after_hours"] is not None and planned["hours"] >= plan["retire_after_hours"]
        facts = member("retired" if retired else "employed", poverty=plan["poverty"],
                       resettled_on=date(year - 1, 3, 1) if plan["resettled"] else None)
        amount = Decimal(planned["cents"]) / 100
        visit = VisitFacts(visit_at=when, eligible=amount, total=amount, benefit=planned["benefit"],
                           emergency=planned["emergency"], referral=planned["referral"],
                           out_of_area=planned["out_of_area"], channel=planned["channel"],
                           exclusion=planned["exclusion"])
        ytd = YearToDate(year, dict(buckets))
        kwargs = dict(params=params, member=facts, provider=planned["provider"], signup=chosen, visit=visit, ytd=ytd)
        decision = module.adjudicate(**kwargs)
        # same inputs → same decision
        assert module.adjudicate(**kwargs) == decision
        check_decision(region, params, decision, visit, buckets)
        if decision.annual_cap is not None:
            fund_before = buckets.get("fund", 0)
            assert fund_before + decision.deltas.get("fund", 0) <= max(fund_before, decision.annual_cap)
        buckets = apply_deltas(buckets, decision.deltas)
        check_buckets(region, params, decision, buckets, facts)
        live.append(decision.deltas)
    # reversing everything that is left brings the year back to nothing, exactly
    for deltas in reversed(live):
        buckets = apply_deltas(buckets, negate_deltas(deltas))
    assert buckets == {}


def check_decision(region, params, decision, visit, before) -> None:
    assert decision.status in STATUSES
    assert decision.reason is None if decision.status == "settled" else decision.reason in REASONS
    assert 0 <= decision.fund_pay <= visit.eligible and decision.fund_pay == to_fen(decision.fund_pay)
    assert 0 <= decision.deductible <= visit.eligible and decision.deductible == to_fen(decision.deductible)
    if decision.status != "settled":
        assert (decision.fund_pay, decision.deductible, decision.ratio, dict(decision.deltas)) == (0, 0, 0, {})
    if region.admdvs == HY:
        assert decision.fund_pay <= D("150")
    if region.admdvs == NC and decision.status == "settled" and decision.annual_cap is not None \
            and visit.out_of_area == "long_term":
        # a resettled visit never takes the year past the resettled cap
        assert before.get("fund", 0) + decision.fund_pay <= max(before.get("fund", 0), decision.annual_cap)


def check_buckets(region, params, decision, buckets, facts) -> None:
    fund = buckets.get("fund", 0)
    if region.admdvs in (NY, ZB, GZ, HY):
        assert fund <= decision.annual_cap          # caps only grow within a sequence (retirement)
    if region.admdvs == GZ:
        for disease, cap in params.get("two_disease_subcap").items():
            assert buckets.get(f"subcap:{disease}", 0) <= cap
    if region.admdvs == NY:
        standards = params.get("deductible_per_visit")
        levels = {p.code: p.level for p in REGIONS[NY].providers}
        for name, charged in buckets.items():
            if name.startswith("window:"):
                assert charged <= standards[levels[name.split(":")[1]]]
    if region.admdvs == ZB:
        for level, standard in params.get("deductible_annual").items():
            assert buckets.get(f"deductible:{level}", 0) <= standard


@PROPERTY_SETTINGS
@given(st.data())
def test_nanyang_properties(data):
    run_and_check(REGIONS[NY], data.draw(scenario(REGIONS[NY])))


@PROPERTY_SETTINGS
@given(st.data())
def test_zibo_properties(data):
    run_and_check(REGIONS[ZB], data.draw(scenario(REGIONS[ZB])))


@PROPERTY_SETTINGS
@given(st.data())
def test_ganzhou_properties(data):
    run_and_check(REGIONS[GZ], data.draw(scenario(REGIONS[GZ])))


@PROPERTY_SETTINGS
@given(st.data())
def test_nanchang_properties(data):
    run_and_check(REGIONS[NC], data.draw(scenario(REGIONS[NC])))


@PROPERTY_SETTINGS
@given(st.data())
def test_heyuan_properties(data):
    run_and_check(REGIONS[HY], data.draw(scenario(REGIONS[HY])))
