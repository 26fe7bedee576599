"""Designated retail pharmacies 外配处方 (RULES.md "Designated retail pharmacies"), pure core.

Nanyang 第十三条, Zibo 第十二条, Ganzhou 第八条: a filled prescription is rated as a visit at the
prescriber (its level, its deductible bucket or 24-hour window, the same caps) and charged to the
pharmacy; without a prescription, and in Nanchang and Heyuan, it is not covered by pooling.
"""
from dataclasses import replace

import pytest

from .support import D, Ledger, member, provider, signup, visit

NY, ZB, GZ, NC, HY = "411300", "370300", "360700", "360100", "441600"


def fill(when: str, eligible: str, prescriber, **changes):
    return replace(visit(when, eligible, **changes), prescriber=prescriber)


def test_nanyang_a_fill_shares_the_prescriber_24_hour_window():
    ledger, employed = Ledger(NY), member()
    hospital, pharmacy = provider("NY-L2", "2", admdvs=NY), provider("NY-PH", "1", kind="pharmacy", admdvs=NY)
    # given a visit at the L2 hospital at 10:00: (100 − 30) × 55% = 38.50, window opened with 30
    at_hospital = ledger.claim(member=employed, provider=hospital, visit=visit("2024-03-01T10:00", "100.00"))
    # when its prescription is filled at the pharmacy at 15:00 (inside the window): no second deductible,
    # 100 × 55% = 55.00 (the L2 ratio, not the pharmacy's level 1), charged to the pharmacy
    same_day = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-03-01T15:00", "100.00", hospital))
    # when another fill comes two days later: the window has closed, the fill opens a new one at the
    # hospital: (100 − 30) × 55% = 38.50
    later = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-03-03T15:00", "100.00", hospital))
    # and a visit at the hospital 2 hours after that fill is inside the window the fill opened: 80 × 55% = 44
    back = ledger.claim(member=employed, provider=hospital, visit=visit("2024-03-03T17:00", "80.00"))
    assert [(d.deductible, d.ratio, d.fund_pay) for d in (at_hospital, same_day, later, back)] == [
        (D("30.00"), D("0.55"), D("38.50")), (0, D("0.55"), D("55.00")), (D("30.00"), D("0.55"), D("38.50")),
        (0, D("0.55"), D("44.00"))]
    assert [d.charged_provider_code for d in (at_hospital, same_day, later, back)] == [
        "NY-L2", "NY-PH", "NY-PH", "NY-L2"]
    # the windows are the hospital's, whoever opened them; the annual cap counts all four: 38.5+55+38.5+44
    windows = {k: v for k, v in ledger.years[2024].items() if k.startswith("window:")}
    assert windows == {"window:NY-L2:2024-03-01T10:00:00+08:00": D("30.00"),
                       "window:NY-L2:2024-03-03T15:00:00+08:00": D("30.00")}
    assert ledger.bucket(2024, "fund") == D("176.00")
    assert [s.rule for s in same_day.steps][0] == "prescription"


def test_nanyang_a_fill_without_a_prescription_is_not_covered():
    pharmacy = provider("NY-PH", "1", kind="pharmacy", admdvs=NY)
    decision = Ledger(NY).claim(member=member(), provider=pharmacy, visit=visit("2024-03-04T15:00", "100.00"))
    assert (decision.status, decision.reason, decision.fund_pay) == ("not_covered", "pharmacy_not_covered", 0)


