"""Second-reading corrections (RULES.md Ganzhou): inpatient-only members 第三条, chronic excess 第十二条.

(Heyuan's emergency without a selection, 第十七条, is in test_heyuan.py.)
"""
import pytest

from config.labels import REASON_LABELS
from policy.rules.common import REASONS

from .support import D, Ledger, member, provider, visit

GZ = "360700"
L1, L2 = provider("GZ-L1", "1", admdvs=GZ), provider("GZ-L2", "2", admdvs=GZ)


@pytest.mark.parametrize("benefit", ["ordinary", "tcm", "hypertension", "diabetes", "special_item"])
def test_ganzhou_inpatient_only_members_are_outside_outpatient_pooling(benefit):
    # given a member of the inpatient-only scheme 不设个人账户的住院医疗保险 (第三条)
    ledger = Ledger(GZ)
    decision = ledger.claim(member=member(inpatient_only=True), provider=L1,
                            visit=visit("2024-02-01T10:00", "700.00", benefit=benefit))
    # then no visit of theirs is covered, and nothing accumulates
    assert (decision.status, decision.reason, decision.fund_pay) == ("not_covered", "inpatient_only_scheme", 0)
    assert ledger.years[2024] == {}


def test_ganzhou_inpatient_only_is_not_a_rule_elsewhere():
    # the same flag in Nanyang only means "no personal account": L1 100 × 60% = 60
    decision = Ledger("411300").claim(member=member(inpatient_only=True), provider=provider("NY-L1", "1"),
                                      visit=visit("2024-02-01T10:00", "100.00"))
    assert (decision.status, decision.fund_pay) == ("settled", D("60.00"))


def test_ganzhou_chronic_excess_is_adjudicated_as_ordinary():
    # given a member certified for the hypertension chronic benefit 门诊慢特病
    certified = member(chronic_diseases=frozenset({"hypertension"}))
    ledger = Ledger(GZ)
    # when a visit the chronic benefit still covers is sent with the chronic exclusion: not covered here
    within = ledger.claim(member=certified, provider=L2,
                          visit=visit("2024-03-01T10:00", "800.00", exclusion="chronic"))
    assert (within.status, within.reason) == ("not_covered", "chronic_benefit")
    # and a two-disease drug visit for the certified disease stays with the chronic policy (第五条(四))
    drugs = ledger.claim(member=certified, provider=L2, visit=visit("2024-03-02T10:00", "800.00",
                                                                   benefit="hypertension"))
    assert drugs.reason == "chronic_benefit"
    # when the chronic limit is used up the excess comes without the exclusion (第十二条): ordinary pooling,
    # deductible 600, (800 − 600) × 55% (L2) = 110
    excess = ledger.claim(member=certified, provider=L2, visit=visit("2024-03-03T10:00", "800.00"))
    assert (excess.status, excess.deductible, excess.ratio, excess.fund_pay) == (
        "settled", D("600.00"), D("0.55"), D("110.00"))


def test_every_reason_code_has_a_chinese_label():
    assert set(REASONS) <= set(REASON_LABELS)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in REASON_LABELS.values())
