"""Reversals 撤销, the retirement switch on its exact date, the year boundary, deductibles and caps
crossed within a visit, half-up rounding and the "Common terms" of RULES.md, checked from outside
through the REST API in every region; every figure by hand."""
import pytest

from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, paid

pytestmark = pytest.mark.django_db


# --- reversals: every accumulator back, and a re-settlement after it ------------------------------

def test_nanyang_reversing_the_visit_that_charged_the_deductible_frees_the_24_hour_window(world):
    # given an L3 hospital (deductible 50 per 24 hours at one provider, employed 50%: RULES.md "Nanyang")
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="3")
    first = w.claim(member, hospital, "2024-03-01T09:00:00+08:00", "100.00")
    second = w.claim(member, hospital, "2024-03-01T15:00:00+08:00", "100.00")
    # then the first owes 50: (100 − 50) × 0.5 = 25.00; the second, in the window, none: 100 × 0.5 = 50.00
    assert paid(first) == ("50.00", "0.5000", "25.00", None)
    assert paid(second) == ("0.00", "0.5000", "50.00", None)
    # when the first is reversed, the deductibles charged in the window add up to 0 again (撤销: "the
    # member's accumulators back to what they were without it"), so a third visit that day owes the
    # whole standard: (100 − 50) × 0.5 = 25.00; the second claim is not re-adjudicated
    w.reverse(first["setl_id"])
    third = w.claim(member, hospital, "2024-03-01T16:00:00+08:00", "100.00")
    assert paid(third) == ("50.00", "0.5000", "25.00", None)
    assert w.accumulators(member, 2024)["fund_paid"] == "75.00"        # 50 + 25 (25 reversed)


def test_nanyang_a_deductible_crossed_within_the_window_and_the_window_closing(world):
    # given an L3 hospital: 20 of the 50 paid by a small visit at 09:00
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="3")
    small = w.claim(member, hospital, "2024-04-01T09:00:00+08:00", "20.00")
    assert paid(small) == ("20.00", "0.5000", "0.00", None)
    # when a visit at 10:00 in the same window: it owes the 30 left, (100 − 30) × 0.5 = 35.00
    crossing = w.claim(member, hospital, "2024-04-01T10:00:00+08:00", "100.00")
    assert paid(crossing) == ("30.00", "0.5000", "35.00", None)
    # and once it is reversed, a visit at 11:00 owes those 30 again: 35.00 (re-settlement)
    w.reverse(crossing["setl_id"])
    assert paid(w.claim(member, hospital, "2024-04-01T11:00:00+08:00", "100.00")) == ("30.00", "0.5000", "35.00",
                                                                                     None)
    # then the window opened at 09:00 is closed at 09:01 next day: a new deductible of 50 → 25.00
    assert paid(w.claim(member, hospital, "2024-04-02T09:01:00+08:00", "100.00")) == ("50.00", "0.5000", "25.00",
                                                                                     None)


def test_zibo_reversal_restores_only_its_own_level_bucket(world):
    # given an employed member: L2 annual deductible 500 at 60%, L3 700 at 50% (2023; one bucket per level)
    w = world(ZIBO)
    member, l2, l3 = w.member(), w.provider(level="2"), w.provider(level="3")
    at_l2 = w.claim(member, l2, "2023-06-01T10:00:00+08:00", "600.00")
    at_l3 = w.claim(member, l3, "2023-06-02T10:00:00+08:00", "800.00")
    # then (600 − 500) × 0.6 = 60.00 and (800 − 700) × 0.5 = 50.00
    assert paid(at_l2) == ("500.00", "0.6000", "60.00", None)
    assert paid(at_l3) == ("700.00", "0.5000", "50.00", None)
    # when the L2 claim is reversed: the L2 bucket is back to 0, L3 keeps its 700, the fund 50
    w.reverse(at_l2["setl_id"])
    ytd = w.accumulators(member, 2023)
    assert (ytd["deductible_paid"]["2"], ytd["deductible_paid"]["3"], ytd["fund_paid"]) == ("0.00", "700.00", "50.00")
    assert ytd["cap_left"] == "2950.00"                                 # 3 000 − 50
    # and a new L2 visit of 600 is settled as the reversed one was: 500, 60.00
    assert paid(w.claim(member, l2, "2023-06-03T10:00:00+08:00", "600.00")) == ("500.00", "0.6000", "60.00", None)


