"""A decision's step notes are written when first read (policy/rules/common.py ``Step``): the text is
the one the rules write, and steps compare by value whichever way their note was given."""

from policy.rules import zibo
from policy.rules.common import Step, YearToDate

from .support import D, member, params_on, provider, visit

ZB = "370300"
L2 = provider("ZB-L2", "2", admdvs=ZB)


def test_given_a_zibo_visit_when_its_notes_are_read_then_they_carry_the_amounts_of_the_decision():
    # given an employed member, 800.00 in policy at a level-2 provider in 2024, nothing paid yet
    day_visit = visit("2024-03-01T10:00", "800.00")
    decision = zibo.adjudicate(params=params_on(ZB, day_visit.day), member=member(), provider=L2, signup=None,
                               visit=day_visit, ytd=YearToDate(2024, {}))
    # then deductible 500 (level 2), (800 − 500) × 60% = 180.00, cap 4000 with 0 used
    notes = {step.rule: step.note for step in decision.steps}
    assert decision.fund_pay == D("180.00")
    assert notes["eligible"] == "政策范围内费用 800.00 元（inscp_scp_amt，起付和比例的基数）"
    assert notes["deductible"].endswith("：标准 500.00 元，已付 0.00 元，本次 500.00 元")
    assert notes["ratio"].endswith("：300.00 × 60% = 180.00 元")
    assert notes["annual_cap"].endswith("：限额 4000.00 元，已用 0.00 元，剩余 4000.00 元")
    assert notes["fund_pay"] == "统筹基金支付 180.00 元，记入 ZB-L2 的结算"


def test_given_a_note_as_text_or_as_a_function_then_the_steps_are_equal():
    written = Step("ratio", D("1.00"), "x 1.00")
    deferred = Step("ratio", D("1.00"), lambda: "x 1.00")
    assert written == deferred and hash(written) == hash(deferred) and deferred.note == "x 1.00"
    assert Step("ratio", D("1.00"), lambda: "other") != written
