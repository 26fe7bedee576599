"""Rules every region shares (RULES.md "In every region") and the public helpers of policy.rules."""
from datetime import date
from decimal import Decimal

import pytest

from policy import rules
from policy.rules.common import EXCLUSION_REASONS, EXCLUSIONS, REASONS, YearToDate, apply_deltas, negate_deltas

from .support import D, member, params_on, provider, signup, visit

REGION_CODES = ["411300", "370300", "360700", "360100", "441600"]


def covered_setup(admdvs: str, **provider_changes):
    """A level-1 centre the member may use in the region (signed/selected where the region asks)."""
    centre = provider("C1", "1", kind="township", admdvs=admdvs, **provider_changes)
    chosen = signup(provider("C1", "1", kind="township", admdvs=admdvs)) if admdvs in ("360100", "441600") else None
    return centre, chosen


def decide(admdvs, *, provider_, signup_, visit_, member_=None, **overrides):
    return rules.adjudicate(admdvs, params=params_on(admdvs, visit_.day, **overrides), member=member_ or member(),
                            provider=provider_, signup=signup_, visit=visit_, ytd=YearToDate(visit_.day.year))


@pytest.mark.parametrize("admdvs", REGION_CODES)
def test_the_baseline_visit_is_covered(admdvs):
    # given a member at a provider the region pays for
    centre, chosen = covered_setup(admdvs)
    # when a plain visit is adjudicated
    decision = decide(admdvs, provider_=centre, signup_=chosen, visit_=visit("2024-03-01T10:00", "10.00"))
    # then it is settled (so the refusals below are caused by the one fact each test changes)
    assert decision.status == "settled" and decision.ratio > 0


@pytest.mark.parametrize("admdvs", REGION_CODES)
@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_every_exclusion_fact_takes_the_visit_out_in_every_region(admdvs, exclusion):
    # given a covered setting, when the visit carries an exclusion fact
    centre, chosen = covered_setup(admdvs)
    decision = decide(admdvs, provider_=centre, signup_=chosen,
                      visit_=visit("2024-03-01T10:00", "100.00", exclusion=exclusion))
    # then it is not covered, with the fact's reason, paying and accumulating nothing
    assert (decision.status, decision.reason) == ("not_covered", EXCLUSION_REASONS[exclusion])
    assert decision.fund_pay == Decimal("0.00") and decision.deductible == 0 and decision.ratio == 0
    assert decision.deltas == {}


@pytest.mark.parametrize("admdvs", REGION_CODES)
@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_a_provider_not_active_is_not_paid(admdvs, status):
    centre, chosen = covered_setup(admdvs, status=status)
    decision = decide(admdvs, provider_=centre, signup_=chosen, visit_=visit("2024-03-01T10:00", "100.00"))
    assert (decision.status, decision.reason, decision.fund_pay) == ("not_covered", "provider_inactive", 0)


@pytest.mark.parametrize("admdvs", REGION_CODES)
def test_a_pharmacy_is_not_paid_by_outpatient_pooling(admdvs):
    pharmacy = provider("P1", "1", kind="pharmacy", admdvs=admdvs)
    _, chosen = covered_setup(admdvs)
    decision = decide(admdvs, provider_=pharmacy, signup_=chosen, visit_=visit("2024-03-01T10:00", "100.00"))
    assert (decision.status, decision.reason) == ("not_covered", "pharmacy_not_covered")


@pytest.mark.parametrize("admdvs", REGION_CODES)
def test_visits_before_enrolment_and_after_leaving_are_not_covered(admdvs):
    centre, chosen = covered_setup(admdvs)
    # given a member enrolled on 2024-03-01 who left on 2024-06-30 (the last insured day)
    insured = member(enrolled_on=date(2024, 3, 1), left_on=date(2024, 6, 30))
    outcome = {when: decide(admdvs, provider_=centre, signup_=chosen, member_=insured,
                            visit_=visit(when, "10.00")) for when in
               ["2024-02-29T10:00", "2024-03-01T10:00", "2024-06-30T10:00", "2024-07-01T10:00"]}
    # then the day before enrolment and the day after leaving are refused, both ends are covered
    assert outcome["2024-02-29T10:00"].reason == "not_enrolled"
    assert outcome["2024-03-01T10:00"].status == "settled"
    assert outcome["2024-06-30T10:00"].status == "settled"
    assert outcome["2024-07-01T10:00"].reason == "left_scheme"


