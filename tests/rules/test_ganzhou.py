"""Ganzhou 赣州 (赣市府办发〔2022〕27号 第五条): ordinary / TCM / two diseases / special items."""
from policy.rules import ganzhou
from policy.rules.common import YearToDate

from .support import D, Ledger, member, params_on, provider, visit

GZ = "360700"
L1, L2 = provider("GZ-L1", "1", admdvs=GZ), provider("GZ-L2", "2", admdvs=GZ)


def _decide(member_, provider_, visit_, buckets, **overrides):
    return ganzhou.adjudicate(params=params_on(GZ, visit_.day, **overrides), member=member_, provider=provider_,
                              signup=None, visit=visit_, ytd=YearToDate(visit_.day.year, buckets))


def test_tcm_first_then_ordinary_share_one_deductible():
    ledger = Ledger(GZ)
    # given a TCM visit of 400 (owes 300) then an ordinary one of 500 (owes 600 − 300 = 300)
    tcm = ledger.claim(member=member(), provider=L1, visit=visit("2024-01-10T10:00", "400.00", benefit="tcm"))
    ordinary = ledger.claim(member=member(), provider=L1, visit=visit("2024-01-11T10:00", "500.00"))
    # then TCM: (400 − 300) × 65% = 65; ordinary: (500 − 300) × 60% = 120
    assert (tcm.deductible, tcm.ratio, tcm.fund_pay) == (D("300.00"), D("0.65"), D("65.00"))
    assert (ordinary.deductible, ordinary.ratio, ordinary.fund_pay) == (D("300.00"), D("0.60"), D("120.00"))
    # and a TCM visit after the ordinary deductible is complete owes nothing
    again = ledger.claim(member=member(), provider=L1, visit=visit("2024-01-12T10:00", "100.00", benefit="tcm"))
    assert (again.deductible, again.fund_pay) == (D("0"), D("65.00"))
    assert ledger.years[2024]["deductible"] == D("600.00")


def test_tcm_after_ordinary_owes_nothing_once_300_is_paid():
    ledger = Ledger(GZ)
    # given an ordinary visit of 350 (all deductible), then a TCM visit of 200 at L3
    ledger.claim(member=member(), provider=L1, visit=visit("2024-01-10T10:00", "350.00"))
    tcm = ledger.claim(member=member(), provider=provider("GZ-L3", "3", admdvs=GZ),
                       visit=visit("2024-01-11T10:00", "200.00", benefit="tcm"))
    # then TCM owes max(0, 300 − 350) = 0 and pays 200 × (50% + 5%) = 110; the next ordinary visit owes 250
    assert (tcm.deductible, tcm.ratio, tcm.fund_pay) == (0, D("0.55"), D("110.00"))
    ordinary = ledger.claim(member=member(), provider=L1, visit=visit("2024-01-12T10:00", "300.00"))
    assert (ordinary.deductible, ordinary.fund_pay) == (D("250"), D("30.00"))


def test_retired_tcm_gets_both_bonuses_and_the_retired_cap():
    decision = _decide(member("retired"), L2, visit("2024-02-01T10:00", "1000.00", benefit="tcm"),
                       {"deductible": D("600"), "fund": D("1500")})
    # L2 55% + 5 retired + 5 TCM = 65%: 650, clipped to 2000 − 1500 = 500
    assert (decision.ratio, decision.fund_pay, decision.annual_cap) == (D("0.65"), D("500.00"), D("2000"))


def test_two_disease_sub_cap_edge_and_the_other_disease_is_separate():
    # given 499.99 of the 500 hypertension sub-cap used, an L1 employed visit of 100 (60 by ratio)
    used = {"subcap:hypertension": D("499.99"), "fund": D("499.99")}
    edge = _decide(member(), L1, visit("2024-03-01T10:00", "100.00", benefit="hypertension"), used)
    # then one fen is left, no deductible is charged, the deltas go to both the sub-cap and the fund
    assert (edge.deductible, edge.ratio, edge.fund_pay) == (0, D("0.60"), D("0.01"))
    assert edge.deltas == {"fund": D("0.01"), "subcap:hypertension": D("0.01")}
    diabetes = _decide(member(), L1, visit("2024-03-01T10:00", "100.00", benefit="diabetes"), used)
    assert diabetes.fund_pay == D("60.00")


def test_two_disease_sub_cap_sits_inside_the_ordinary_cap():
    # given 1 790 of the 1 800 ordinary cap used, a hypertension visit paying 60 by ratio gets only 10
    decision = _decide(member(), L1, visit("2024-03-01T10:00", "100.00", benefit="hypertension"),
                       {"fund": D("1790")})
    assert decision.fund_pay == D("10.00") and decision.deltas["subcap:hypertension"] == D("10.00")


def test_members_certified_for_the_chronic_benefit_are_not_paid_here_for_that_disease():
    certified = member(chronic_diseases=frozenset({"hypertension"}))
    hypertension = _decide(certified, L1, visit("2024-03-01T10:00", "100.00", benefit="hypertension"), {})
    diabetes = _decide(certified, L1, visit("2024-03-01T10:00", "100.00", benefit="diabetes"), {})
    assert (hypertension.status, hypertension.reason, hypertension.fund_pay) == ("not_covered", "chronic_benefit", 0)
    assert diabetes.status == "settled"


def test_special_items_use_the_inpatient_ratio_outside_the_ordinary_cap():
    # while the ratio is unset the claim is held and nothing accumulates
    held = _decide(member(), L1, visit("2024-03-01T10:00", "200.00", benefit="special_item"), {})
    assert (held.status, held.reason, held.fund_pay, held.deltas) == ("pending_review", "ratio_not_configured", 0, {})
    # once staff enter 85%: 200 × 85% = 170, no deductible, even with the ordinary cap used up
    paid = _decide(member(), L1, visit("2024-03-01T10:00", "200.00", benefit="special_item"),
                   {"fund": D("1800")}, special_item_ratio="0.85")
    assert (paid.status, paid.deductible, paid.ratio, paid.fund_pay) == ("settled", 0, D("0.85"), D("170.00"))
    assert paid.deltas == {"special": D("170.00")}
