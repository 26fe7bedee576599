"""Ganzhou 赣州 (RULES.md "Ganzhou"), checked from outside through the REST API; figures by hand."""
import pytest

from tests.contract.world import GANZHOU, paid

pytestmark = pytest.mark.django_db


def test_sub_caps_and_the_ordinary_cap_bind_mid_visit_and_a_reversal_restores_both(world):
    # given an employed member at an L1 clinic (60%, ordinary cap 1 800; sub-caps 500 / 600 inside it)
    w = world(GANZHOU)
    member, clinic = w.member(), w.provider(level="1")
    h1 = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "800.00", benefit="hypertension")
    h2 = w.claim(member, clinic, "2024-03-02T10:00:00+08:00", "100.00", benefit="hypertension")
    d1 = w.claim(member, clinic, "2024-03-03T10:00:00+08:00", "1000.00", benefit="diabetes")
    o1 = w.claim(member, clinic, "2024-03-04T10:00:00+08:00", "2000.00")
    # then hypertension 800 × 0.6 = 480; then 60 cut to 500 − 480 = 20; diabetes 600 (exactly its
    # sub-cap); ordinary (2 000 − 600) × 0.6 = 840 cut to 1 800 − 1 100 = 700; no deductible on 两病
    assert paid(h1) == ("0.00", "0.6000", "480.00", None)
    assert paid(h2) == ("0.00", "0.6000", "20.00", None)
    assert paid(d1) == ("0.00", "0.6000", "600.00", None)
    assert paid(o1) == ("600.00", "0.6000", "700.00", None)
    assert w.accumulators(member, 2024)["cap_left"] == "0.00"
    # when the 480 hypertension claim is reversed
    w.reverse(h1["setl_id"])
    # then 480 is free in the ordinary cap and the hypertension sub-cap has 480 left:
    # a 1 000 hypertension visit: 600 → min(480 sub-cap left, 480 cap left) = 480
    again = w.claim(member, clinic, "2024-03-05T10:00:00+08:00", "1000.00", benefit="hypertension")
    assert again["hifp_pay"] == "480.00"


def test_tcm_after_a_partial_ordinary_deductible(world):
    # given 200 of the shared deductible paid by an ordinary visit at an L2 hospital
    w = world(GANZHOU)
    member, hospital = w.member(), w.provider(level="2")
    w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "200.00")
    # when a TCM visit of 300 then an ordinary visit of 500
    tcm = w.claim(member, hospital, "2024-03-02T10:00:00+08:00", "300.00", benefit="tcm")
    ordinary = w.claim(member, hospital, "2024-03-03T10:00:00+08:00", "500.00")
    # then TCM owes max(0, 300 − 200) = 100, at 55 + 5 = 60%: 200 × 0.6 = 120;
    # ordinary owes 600 − 300 = 300: 200 × 0.55 = 110 (Reading: one shared accumulator)
    assert paid(tcm) == ("100.00", "0.6000", "120.00", None)
    assert paid(ordinary) == ("300.00", "0.5500", "110.00", None)


def test_special_item_without_its_ratio_is_held_for_review_not_guessed(world):
    w = world(GANZHOU)
    member, hospital = w.member(), w.provider(level="3")
    claim = w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "400.00", benefit="special_item")
    # then pending_review, ratio_not_configured, nothing paid (RULES.md "Ganzhou", 7 special items)
    assert (claim["status"], claim["reason"], claim["hifp_pay"]) == ("pending_review", "ratio_not_configured",
                                                                     "0.00")


@pytest.mark.parametrize("visit_at, covered", [
    ("2024-12-31T23:59:00+08:00", True), ("2024-12-31T16:00:00Z", False), ("2022-12-31T10:00:00+08:00", False)])
def test_policy_period_2023_and_2024_only(world, visit_at, covered):
    w = world(GANZHOU)
    member, clinic = w.member(), w.provider(level="1")
    claim = w.claim(member, clinic, visit_at, "1000.00")
    # inside: (1 000 − 600) × 0.6 = 240.00
    assert (claim["status"], claim["hifp_pay"]) == (("settled", "240.00") if covered else ("not_covered", "0.00"))


def test_a_member_certified_for_hypertension_gets_no_two_disease_benefit_for_it_only(world):
    # given a member certified for the chronic-disease benefit for hypertension (PATCHed through the API)
    w = world(GANZHOU)
    member, clinic = w.member(), w.provider(level="1")
    patch = w.client.patch(f"/api/v1/members/{GANZHOU}/{member}/", {"chronic_diseases": ["hypertension"]},
                           format="json")
    assert patch.status_code == 200, patch.json()
    # then a hypertension visit is not covered here (reason chronic_benefit, RULES.md "Ganzhou"),
    # while diabetes drugs are: 100 × 0.6 = 60
    hypertension = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", benefit="hypertension")
    diabetes = w.claim(member, clinic, "2024-03-01T11:00:00+08:00", "100.00", benefit="diabetes")
    assert (hypertension["status"], hypertension["reason"], hypertension["hifp_pay"]) == (
        "not_covered", "chronic_benefit", "0.00")
    assert paid(diabetes) == ("0.00", "0.6000", "60.00", None)


def test_a_certification_typed_in_upper_case_in_the_admin_still_takes_its_visits_out(world):
    # given a certification stored as staff typed it in the admin's JSON field (not through the API)
    from members.models import Member

    w = world(GANZHOU)
    member, clinic = w.member(), w.provider(level="1")
    Member.objects.filter(certno=member).update(chronic_diseases=["HYPERTENSION"])
    # then the claims still see it (codes compared in the claims' lower case)
    hypertension = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", benefit="hypertension")
    assert (hypertension["status"], hypertension["reason"]) == ("not_covered", "chronic_benefit")


def test_retired_cap_2000_counts_what_was_paid_while_employed(world):
    # given a retirement processed 2024-05-20 (retired from 1 June) at an L1 clinic
    w = world(GANZHOU)
    member, clinic = w.member(psn_type="1201", retired_on="2024-05-20"), w.provider(level="1")
    # when (4 000 − 600) × 0.6 = 2 040 → employed cap 1 800 in May; in June 1 000 × 0.65 = 650
    may = w.claim(member, clinic, "2024-05-02T10:00:00+08:00", "4000.00")
    june = w.claim(member, clinic, "2024-06-02T10:00:00+08:00", "1000.00")
    # then the June visit gets what is left of the retired 2 000: 200 (one year-to-date fund figure)
    assert paid(may) == ("600.00", "0.6000", "1800.00", None)
    assert paid(june) == ("0.00", "0.6500", "200.00", None)


def test_two_disease_drugs_take_the_ordinary_ratio_with_the_retired_bonus(world):
    # given a member retired since 2020 at an L2 hospital: ordinary ratio 55% + 5 = 60% (RULES.md table)
    w = world(GANZHOU)
    member, hospital = w.member(psn_type="1201", retired_on="2020-03-10"), w.provider(level="2")
    # then diabetes drugs, no deductible: 100.10 × 0.60 = 60.06; the retired cap is 2 000
    assert paid(w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "100.10", benefit="diabetes")) == (
        "0.00", "0.6000", "60.06", None)
    assert w.accumulators(member, 2024)["annual_cap"] == "2000.00"