def test_outside_policy_period_is_a_not_covered_decision_charged_to_the_centre():
    # given a village clinic and a visit on a day with no parameter set in force
    clinic = provider("V1", "1", kind="village", admdvs="360700", parent_code="C1")
    decision = rules.outside_policy_period(visit=visit("2025-02-01T10:00", "80.00"), provider=clinic)
    assert (decision.status, decision.reason, decision.fund_pay) == ("not_covered", "outside_policy_period", 0)
    assert decision.charged_provider_code == "C1" and decision.deltas == {} and decision.steps


def test_every_reason_code_is_documented():
    for code in list(EXCLUSION_REASONS.values()) + ["manual_out_of_area", "not_signed_provider",
                                                    "ratio_not_configured", "provider_inactive",
                                                    "outside_policy_period", "chronic_benefit"]:
        assert code in REASONS


def test_unknown_region_is_refused():
    with pytest.raises(KeyError):
        rules.adjudicate("999999", params=None, member=member(), provider=provider("X"), signup=None,
                         visit=visit("2024-01-01T10:00", "1"), ytd=YearToDate(2024))


def test_negated_deltas_restore_the_buckets_exactly():
    before = {"fund": D("93.50"), "deductible:2": D("500.00")}
    deltas = {"fund": D("120.00"), "deductible:2": D("200.00"), "subcap:diabetes": D("0.01")}
    assert apply_deltas(apply_deltas(before, deltas), negate_deltas(deltas)) == before


def test_annual_cap_in_force_for_each_region():
    employed, retired = member("employed"), member("retired")
    day = date(2024, 6, 1)
    assert rules.annual_cap("411300", params=params_on("411300", day), member=employed, signup=None,
                            year=2024) == D("1500")
    assert rules.annual_cap("411300", params=params_on("411300", day), member=retired, signup=None,
                            year=2024) == D("2000")
    assert rules.annual_cap("370300", params=params_on("370300", date(2023, 6, 1)), member=employed, signup=None,
                            year=2023) == D("3000")
    assert rules.annual_cap("370300", params=params_on("370300", day), member=employed, signup=None,
                            year=2024) == D("4000")
    assert rules.annual_cap("360700", params=params_on("360700", day), member=retired, signup=None,
                            year=2024) == D("2000")
    assert rules.annual_cap("360100", params=params_on("360100", day), member=employed, signup=None,
                            year=2024) is None
    # Heyuan: first selected in April 2024 → 1800 ÷ 12 × 9 = 1350.00; the next year the full 1800
    april = signup(provider("H", "2", admdvs="441600"), first_effective_on=date(2024, 4, 10))
    assert rules.annual_cap("441600", params=params_on("441600", day), member=employed, signup=april,
                            year=2024) == D("1350.00")
    assert rules.annual_cap("441600", params=params_on("441600", date(2025, 6, 1)), member=employed, signup=april,
                            year=2025) == D("1800.00")


def test_year_to_date_view_shows_buckets_cap_left_and_subcaps():
    # given a Ganzhou retired member with 600 deductible, 1900 fund (450 of it hypertension), 80 special
    ytd = YearToDate(2024, {"deductible": D("600"), "fund": D("1900"), "subcap:hypertension": D("450"),
                            "special": D("80")})
    view = rules.year_to_date("360700", params=params_on("360700", date(2024, 6, 1)), member=member("retired"),
                              signup=None, ytd=ytd)
    assert view.deductible_paid == {"shared": D("600")}
    assert (view.fund_paid, view.annual_cap, view.cap_left) == (D("1900"), D("2000"), D("100"))
    assert (view.subcaps["hypertension"].left, view.subcaps["diabetes"].left) == (D("50"), D("600"))
    assert view.other_paid == {"special": D("80")}
    # and a Zibo member sees one deductible per level; a Nanyang member the year's per-visit deductibles
    zibo = rules.year_to_date("370300", params=params_on("370300", date(2024, 6, 1)), member=member(), signup=None,
                              ytd=YearToDate(2024, {"deductible:2": D("500"), "fund": D("4100")}))
    assert zibo.deductible_paid == {"1": 0, "2": D("500"), "3": 0} and zibo.cap_left == 0
    nanyang = rules.year_to_date("411300", params=params_on("411300", date(2024, 6, 1)), member=member(),
                                 signup=None, ytd=YearToDate(2024, {"window:A:2024-01-01T10:00:00+08:00": D("30"),
                                                                    "window:B:2024-02-01T10:00:00+08:00": D("50")}))
    assert nanyang.deductible_paid == {"per_visit": D("80")} and nanyang.cap_left == D("1500")
