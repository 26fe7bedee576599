"""Heyuan 河源 (经办规程 2022): selected provider, per-visit caps, prorated annual cap, emergencies."""
from datetime import date

from policy.rules import heyuan
from policy.rules.common import YearToDate

from .support import D, member, params_on, provider, signup, visit

HY = "441600"
L1 = provider("HY-L1", "1", kind="township", admdvs=HY)
L2 = provider("HY-L2", "2", admdvs=HY)
L3 = provider("HY-L3", "3", admdvs=HY)
STATION = provider("HY-V1", "1", kind="village", admdvs=HY, parent_code="HY-L1")
OTHER_STATION = provider("HY-V2", "1", kind="village", admdvs=HY, parent_code="HY-T9")
OUT_OF_CITY = provider("GZ-H3", "3", admdvs="440100")


def _decide(member_, provider_, visit_, signup_, buckets=None):
    return heyuan.adjudicate(params=params_on(HY, visit_.day), member=member_, provider=provider_, signup=signup_,
                             visit=visit_, ytd=YearToDate(visit_.day.year, buckets or {}))


def test_per_visit_cap_per_level():
    # L1 100 × 70% = 70 → 60; L2 200 × 60% = 120 (at the cap); L3 300 × 55% = 165 → 150
    assert _decide(member(), L1, visit("2024-03-01T10:00", "100.00"), signup(L1)).fund_pay == D("60.00")
    assert _decide(member(), L2, visit("2024-03-01T10:00", "200.00"), signup(L2)).fund_pay == D("120.00")
    l3 = _decide(member(), L3, visit("2024-03-01T10:00", "300.00"), signup(L3))
    assert (l3.ratio, l3.fund_pay, l3.deductible) == (D("0.55"), D("150.00"), 0)
    # retired at L1: 50 × 75% = 37.50
    assert _decide(member("retired"), L1, visit("2024-03-01T10:00", "50.00"), signup(L1)).fund_pay == D("37.50")


def test_annual_cap_prorated_from_the_first_selection_month():
    november = signup(L2, first_effective_on=date(2024, 11, 20))
    # 1800 ÷ 12 × 2 = 300; with 250 paid a 120 visit gets 50
    decision = _decide(member(), L2, visit("2024-11-21T10:00", "200.00"), november, {"fund": D("250")})
    assert (decision.annual_cap, decision.fund_pay) == (D("300.00"), D("50.00"))
    # in 2022 the scheme runs from August: August selection 750, October 450
    august_2022 = signup(L2, first_effective_on=date(2022, 8, 1))
    october_2022 = signup(L2, first_effective_on=date(2022, 10, 9))
    assert _decide(member(), L2, visit("2022-10-10T10:00", "1"), august_2022).annual_cap == D("750.00")
    assert _decide(member(), L2, visit("2022-10-10T10:00", "1"), october_2022).annual_cap == D("450.00")
    # the year after a mid-year selection the full cap applies
    assert _decide(member(), L2, visit("2025-01-10T10:00", "1"), november).annual_cap == D("1800.00")


def test_village_station_of_the_selected_centre_at_the_centre_level_and_charged_to_it():
    decision = _decide(member(), STATION, visit("2024-03-01T10:00", "50.00"), signup(L1))
    assert (decision.fund_pay, decision.charged_provider_code) == (D("35.00"), "HY-L1")
    assert _decide(member(), OTHER_STATION, visit("2024-03-01T10:00", "50.00"), signup(L1)).reason == \
        "not_signed_provider"


def test_emergency_and_referral_elsewhere_are_paid_at_the_treating_level():
    selected = signup(L1)
    # an in-city emergency at L3: 300 × 55% = 165 → L3 cap 150, charged to the selected provider
    emergency = _decide(member(), L3, visit("2024-03-01T10:00", "300.00", emergency=True), selected)
    assert (emergency.ratio, emergency.fund_pay, emergency.charged_provider_code) == (D("0.55"), D("150.00"), "HY-L1")
    # out of the city it is paid fee-for-service on the treating provider's line
    away = _decide(member(), OUT_OF_CITY, visit("2024-03-01T10:00", "100.00", emergency=True), selected)
    assert (away.fund_pay, away.charged_provider_code) == (D("55.00"), "GZ-H3")
    # an approved referral to L2: 100 × 60% = 60
    referral = _decide(member(), L2, visit("2024-03-01T10:00", "100.00", referral=True), selected)
    assert (referral.ratio, referral.fund_pay) == (D("0.60"), D("60.00"))
    # without either, another provider is not paid
    assert _decide(member(), L2, visit("2024-03-01T10:00", "100.00"), selected).reason == "not_signed_provider"


def test_emergency_without_a_selection_is_paid_at_the_treating_level_fee_for_service():
    # RULES.md Heyuan (第十七条): an emergency without a selection in effect is paid at the treating
    # provider's level under the year's annual cap, charged to the treating provider (fee-for-service).
    # given no selection at all: L3 100 × 55% = 55 (under the L3 per-visit cap 150), full cap 1 800
    decision = _decide(member(), L3, visit("2024-03-01T10:00", "100.00", emergency=True), None)
    assert (decision.status, decision.ratio, decision.fund_pay) == ("settled", D("0.55"), D("55.00"))
    assert (decision.annual_cap, decision.charged_provider_code) == (D("1800.00"), "HY-L3")
    # given a first selection effective 2024-05-10, not yet in effect on 2024-03-01: the year's cap is
    # the prorated one, 1 800 ÷ 12 × 8 (May–December) = 1 200; with 1 190 already paid, an L2
    # emergency of 200 × 60% = 120 (at the L2 per-visit cap) is clipped to 1 200 − 1 190 = 10
    before_first = signup(None, first_effective_on=date(2024, 5, 10))
    clipped = _decide(member(), L2, visit("2024-03-01T10:00", "200.00", emergency=True), before_first,
                      {"fund": D("1190")})
    assert (clipped.annual_cap, clipped.fund_pay, clipped.charged_provider_code) == (D("1200.00"), D("10.00"), "HY-L2")
    # a village station's emergency is charged to its centre
    station = _decide(member(), STATION, visit("2024-03-01T10:00", "50.00", emergency=True), None)
    assert (station.fund_pay, station.charged_provider_code) == (D("35.00"), "HY-L1")  # 50 × 70% = 35
    # without a selection, anything but an emergency is still not paid (a referral included)
    assert _decide(member(), L2, visit("2024-03-01T10:00", "100.00"), None).reason == "not_signed_provider"
    assert _decide(member(), L2, visit("2024-03-01T10:00", "100.00", referral=True), None).reason == \
        "not_signed_provider"


def test_annual_cap_reached_in_the_middle_of_a_visit():
    decision = _decide(member(), L3, visit("2024-12-01T10:00", "300.00"), signup(L3), {"fund": D("1700")})
    assert (decision.fund_pay, decision.ratio) == (D("100.00"), D("0.55"))