def test_heyuan_reversal_frees_the_prorated_annual_cap_under_the_per_visit_cap(world):
    # given a first selection of an L3 hospital on 2024-11-05: cap 1 800 ÷ 12 × 2 = 300 (RULES.md "Heyuan");
    # employed L3: 55%, per-visit cap 150
    w = world(HEYUAN)
    member, hospital = w.member(), w.provider(level="3")
    assert w.signup(member, hospital, applied_on="2024-11-05").status_code == 201
    a = w.claim(member, hospital, "2024-11-06T10:00:00+08:00", "400.00")
    b = w.claim(member, hospital, "2024-11-07T10:00:00+08:00", "400.00")
    c = w.claim(member, hospital, "2024-11-08T10:00:00+08:00", "400.00")
    # then 400 × 0.55 = 220 → per-visit 150, twice; the third finds the 300 used up
    assert [x["hifp_pay"] for x in (a, b, c)] == ["150.00", "150.00", "0.00"]
    assert w.accumulators(member, 2024)["annual_cap"] == "300.00"
    # when b is reversed, 150 is free again; 200 × 0.55 = 110.00 fits, 40 left
    w.reverse(b["setl_id"])
    assert w.claim(member, hospital, "2024-11-09T10:00:00+08:00", "200.00")["hifp_pay"] == "110.00"
    ytd = w.accumulators(member, 2024)
    assert (ytd["fund_paid"], ytd["cap_left"]) == ("260.00", "40.00")


def test_ganzhou_reversal_restores_the_shared_deductible_for_tcm_and_ordinary(world):
    # given an employed member at an L1 clinic: a TCM visit of 500 owes the TCM deductible 300,
    # (500 − 300) × (0.60 + 0.05) = 130.00
    w = world(GANZHOU)
    member, clinic = w.member(), w.provider(level="1")
    tcm = w.claim(member, clinic, "2024-05-01T10:00:00+08:00", "500.00", benefit="tcm")
    assert paid(tcm) == ("300.00", "0.6500", "130.00", None)
    # an ordinary visit then owes 600 − 300 = 300: (400 − 300) × 0.6 = 60.00
    ordinary = w.claim(member, clinic, "2024-05-02T10:00:00+08:00", "400.00")
    assert paid(ordinary) == ("300.00", "0.6000", "60.00", None)
    # when the TCM claim is reversed, 300 of the shared accumulator is left (the ordinary visit's)
    w.reverse(tcm["setl_id"])
    assert w.accumulators(member, 2024)["fund_paid"] == "60.00"
    # and a new TCM visit owes max(0, 300 − 300) = 0: 100 × 0.65 = 65.00
    assert paid(w.claim(member, clinic, "2024-05-03T10:00:00+08:00", "100.00", benefit="tcm")) == (
        "0.00", "0.6500", "65.00", None)


def test_a_reversal_of_a_reversal_or_a_second_reversal_changes_nothing(world):
    w = world(NANYANG)
    member, clinic = w.member(), w.provider(level="1")
    claim = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00")
    reversal = w.reverse(claim["setl_id"])
    assert reversal["reverses"] == claim["setl_id"] and reversal["hifp_pay"] == "-60.00"
    # a second reversal is a 409 (CONTRACT.md); reversing the reversal is refused too
    assert w.client.post(f"/api/v1/claims/{claim['setl_id']}/reverse/").status_code == 409
    assert w.client.post(f"/api/v1/claims/{reversal['setl_id']}/reverse/").status_code in (400, 409)
    assert w.accumulators(member, 2024)["fund_paid"] == "0.00"


# --- the retirement switch on its exact date -----------------------------------------------------

