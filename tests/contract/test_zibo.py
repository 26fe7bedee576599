"""Zibo 淄博 (RULES.md "Zibo"), checked from outside through the REST API; figures by hand."""
import pytest

from tests.contract.world import ZIBO, paid

pytestmark = pytest.mark.django_db


def test_deductible_crossed_within_a_visit_and_restored_by_a_reversal(world):
    # given an employed member and an L1 clinic (annual deductible 50, 60%, 2023)
    w = world(ZIBO)
    member, clinic = w.member(), w.provider(level="1")
    first = w.claim(member, clinic, "2023-03-01T10:00:00+08:00", "30.00")
    second = w.claim(member, clinic, "2023-03-02T10:00:00+08:00", "100.00")
    # then 30 of the 50 first (fund 0); the next visit crosses it: 20 more, (100 − 20) × 0.6 = 48.00
    assert paid(first) == ("30.00", "0.6000", "0.00", None)
    assert paid(second) == ("20.00", "0.6000", "48.00", None)
    # when the first is reversed, the level-1 bucket is back to 20 (CONTRACT.md reversal)
    w.reverse(first["setl_id"])
    assert w.accumulators(member, 2023)["deductible_paid"]["1"] == "20.00"
    # and the next visit owes the remaining 30: (100 − 30) × 0.6 = 42.00 (earlier claims untouched)
    assert paid(w.claim(member, clinic, "2023-03-03T10:00:00+08:00", "100.00")) == ("30.00", "0.6000", "42.00", None)
    assert second["hifp_pay"] == "48.00"


def test_cap_3000_binds_mid_visit_then_2024_opens_4000_and_new_deductibles(world):
    # given an employed member
    w = world(ZIBO)
    member, l3, l1 = w.member(), w.provider(level="3"), w.provider(level="1")
    # when an L3 visit of 6 000 and an L1 visit of 1 000 in 2023
    a = w.claim(member, l3, "2023-05-01T10:00:00+08:00", "6000.00")
    b = w.claim(member, l1, "2023-05-02T10:00:00+08:00", "1000.00")
    # then L3: (6 000 − 700) × 0.5 = 2 650; L1: (1 000 − 50) × 0.6 = 570, cut to 3 000 − 2 650 = 350
    assert paid(a) == ("700.00", "0.5000", "2650.00", None)
    assert paid(b) == ("50.00", "0.6000", "350.00", None)
    # and at 00:00 on 1 January 2024 Shanghai time the year restarts: L1 deductible 50 again,
    # (100 − 50) × 0.6 = 30; cap 4 000 (RULES.md "Zibo", "Year")
    c = w.claim(member, l1, "2023-12-31T16:00:00Z", "100.00")
    assert paid(c) == ("50.00", "0.6000", "30.00", None)
    ytd = w.accumulators(member, 2024)
    assert (ytd["annual_cap"], ytd["cap_left"], ytd["fund_paid"]) == ("4000.00", "3970.00", "30.00")


def test_retired_bonus_from_2024_starts_the_month_after_the_retirement(world):
    # given a retirement processed 2024-01-15 (retired from 2024-02-01) and an L2 hospital
    w = world(ZIBO)
    member, hospital = w.member(psn_type="1201", retired_on="2024-01-15"), w.provider(level="2")
    # when an L2 visit on 31 January and another on 1 February
    january = w.claim(member, hospital, "2024-01-31T10:00:00+08:00", "700.00")
    february = w.claim(member, hospital, "2024-02-01T10:00:00+08:00", "100.00")
    # then January is employed: (700 − 500) × 0.60 = 120; February retired +5: 100 × 0.65 = 65
    assert paid(january) == ("500.00", "0.6000", "120.00", None)
    assert paid(february) == ("0.00", "0.6500", "65.00", None)


@pytest.mark.parametrize("visit_at, covered", [
    ("2022-12-31T23:30:00+08:00", False),
    ("2022-12-31T16:30:00Z", True),            # 00:30 on 1 January 2023 in Shanghai
])
def test_policy_period_starts_on_1_january_2023_shanghai_time(world, visit_at, covered):
    # given the period in force from 2023-01-01 (RULES.md table; "In every region"; its end,
    # 2027-12-31, is still in the future, and a visit in the future is refused)
    w = world(ZIBO)
    member, clinic = w.member(), w.provider(level="1")
    claim = w.claim(member, clinic, visit_at, "100.00")
    # then inside: (100 − 50) × 0.6 = 30.00; outside: recorded, not covered, 0
    if covered:
        assert (claim["status"], claim["hifp_pay"]) == ("settled", "30.00")
    else:
        assert (claim["status"], claim["reason"], claim["hifp_pay"]) == ("not_covered", "outside_policy_period",
                                                                         "0.00")
        assert claim["psn_part_amt"] == "100.00"


def test_reversing_last_years_claim_restores_last_years_figures_only(world):
    # given an L1 visit on 31 December 2023 and one on 2 January 2024, each owing the L1 deductible 50
    w = world(ZIBO)
    member, clinic = w.member(), w.provider(level="1")
    old = w.claim(member, clinic, "2023-12-31T10:00:00+08:00", "100.00")
    new = w.claim(member, clinic, "2024-01-02T10:00:00+08:00", "100.00")
    assert paid(old) == paid(new) == ("50.00", "0.6000", "30.00", None)   # (100 − 50) × 0.6
    # when the 2023 claim is reversed
    w.reverse(old["setl_id"])
    # then 2023's deductible and fund are back to 0 and 2024's are untouched
    ytd_2023, ytd_2024 = w.accumulators(member, 2023), w.accumulators(member, 2024)
    assert (ytd_2023["deductible_paid"]["1"], ytd_2023["fund_paid"]) == ("0.00", "0.00")
    assert (ytd_2024["deductible_paid"]["1"], ytd_2024["fund_paid"]) == ("50.00", "30.00")


def test_an_unrated_provider_shares_the_level_1_deductible(world):
    # given 30 of the L1 deductible (50) paid at an L1 clinic; dedc_hosp_lv "9" is treated as 1 (CONTRACT.md)
    w = world(ZIBO)
    member, clinic, unrated = w.member(), w.provider(level="1"), w.provider(level="9")
    w.claim(member, clinic, "2023-03-01T10:00:00+08:00", "30.00")
    # then the unrated provider owes the 20 left of the same accumulator: (100 − 20) × 0.6 = 48.00
    assert paid(w.claim(member, unrated, "2023-03-02T10:00:00+08:00", "100.00")) == ("20.00", "0.6000", "48.00", None)
    assert w.accumulators(member, 2023)["deductible_paid"]["1"] == "50.00"