def test_zibo_a_fill_counts_in_the_prescriber_level_deductible_and_the_shared_cap():
    ledger, employed = Ledger(ZB), member()
    l1, l2, l3 = (provider(f"ZB-L{n}", str(n), admdvs=ZB) for n in (1, 2, 3))
    pharmacy = provider("ZB-PH", "1", kind="pharmacy", admdvs=ZB)
    # given an L2 visit of 400 in 2024: all of it goes to the L2 deductible (500), fund 0
    first = ledger.claim(member=employed, provider=l2, visit=visit("2024-02-01T10:00", "400.00"))
    # when an L2 prescription of 300 is filled: it owes the rest of the L2 deductible, 500 − 400 = 100,
    # and (300 − 100) × 60% = 120
    l2_fill = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-02-02T10:00", "300.00", l2))
    # an L3 prescription of 300 starts the L3 bucket (700): all deductible, fund 0
    l3_fill = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-02-03T10:00", "300.00", l3))
    # an L1 prescription of 100: L1 deductible 50, (100 − 50) × 60% = 30
    l1_fill = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-02-04T10:00", "100.00", l1))
    assert [(d.deductible, d.fund_pay) for d in (first, l2_fill, l3_fill, l1_fill)] == [
        (D("400.00"), 0), (D("100.00"), D("120.00")), (D("300.00"), 0), (D("50.00"), D("30.00"))]
    assert {lv: ledger.bucket(2024, f"deductible:{lv}") for lv in "123"} == {
        "1": D("50.00"), "2": D("500.00"), "3": D("300.00")}
    assert {d.charged_provider_code for d in (l2_fill, l3_fill, l1_fill)} == {"ZB-PH"}
    # and the cap (4 000 in 2024) is the same: with 3 990 paid, an L1 fill of 100 (60) is clipped to 10
    ledger.years[2024]["fund"] = D("3990.00")
    clipped = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-02-05T10:00", "100.00", l1))
    assert (clipped.deductible, clipped.fund_pay) == (0, D("10.00"))


def test_ganzhou_a_fill_is_rated_at_the_prescriber_on_the_shared_deductible():
    ledger, employed = Ledger(GZ), member()
    l3, pharmacy = provider("GZ-L3", "3", admdvs=GZ), provider("GZ-PH", "1", kind="pharmacy", admdvs=GZ)
    # given an ordinary visit of 400 at L3 (all deductible: 600 owed), then an L3 fill of 300:
    # it owes the rest of the shared deductible, 600 − 400 = 200, and (300 − 200) × 50% (L3) = 50
    ledger.claim(member=employed, provider=l3, visit=visit("2024-02-01T10:00", "400.00"))
    filled = ledger.claim(member=employed, provider=pharmacy, visit=fill("2024-02-02T10:00", "300.00", l3))
    assert (filled.deductible, filled.ratio, filled.fund_pay, filled.charged_provider_code) == (
        D("200.00"), D("0.50"), D("50.00"), "GZ-PH")
    # a two-disease drug fill: no deductible, the L3 ratio, inside the sub-cap: 100 × 50% = 50
    drugs = ledger.claim(member=employed, provider=pharmacy,
                         visit=fill("2024-02-03T10:00", "100.00", l3, benefit="hypertension"))
    assert (drugs.deductible, drugs.fund_pay, ledger.bucket(2024, "subcap:hypertension")) == (0, D("50.00"), D("50.00"))


def test_ganzhou_a_special_item_is_never_filled_at_a_pharmacy():
    l3, pharmacy = provider("GZ-L3", "3", admdvs=GZ), provider("GZ-PH", "1", kind="pharmacy", admdvs=GZ)
    decision = Ledger(GZ).claim(member=member(), provider=pharmacy,
                                visit=fill("2024-02-02T10:00", "300.00", l3, benefit="special_item"))
    assert (decision.status, decision.reason, decision.fund_pay) == ("not_covered", "special_item_at_pharmacy", 0)


@pytest.mark.parametrize("admdvs", [NC, HY])
def test_nanchang_and_heyuan_pay_no_fill(admdvs):
    # given a member signed with the prescriber itself, a fill of its prescription is still not pooled
    centre = provider("C1", "1", kind="township", admdvs=admdvs)
    pharmacy = provider("PH", "1", kind="pharmacy", admdvs=admdvs)
    decision = Ledger(admdvs).claim(member=member(), provider=pharmacy, signup=signup(centre),
                                    visit=fill("2024-03-01T10:00", "100.00", centre))
    assert (decision.status, decision.reason, decision.fund_pay) == ("not_covered", "pharmacy_not_covered", 0)


def test_a_fill_at_a_suspended_pharmacy_is_not_covered():
    l2 = provider("NY-L2", "2", admdvs=NY)
    pharmacy = provider("NY-PH", "1", kind="pharmacy", admdvs=NY, status="suspended")
    decision = Ledger(NY).claim(member=member(), provider=pharmacy, visit=fill("2024-03-01T10:00", "100.00", l2))
    assert decision.reason == "provider_inactive"