def test_nanyang_retirement_processed_on_31_december_switches_on_1_january(world):
    # given a retirement processed on 2024-12-31: retired from 2025-01-01 (RULES.md "Person type on a
    # date"); L2: employed 55%, retired 65%, deductible 30 (three hospitals: no shared 24-hour window)
    w = world(NANYANG)
    member = w.member(psn_type="1201", retired_on="2024-12-31")
    h1, h2, h3 = w.provider(level="2"), w.provider(level="2"), w.provider(level="2")
    day_of = w.claim(member, h1, "2024-12-31T10:00:00+08:00", "130.00")
    next_day = w.claim(member, h2, "2025-01-01T10:00:00+08:00", "130.00")
    day_after = w.claim(member, h3, "2025-01-02T10:00:00+08:00", "130.00")
    # then (130 − 30) × 0.55 = 55.00 on the processing day; (130 − 30) × 0.65 = 65.00 from 1 January
    assert paid(day_of) == ("30.00", "0.5500", "55.00", None)
    assert paid(next_day) == paid(day_after) == ("30.00", "0.6500", "65.00", None)
    # and each year has its own cap: employed 1 500 for 2024, retired 2 000 for 2025
    assert w.accumulators(member, 2024)["annual_cap"] == "1500.00"
    ytd = w.accumulators(member, 2025)
    assert (ytd["annual_cap"], ytd["fund_paid"], ytd["cap_left"]) == ("2000.00", "130.00", "1870.00")


def test_ganzhou_retirement_on_29_february_switches_on_1_march_for_tcm_too(world):
    # given a retirement processed on 2024-02-29 (leap day): retired from 2024-03-01; an L1 clinic
    w = world(GANZHOU)
    member, clinic = w.member(psn_type="1201", retired_on="2024-02-29"), w.provider(level="1")
    before = w.claim(member, clinic, "2024-02-29T10:00:00+08:00", "700.00")
    tcm = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", benefit="tcm")
    after = w.claim(member, clinic, "2024-03-02T10:00:00+08:00", "100.00")
    # then 29 Feb employed: (700 − 600) × 0.60 = 60.00; 1 Mar TCM retired: 0.60 + 0.05 + 0.05 = 70%,
    # deductible max(0, 300 − 600) = 0 → 70.00; 2 Mar ordinary retired 65% → 65.00
    assert paid(before) == ("600.00", "0.6000", "60.00", None)
    assert paid(tcm) == ("0.00", "0.7000", "70.00", None)
    assert paid(after) == ("0.00", "0.6500", "65.00", None)
    assert w.accumulators(member, 2024)["annual_cap"] == "2000.00"


def test_zibo_retirement_on_31_december_2023_meets_the_2024_retired_bonus_and_a_new_deductible(world):
    # given a retirement processed 2023-12-31: retired from 2024-01-01, when the +5 points also start
    # (RULES.md "Zibo"); an L1 clinic: annual deductible 50, 60% (retired 65% from 2024)
    w = world(ZIBO)
    member, clinic = w.member(psn_type="1201", retired_on="2023-12-31"), w.provider(level="1")
    day_of = w.claim(member, clinic, "2023-12-31T10:00:00+08:00", "150.00")
    next_day = w.claim(member, clinic, "2023-12-31T16:30:00Z", "150.00")          # 00:30 on 1 January 2024
    day_after = w.claim(member, clinic, "2024-01-02T10:00:00+08:00", "100.00")
    # then 2023: (150 − 50) × 0.60 = 60.00; 2024 opens a new deductible: (150 − 50) × 0.65 = 65.00;
    # then 100 × 0.65 = 65.00
    assert paid(day_of) == ("50.00", "0.6000", "60.00", None)
    assert paid(next_day) == ("50.00", "0.6500", "65.00", None)
    assert paid(day_after) == ("0.00", "0.6500", "65.00", None)


