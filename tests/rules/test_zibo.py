"""Zibo 淄博 (淄政办发〔2022〕12号): annual deductible per level, 2023 vs 2024 figures, out of area."""

from policy.rules import zibo
from policy.rules.common import YearToDate

from .support import D, Ledger, member, params_on, provider, visit

ZB = "370300"
L1, L2, L3 = provider("ZB-L1", "1", admdvs=ZB), provider("ZB-L2", "2", admdvs=ZB), provider("ZB-L3", "3", admdvs=ZB)


def _decide(member_, provider_, visit_, buckets):
    return zibo.adjudicate(params=params_on(ZB, visit_.day), member=member_, provider=provider_, signup=None,
                           visit=visit_, ytd=YearToDate(visit_.day.year, buckets))


def test_2023_and_2024_ratios_and_caps_come_from_the_set_in_force():
    retired = member("retired")
    # given a retired member at L3 with the deductible paid, 1000 in-policy
    paid = {"deductible:3": D("700")}
    in_2023 = _decide(retired, L3, visit("2023-06-01T10:00", "1000.00"), paid)
    in_2024 = _decide(retired, L3, visit("2024-06-01T10:00", "1000.00"), paid)
    employed_2024 = _decide(member(), L3, visit("2024-06-01T10:00", "1000.00"), paid)
    # then 2023: 50%, cap 3000; 2024: retired 55%, employed still 50%, cap 4000
    assert (in_2023.ratio, in_2023.fund_pay, in_2023.annual_cap) == (D("0.50"), D("500.00"), D("3000"))
    assert (in_2024.ratio, in_2024.fund_pay, in_2024.annual_cap) == (D("0.55"), D("550.00"), D("4000"))
    assert employed_2024.ratio == D("0.50")
    # and the cap clips at 3000 in 2023 but lets 4000 through in 2024
    nearly_3000 = {**paid, "fund": D("2990")}
    assert _decide(retired, L3, visit("2023-06-01T10:00", "1000.00"), nearly_3000).fund_pay == D("10.00")
    assert _decide(retired, L3, visit("2024-06-01T10:00", "1000.00"), nearly_3000).fund_pay == D("550.00")


def test_one_deductible_accumulator_per_level_reset_each_year():
    ledger = Ledger(ZB)
    ledger.claim(member=member(), provider=L2, visit=visit("2023-03-01T10:00", "600.00"))
    l3 = ledger.claim(member=member(), provider=L3, visit=visit("2023-03-02T10:00", "600.00"))
    l1 = ledger.claim(member=member(), provider=L1, visit=visit("2023-03-03T10:00", "30.00"))
    next_year = ledger.claim(member=member(), provider=L2, visit=visit("2024-01-02T10:00", "600.00"))
    # L2's 500 does not count toward L3's 700 nor L1's 50; 2024 starts again
    assert (l3.deductible, l3.fund_pay) == (D("600.00"), D("0.00"))
    assert (l1.deductible, l1.fund_pay) == (D("30.00"), D("0.00"))
    assert (next_year.deductible, next_year.fund_pay) == (D("500"), D("60.00"))
    assert ledger.years[2023] == {"deductible:1": D("30.00"), "deductible:2": D("500"), "deductible:3": D("600.00"),
                                  "fund": D("60.00")}


def test_long_term_out_of_area_is_paid_as_local():
    local = _decide(member(), L2, visit("2024-03-01T10:00", "800.00"), {})
    resident_elsewhere = _decide(member(), L2, visit("2024-03-01T10:00", "800.00", out_of_area="long_term"), {})
    assert local.fund_pay == resident_elsewhere.fund_pay == D("180.00")         # (800 − 500) × 60%


def test_temporary_out_of_area_member_first_pays_ten_percent_rounded_once():
    # 123.45 × 10% = 12.345 → 12.35; rest 111.10; L1 deductible 50; (111.10 − 50) × 60% = 36.66
    decision = _decide(member(), L1, visit("2024-03-01T10:00", "123.45", out_of_area="temporary"), {})
    assert (decision.deductible, decision.fund_pay) == (D("50"), D("36.66"))
    assert [s.amount for s in decision.steps if s.rule == "temporary_out_of_area"] == [D("12.35")]
    # with the L2 deductible already paid: 1000 − 100 = 900 × 60% = 540
    paid = _decide(member(), L2, visit("2024-03-01T10:00", "1000.00", out_of_area="temporary"),
                   {"deductible:2": D("500")})
    assert (paid.deductible, paid.fund_pay) == (D("0"), D("540.00"))


def test_article_8_exclusions_pay_nothing():
    for fact, reason in [("work_injury", "excluded_work_injury"), ("third_party", "excluded_third_party"),
                         ("public_health", "excluded_public_health"), ("abroad", "excluded_abroad"),
                         ("inpatient", "excluded_inpatient")]:
        decision = _decide(member(), L1, visit("2024-03-01T10:00", "100.00", exclusion=fact), {})
        assert (decision.status, decision.reason, decision.fund_pay, decision.deltas) == (
            "not_covered", reason, 0, {})
