"""Nanyang 南阳 (RULES.md "Nanyang"), checked from outside through the REST API; figures by hand."""
import pytest

from tests.contract.world import NANYANG, paid

pytestmark = pytest.mark.django_db


def test_rounding_is_half_up_once_to_the_fen(world):
    # given an employed member and two L2 hospitals (deductible 30, ratio 55%: RULES.md "Nanyang")
    w = world(NANYANG)
    member, h1, h2 = w.member(), w.provider(level="2"), w.provider(level="2")
    # when each is visited once (different providers: no shared 24-hour window)
    small = w.claim(member, h1, "2024-03-01T10:00:00+08:00", "30.30")
    large = w.claim(member, h2, "2024-03-01T11:00:00+08:00", "130.30")
    # then (30.30 − 30) × 0.55 = 0.165 → 0.17 and (130.30 − 30) × 0.55 = 55.165 → 55.17
    # (ROUND_HALF_UP; half-even would give 0.16 and 55.16) — RULES.md "Money"
    assert paid(small) == ("30.00", "0.5500", "0.17", None)
    assert paid(large) == ("30.00", "0.5500", "55.17", None)
    assert small["psn_part_amt"] == "30.13" and large["psn_part_amt"] == "75.13"


def test_the_window_is_24_hours_in_real_time_whatever_the_offset_sent(world):
    # given an L3 hospital (deductible 50, 50%) and an opening visit at 09:00 Shanghai
    w = world(NANYANG)
    member, h = w.member(), w.provider(level="3")
    first = w.claim(member, h, "2024-03-01T09:00:00+08:00", "30.00")
    # when a visit 23.5 hours later is sent in UTC, then one 24.5 hours later
    inside = w.claim(member, h, "2024-03-02T00:30:00Z", "100.00")       # 08:30 Shanghai, inside
    after = w.claim(member, h, "2024-03-02T09:30:00+08:00", "100.00")   # window closed: a new one
    # then 30 is charged first (fund 0); inside the window only 50 − 30 = 20 more: (100 − 20) × 0.5 = 40;
    # after it a full 50: (100 − 50) × 0.5 = 25 — RULES.md "Nanyang", Reading on the 24-hour window
    assert paid(first) == ("30.00", "0.5000", "0.00", None)
    assert paid(inside) == ("20.00", "0.5000", "40.00", None)
    assert paid(after) == ("50.00", "0.5000", "25.00", None)
    assert w.accumulators(member, 2024)["deductible_paid"]["per_visit"] == "100.00"