def test_a_retirement_recorded_later_by_patch_switches_from_the_next_month(world):
    # given an employed Heyuan member selecting an L1 clinic (70% employed, 75% retired, per-visit 60)
    w = world(HEYUAN)
    member, clinic = w.member(), w.provider(level="1")
    assert w.signup(member, clinic, applied_on="2024-01-02").status_code == 201
    # when the retirement processed on 2024-06-30 is recorded through PATCH (CONTRACT.md "Members")
    response = w.client.patch(f"/api/v1/members/{HEYUAN}/{member}/", {"psn_type": "1201", "retired_on": "2024-06-30"},
                              format="json")
    assert response.status_code == 200, response.json()
    # then 30 June is employed: 80 × 0.70 = 56.00; 1 July retired: 80 × 0.75 = 60.00 (= the per-visit cap)
    assert paid(w.claim(member, clinic, "2024-06-30T10:00:00+08:00", "80.00")) == ("0.00", "0.7000", "56.00", None)
    assert paid(w.claim(member, clinic, "2024-07-01T10:00:00+08:00", "80.00")) == ("0.00", "0.7500", "60.00", None)


# --- the year boundary ---------------------------------------------------------------------------

def test_ganzhou_deductible_and_cap_restart_at_shanghai_midnight_on_1_january(world):
    # given an L1 clinic: annual deductible 600, 60%, cap 1 800
    w = world(GANZHOU)
    member, clinic = w.member(), w.provider(level="1")
    late = w.claim(member, clinic, "2023-12-31T23:59:00+08:00", "3800.00")
    early = w.claim(member, clinic, "2023-12-31T16:00:00Z", "700.00")      # 00:00 on 1 January 2024 Shanghai
    # then 2023: (3 800 − 600) × 0.6 = 1 920 → cap 1 800; 2024: a new 600 and (700 − 600) × 0.6 = 60.00
    assert paid(late) == ("600.00", "0.6000", "1800.00", None)
    assert paid(early) == ("600.00", "0.6000", "60.00", None)
    ytd_2023, ytd_2024 = w.accumulators(member, 2023), w.accumulators(member, 2024)
    assert (ytd_2023["fund_paid"], ytd_2023["cap_left"]) == ("1800.00", "0.00")
    assert (ytd_2024["fund_paid"], ytd_2024["cap_left"]) == ("60.00", "1740.00")


def test_heyuan_a_mid_year_first_selection_is_prorated_that_year_only(world):
    # given a first selection on 2024-03-15: 1 800 ÷ 12 × 10 (March–December) = 1 500 for 2024
    w = world(HEYUAN)
    member, clinic = w.member(), w.provider(level="1")
    assert w.signup(member, clinic, applied_on="2024-03-15").status_code == 201
    w.claim(member, clinic, "2024-12-31T23:00:00+08:00", "50.00")            # 50 × 0.7 = 35.00
    w.claim(member, clinic, "2025-01-01T00:30:00+08:00", "50.00")
    # then 2025 has the full 1 800 (RULES.md "Heyuan": the first selection's year only is prorated)
    ytd_2024, ytd_2025 = w.accumulators(member, 2024), w.accumulators(member, 2025)
    assert (ytd_2024["annual_cap"], ytd_2024["cap_left"]) == ("1500.00", "1465.00")
    assert (ytd_2025["annual_cap"], ytd_2025["cap_left"]) == ("1800.00", "1765.00")


# --- rounding and the "Common terms" ----------------------------------------------------------------

def test_ganzhou_rounds_half_up_not_half_even(world):
    # given the shared deductible used up at an L2 hospital (600 → fund 0)
    w = world(GANZHOU)
    member, hospital = w.member(), w.provider(level="2")
    assert w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "600.00")["hifp_pay"] == "0.00"
    # when 100.30 at 55%: 55.165 → 55.17 half-up (half-even would give 55.16); share 100.30 − 55.17
    claim = w.claim(member, hospital, "2024-03-02T10:00:00+08:00", "100.30")
    assert (claim["hifp_pay"], claim["psn_part_amt"]) == ("55.17", "45.13")


