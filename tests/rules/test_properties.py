"""Properties of every region over random visit sequences with random reversals:
0 ≤ fund ≤ eligible and rounded to the fen; the year's fund never above the cap in force; sub-caps
and per-visit caps never exceeded; applying then negating deltas restores the buckets exactly;
the same inputs give the same decision; every reason is a documented code.

Out of area (RULES.md "Out-of-area care"): each sequence has random registrations (the kinds the
region registers, random destinations and periods, never overlapping) and visits anywhere, in the
region and in three other cities; ``out_of_area`` is derived as the claims engine derives it. No
visit at an out-of-area provider is paid without a registration where RULES.md requires one
(Nanyang, Ganzhou, Nanchang; Heyuan only emergencies), and a Nanchang resettled member's year never
passes the age-group standard in a year the resettled benefit is in force."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.rules import region_module
from policy.rules.common import (REASONS, STATUSES, RegistrationFacts, VisitFacts, YearToDate, apply_deltas,
                                 negate_deltas)
from policy.rules.money import to_fen
from policy.rules.out_of_area import PRIMARY_KINDS, out_of_area_derive, registered_kinds, registration_on

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
CITIES = ("440100", "440300", "110100")
# Out-of-area providers of every region's sequences: primary and hospital, in three other cities.
AWAY = (provider("GZC", "1", kind="community", admdvs="440100"), provider("GZH", "3", admdvs="440100"),
        provider("SZT", "1", kind="township", admdvs="440300"), provider("BJH", "2", admdvs="110100"))
REGIONS = {
    NY: Region(NY, (provider("A1", "1", admdvs=NY), provider("A2", "2", admdvs=NY), provider("B2", "2", admdvs=NY),
                    provider("A3", "3", admdvs=NY)) + AWAY),
    ZB: Region(ZB, (provider("Z1", "1", admdvs=ZB), provider("Z2", "2", admdvs=ZB), provider("Z3", "3", admdvs=ZB))
               + AWAY, years=(2023, 2024)),
    GZ: Region(GZ, (provider("G1", "1", admdvs=GZ), provider("G2", "2", admdvs=GZ), provider("G3", "3", admdvs=GZ))
               + AWAY, benefits=("ordinary", "tcm", "hypertension", "diabetes", "special_item"),
               overrides=(("special_item_ratio", "0.85"),)),
    NC: Region(NC, (provider("T1", "1", kind="township", admdvs=NC),
                    provider("V1", "1", kind="village", admdvs=NC, parent_code="T1"),
                    provider("T2", "1", kind="township", admdvs=NC),
                    provider("TCM", "2", kind="county_tcm", admdvs=NC)) + AWAY),
    HY: Region(HY, (provider("H1", "1", kind="township", admdvs=HY),
                    provider("HV", "1", kind="village", admdvs=HY, parent_code="H1"),
                    provider("H2", "2", admdvs=HY), provider("H3", "3", admdvs=HY)) + AWAY),
}
# RULES.md "Nanchang" age groups, written out again here (not read from the code under test).
NANCHANG_STANDARDS = ((range(0, 1), 37), (range(14, 26), 37), (range(1, 2), 70), (range(10, 14), 70),
                      (range(26, 33), 70), (range(90, 200), 70), (range(2, 3), 141), (range(7, 10), 141),
                      (range(33, 53), 141), (range(88, 90), 141), (range(6, 7), 181), (range(53, 65), 181),
                      (range(81, 82), 181), (range(83, 88), 181), (range(3, 6), 226), (range(65, 81), 226),
                      (range(82, 83), 226))


def nanchang_standard(age: int) -> Decimal:
    return Decimal(next(standard for ages, standard in NANCHANG_STANDARDS if age in ages))


def registrations(region: Region):
    return st.lists(st.fixed_dictionaries({
        "kind": st.sampled_from(registered_kinds(region.admdvs)), "dest": st.sampled_from(CITIES),
        "start_day": st.integers(-500, 330), "length": st.one_of(st.none(), st.integers(0, 300)),
        "cancelled": st.booleans(),
    }), max_size=3)


def registration_history(planned: list[dict], year: int) -> tuple[RegistrationFacts, ...]:
    """Non-overlapping registrations from the plan (later ones that would overlap are dropped, as
    the registration service refuses them); a temporary one always has an end."""
    history: list[RegistrationFacts] = []
    for item in sorted(planned, key=lambda r: r["start_day"]):
        start = date(year, 1, 1) + timedelta(days=item["start_day"])
        length = item["length"] if item["length"] is not None or item["kind"] != "temporary" else 30
        end = None if length is None else start + timedelta(days=length)
        if history and (history[-1].end_on is None or history[-1].end_on >= start):
            continue
        cancelled = end if item["cancelled"] and end is not None else None
        history.append(RegistrationFacts(kind=item["kind"], dest_admdvs=item["dest"], start_on=start, end_on=end,
                                         cancelled_on=cancelled, id=len(history) + 1))
    return tuple(history)


def visits(region: Region):
    return st.fixed_dictionaries({
        "provider": st.sampled_from(region.providers),
        # mostly close together (24-hour windows, caps within weeks), sometimes anywhere in the year
        "hours": st.one_of(st.integers(0, 24 * 20), st.integers(0, 24 * 364)),
        "cents": st.one_of(st.integers(0, 30000), st.integers(0, 300000)),
        "benefit": st.sampled_from(region.benefits),
        "emergency": st.booleans(), "referral": st.booleans(),
        "channel": st.sampled_from(("direct", "direct", "manual")),
        "exclusion": st.one_of(st.none(), st.none(), st.none(), st.sampled_from(("inpatient", "work_injury"))),
        "reverse": st.one_of(st.none(), st.none(), st.none(), st.integers(0, 1000)),
    })


def scenario(region: Region):
    return st.fixed_dictionaries({
        "year": st.sampled_from(region.years),
        "retire_after_hours": st.one_of(st.none(), st.integers(0, 24 * 364)),
        "poverty": st.booleans(), "family_doctor": st.booleans(), "birth_year": st.integers(1925, 2023),
        "registrations": registrations(region),
        # a selection out of the city only in Heyuan (第十六条; the sign-up service refuses it elsewhere)
        "selected": st.sampled_from([p for p in region.providers if p.kind != "village"
                                     and (p.admdvs == region.admdvs or region.admdvs == HY)]),
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
    history = registration_history(plan["registrations"], year)
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
        facts = member("retired" if retired else "employed", poverty=plan["poverty"], registrations=history,
                       birth_date=date(plan["birth_year"], 6, 1))
        amount = Decimal(planned["cents"]) / 100
        out_of_area, used = out_of_area_derive(member_admdvs=region.admdvs, provider_admdvs=planned["provider"].admdvs,
                                               in_force=registration_on(history, when.date()))
        visit = VisitFacts(visit_at=when, eligible=amount, total=amount, benefit=planned["benefit"],
                           emergency=planned["emergency"], referral=planned["referral"],
                           out_of_area=out_of_area, channel=planned["channel"],
                           exclusion=planned["exclusion"], registration=used)
        ytd = YearToDate(year, dict(buckets))
        kwargs = dict(params=params, member=facts, provider=planned["provider"], signup=chosen, visit=visit, ytd=ytd)
        decision = module.adjudicate(**kwargs)
        # same inputs → same decision
        assert module.adjudicate(**kwargs) == decision
        check_decision(region, params, decision, visit, buckets)
        check_out_of_area(region, decision, visit, planned["provider"])
        if decision.annual_cap is not None:
            fund_before = buckets.get("fund", 0)
            assert fund_before + decision.deltas.get("fund", 0) <= max(fund_before, decision.annual_cap)
        buckets = apply_deltas(buckets, decision.deltas)
        check_buckets(region, params, decision, buckets, facts)
        check_nanchang_resettled_cap(region, buckets, history, year=year, birth_year=plan["birth_year"])
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


def check_out_of_area(region, decision, visit, treating) -> None:
    """No visit at an out-of-area provider is paid without a registration where RULES.md requires one."""
    if decision.status != "settled" or treating.admdvs == region.admdvs:
        return
    if region.admdvs in (NY, GZ, NC):
        assert visit.out_of_area != "unregistered" and visit.registration is not None
        assert visit.registration.in_force_on(visit.day) and visit.registration.dest_admdvs == treating.admdvs
    if region.admdvs == NY:
        assert visit.channel == "direct"                     # 第十五条: direct settlement only
    if region.admdvs == NC:                                  # 第三十一条: resettled, next year, primary level
        assert visit.registration.kind == "resettled" and visit.day.year > visit.registration.start_on.year
        assert treating.kind in PRIMARY_KINDS
    if region.admdvs == HY and visit.out_of_area == "unregistered":
        assert visit.emergency                               # unregistered: only emergency


def check_nanchang_resettled_cap(region, buckets, history, *, year: int, birth_year: int) -> None:
    """In a year the resettled benefit is in force for any part of (1 January after the start …
    the end), the year's fund never passes the member's age-group standard (age = year − birth year)."""
    if region.admdvs != NC:
        return
    if any(r.kind == "resettled" and r.start_on.year < year and (r.end_on is None or r.end_on.year >= year)
           for r in history):
        assert buckets.get("fund", 0) <= nanchang_standard(year - birth_year)


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