def test_unrated_level_9_is_treated_as_level_1(world):
    # given an unrated provider 未定级 (dedc_hosp_lv "9", treated as 1: CONTRACT.md Providers)
    w = world(NANYANG)
    member, clinic = w.member(), w.provider(level="9")
    # then no deductible and 60%: 100 × 0.60 = 60.00
    assert paid(w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00")) == ("0.00", "0.6000", "60.00", None)


def test_retirement_processed_on_the_1st_switches_a_month_later_by_shanghai_time(world):
    # given a retirement processed on 2024-06-01: benefits switch on 2024-07-01 (次月起, RULES.md
    # "Common terms"), not on the day itself
    w = world(NANYANG)
    member = w.member(psn_type="1201", retired_on="2024-06-01")
    clinic = w.provider(level="1")
    # when visits on 1 June, on 30 June and at 00:30 on 1 July Shanghai time (sent in UTC)
    same_day = w.claim(member, clinic, "2024-06-01T10:00:00+08:00", "100.00")
    last_day = w.claim(member, clinic, "2024-06-30T10:00:00+08:00", "100.00")
    switched = w.claim(member, clinic, "2024-06-30T16:30:00Z", "100.00")
    # then L1 employed 60% twice, then retired 70%
    assert [c["hifp_pay"] for c in (same_day, last_day, switched)] == ["60.00", "60.00", "70.00"]
    assert switched["pool_prop_selfpay"] == "0.7000"


def test_cap_binds_mid_visit_a_reversal_frees_it_and_the_year_boundary_is_shanghai_midnight(world):
    # given an employed member (cap 1 500) at an L1 clinic (no deductible, 60%)
    w = world(NANYANG)
    member, clinic = w.member(), w.provider(level="1")
    big = w.claim(member, clinic, "2024-05-01T10:00:00+08:00", "2000.00")        # 1 200.00
    binding = w.claim(member, clinic, "2024-05-02T10:00:00+08:00", "600.00")     # 360 → 300 left
    # then the second visit is cut to what is left of the cap: min(360, 1 500 − 1 200) = 300
    assert big["hifp_pay"] == "1200.00" and binding["hifp_pay"] == "300.00"
    assert binding["psn_part_amt"] == "300.00"
    ytd = w.accumulators(member, 2024)
    assert (ytd["fund_paid"], ytd["annual_cap"], ytd["cap_left"]) == ("1500.00", "1500.00", "0.00")
    # when the 1 200 claim is reversed
    reversal = w.reverse(big["setl_id"])
    # then its amounts come back negated and the cap is free again (CONTRACT.md reversal)
    assert (reversal["hifp_pay"], reversal["medfee_sumamt"], reversal["psn_part_amt"]) == (
        "-1200.00", "-2000.00", "-800.00")
    assert w.accumulators(member, 2024)["cap_left"] == "1200.00"
    # and 23:30 on 31 Dec Shanghai is still 2024; 00:30 on 1 Jan (16:30 UTC) starts a fresh 2025 cap
    w.claim(member, clinic, "2024-12-31T10:00:00+08:00", "2000.00")              # 1 200 → cap full
    late = w.claim(member, clinic, "2024-12-31T23:30:00+08:00", "100.00")
    new_year = w.claim(member, clinic, "2024-12-31T16:30:00Z", "100.00")
    assert late["hifp_pay"] == "0.00" and new_year["hifp_pay"] == "60.00"
    assert w.accumulators(member, 2025)["fund_paid"] == "60.00"


def test_retired_cap_counts_what_was_paid_before_the_switch(world):
    # given an employed member who used the whole 1 500 cap by May, retirement processed 2024-05-20
    w = world(NANYANG)
    member = w.member(psn_type="1201", retired_on="2024-05-20")
    clinic, hospital = w.provider(level="1"), w.provider(level="2")
    w.claim(member, clinic, "2024-05-31T10:00:00+08:00", "2500.00")              # 60% × 2 500 = 1 500
    # when an L2 visit in June (retired: 65%, cap 2 000, 合并计算)
    june = w.claim(member, hospital, "2024-06-03T10:00:00+08:00", "1000.00")
    # then (1 000 − 30) × 0.65 = 630.50, cut to 2 000 − 1 500 = 500.00
    assert paid(june) == ("30.00", "0.6500", "500.00", None)
    assert w.accumulators(member, 2024)["annual_cap"] == "2000.00"


def test_the_policy_starts_at_midnight_on_1_july_2022_shanghai_time(world):
    # given an L2 hospital (30, 55%); the policy is in force from 2022-07-01 (RULES.md table)
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="2")
    before = w.claim(member, hospital, "2022-06-30T23:30:00+08:00", "100.00")
    after = w.claim(member, hospital, "2022-06-30T16:30:00Z", "100.00")       # 00:30 on 1 July in Shanghai
    # then 23:30 on 30 June is outside it; 00:30 on 1 July pays (100 − 30) × 0.55 = 38.50
    assert (before["status"], before["reason"], before["hifp_pay"]) == ("not_covered", "outside_policy_period", "0.00")
    assert paid(after) == ("30.00", "0.5500", "38.50", None)


def test_reversing_an_opening_visit_re_opens_the_window_at_the_next_live_visit(world):
    # given an L3 hospital (deductible 50 per 24 hours, employed 50%): 20.00 at 08:00 opens the window
    # and pays the first 20 of the deductible, 10.00 at 09:00 pays 10 more (both all deductible, fund 0)
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="3")
    opening = w.claim(member, hospital, "2024-03-05T08:00:00+08:00", "20.00")
    second = w.claim(member, hospital, "2024-03-05T09:00:00+08:00", "10.00")
    assert paid(opening) == ("20.00", "0.5000", "0.00", None)
    assert paid(second) == ("10.00", "0.5000", "0.00", None)
    # when the 08:00 visit is reversed: without it, the 09:00 visit opened the window (RULES.md Reading:
    # "a 24-hour window opens at the first deductible-bearing visit") with 10 of the 50 charged
    w.reverse(opening["setl_id"])
    # then a visit at 08:30 next day (23.5 h after 09:00) is in that window and owes 50 − 10 = 40:
    # (100 − 40) × 0.5 = 30.00 (the product: a new window, 50, (100 − 50) × 0.5 = 25.00)
    assert paid(w.claim(member, hospital, "2024-03-06T08:30:00+08:00", "100.00")) == (
        "40.00", "0.5000", "30.00", None)