def test_only_the_in_policy_amount_bears_the_deductible_and_the_ratio(world):
    # given an L1 Zibo clinic (deductible 50, 60%) and a visit of 300 of which 100 is fully self-paid,
    # 50 over-limit and 50 pre-self-paid: the eligible amount is the 100 in-policy (RULES.md "Common terms")
    w = world(ZIBO)
    member, clinic = w.member(), w.provider(level="1")
    claim = w.claim_response(member, clinic, "2023-03-01T10:00:00+08:00", "100.00", own="100.00",
                             overlmt_selfpay="50.00", preselfpay_amt="50.00", medfee_sumamt="300.00").json()
    # then (100 − 50) × 0.6 = 30.00; the member's share is 300 − 30 = 270.00
    assert paid(claim) == ("50.00", "0.6000", "30.00", None)
    assert claim["psn_part_amt"] == "270.00"


@pytest.mark.parametrize("admdvs", [ZIBO, GANZHOU])
def test_a_visit_that_is_not_covered_counts_toward_no_deductible_and_no_cap(world, admdvs):
    # given a work-injury visit (not covered: RULES.md "In every region") at an L1 clinic
    w = world(admdvs)
    member, clinic = w.member(), w.provider(level="1")
    injury = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "1000.00", exclusion="work_injury")
    assert (injury["status"], injury["reason"], injury["hifp_pay"]) == ("not_covered", "excluded_work_injury", "0.00")
    # then nothing of the deductible is used: the next visit owes the whole standard
    # (Zibo L1 50: (100 − 50) × 0.6 = 30.00; Ganzhou 600: (700 − 600) × 0.6 = 60.00)
    amount, expected = {ZIBO: ("100.00", ("50.00", "0.6000", "30.00", None)),
                        GANZHOU: ("700.00", ("600.00", "0.6000", "60.00", None))}[admdvs]
    assert paid(w.claim(member, clinic, "2024-03-02T10:00:00+08:00", amount)) == expected


def test_nanyang_an_excluded_visit_opens_no_24_hour_window(world):
    # given a third-party-liability visit at 09:00 at an L2 hospital (not covered, deductible 0)
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="2")
    excluded = w.claim(member, hospital, "2024-03-01T09:00:00+08:00", "100.00", exclusion="third_party")
    assert (excluded["act_pay_dedc"], excluded["hifp_pay"]) == ("0.00", "0.00")
    # then a covered visit at 10:00 owes the deductible 30: (100 − 30) × 0.55 = 38.50
    assert paid(w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "100.00")) == ("30.00", "0.5500", "38.50", None)


def test_nanchang_reversal_then_resettlement_at_the_signed_provider(world):
    # given a poverty-registered member with a family-doctor agreement: 65% + 5 = 70% there
    w = world(NANCHANG)
    member, centre = w.member(poverty=True), w.provider()
    assert w.signup(member, centre, applied_on="2024-01-02", family_doctor=True).status_code == 201
    claim = w.claim(member, centre, "2024-02-01T10:00:00+08:00", "33.33")
    # then 33.33 × 0.70 = 23.331 → 23.33; the reversal negates it and the re-settlement repeats it
    assert paid(claim) == ("0.00", "0.7000", "23.33", None)
    reversal = w.reverse(claim["setl_id"])
    assert (reversal["hifp_pay"], reversal["psn_part_amt"], reversal["medfee_sumamt"]) == ("-23.33", "-10.00",
                                                                                           "-33.33")
    assert w.claim(member, centre, "2024-02-01T11:00:00+08:00", "33.33")["hifp_pay"] == "23.33"
    assert w.accumulators(member, 2024)["fund_paid"] == "23.33"


def test_nanyang_a_24_hour_window_opened_on_31_december_covers_1_january(world):
    # given an L2 hospital (deductible 30 per 24 hours, employed 55%) and a visit at 23:00 on 31 December
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="2")
    late = w.claim(member, hospital, "2024-12-31T23:00:00+08:00", "130.00")
    assert paid(late) == ("30.00", "0.5500", "55.00", None)                 # (130 − 30) × 0.55
    # when the member comes back two hours later, on 1 January, to the same hospital
    early = w.claim(member, hospital, "2025-01-01T01:00:00+08:00", "130.00")
    # then it is within 24 hours of the window's opening: no second deductible, 130 × 0.55 = 71.50
    assert paid(early) == ("0.00", "0.5500", "71.50", None)
