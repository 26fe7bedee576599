"""A decision's step notes are written when first read (policy/rules/common.py ``Step``): the text is
the one the rules write, and steps compare by value whichever way their note was given."""
from dataclasses import replace

from policy import rules
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


def test_given_a_zibo_visit_when_decided_without_explanation_then_the_same_figures_and_no_steps():
    # given an employed member, 800.00 in policy at a level-2 provider in 2024, 3 900.00 of the 4 000 cap used
    day_visit = visit("2024-03-01T10:00", "800.00")
    facts = dict(params=params_on(ZB, day_visit.day), member=member(), provider=L2, signup=None, visit=day_visit,
                 ytd=YearToDate(2024, {"fund": D("3900.00")}))
    # when it is decided with and without its explanation (a policy simulation's replay)
    explained = zibo.adjudicate(**facts)
    unexplained = zibo.adjudicate(**facts, explain=False)
    # then deductible 500, (800 − 500) × 60% = 180.00 clipped to the 100.00 left of the cap, either way
    assert explained.fund_pay == unexplained.fund_pay == D("100.00")
    assert unexplained.deductible == D("500.00") and unexplained.deltas == {"fund": D("100.00"),
                                                                           "deductible:2": D("500.00")}
    assert [s.rule for s in explained.steps] == ["eligible", "deductible", "ratio", "annual_cap", "fund_pay"]
    assert unexplained.steps == () and replace(explained, steps=()) == unexplained


def test_given_an_out_of_area_visit_when_decided_without_explanation_then_no_out_of_area_step_either():
    # given an unregistered out-of-area visit in Zibo, taken as a temporary one: the member first pays 10 % (第六条)
    day_visit = visit("2024-03-01T10:00", "800.00", out_of_area="unregistered")
    elsewhere = provider("GZ-L2", "2", admdvs="360700")
    facts = dict(params=params_on(ZB, day_visit.day), member=member(), provider=elsewhere, signup=None,
                 visit=day_visit, ytd=YearToDate(2024, {}))
    # when decided through the core's entry with and without the explanation
    explained = rules.adjudicate(ZB, **facts)
    unexplained = rules.adjudicate(ZB, **facts, explain=False)
    # then (800 − 80.00 first paid − 500) × 60% = 132.00 either way; only the explained one has steps
    assert explained.fund_pay == unexplained.fund_pay == D("132.00")
    assert explained.steps[0].rule == "out_of_area" and unexplained.steps == ()
    assert replace(explained, steps=()) == unexplained
