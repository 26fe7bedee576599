"""Nanyang 南阳 (宛政办〔2022〕42号): per-visit deductible with the 24-hour window, ratios, caps, 第十五条."""
from datetime import date

from policy.rules.common import YearToDate

from .support import D, Ledger, member, params_on, provider, visit

NY = "411300"
L1, L2, L3 = provider("NY-L1", "1"), provider("NY-L2", "2"), provider("NY-L3", "3")
OTHER_L2 = provider("NY-L2B", "2")


def test_the_window_is_24_hours_from_the_opening_visit_and_then_a_new_one_opens():
    ledger = Ledger(NY)
    employed = member()
    # given a first L2 visit at 10:00 (deductible 30), when the member comes back within 24 hours
    first = ledger.claim(member=employed, provider=L2, visit=visit("2024-03-01T10:00", "200.00"))
    same_evening = ledger.claim(member=employed, provider=L2, visit=visit("2024-03-01T20:00", "20.00"))
    next_morning = ledger.claim(member=employed, provider=L2, visit=visit("2024-03-02T09:59", "50.00"))
    # then the window has its one deductible; at exactly 24 hours it is closed and a new one opens
    at_24_hours = ledger.claim(member=employed, provider=L2, visit=visit("2024-03-02T10:00", "50.00"))
    assert [d.deductible for d in (first, same_evening, next_morning, at_24_hours)] == [D("30"), 0, 0, D("30")]
    # (200 − 30) × 55% = 93.50; 20 × 55% = 11.00; 50 × 55% = 27.50; (50 − 30) × 55% = 11.00
    assert [d.fund_pay for d in (first, same_evening, next_morning, at_24_hours)] == [
        D("93.50"), D("11.00"), D("27.50"), D("11.00")]
    windows = {k: v for k, v in ledger.years[2024].items() if k.startswith("window:")}
    assert windows == {"window:NY-L2:2024-03-01T10:00:00+08:00": D("30.00"),
                       "window:NY-L2:2024-03-02T10:00:00+08:00": D("30.00")}


def test_small_visits_in_one_window_add_up_to_one_standard():
    ledger = Ledger(NY)
    # given three L3 visits within 24 hours of 20, 15 and 100 in-policy, then a fourth
    charged = [ledger.claim(member=member(), provider=L3, visit=visit(when, amount)).deductible
               for when, amount in [("2024-04-01T09:00", "20.00"), ("2024-04-01T12:00", "15.00"),
                                    ("2024-04-01T15:00", "100.00"), ("2024-04-01T18:00", "100.00")]]
    # then 20 + 15 + 15 = 50, one L3 standard, and nothing after
    assert charged == [D("20.00"), D("15.00"), D("15.00"), D("0")]


def test_windows_are_per_provider_and_level_1_has_none():
    ledger = Ledger(NY)
    a = ledger.claim(member=member(), provider=L2, visit=visit("2024-03-01T10:00", "100.00"))
    b = ledger.claim(member=member(), provider=OTHER_L2, visit=visit("2024-03-01T11:00", "100.00"))
    c = ledger.claim(member=member(), provider=L1, visit=visit("2024-03-01T12:00", "100.00"))
    assert (a.deductible, b.deductible, c.deductible) == (D("30"), D("30"), 0)
    assert not [k for k in c.deltas if k.startswith("window:")]
    assert c.fund_pay == D("60.00")                                # 100 × 60%, no deductible at L1


def test_reversing_the_opening_visit_closes_its_window():
    ledger = Ledger(NY)
    ledger.claim(member=member(), provider=L2, visit=visit("2024-03-01T10:00", "200.00"))
    # when the opening visit is reversed, the window holds 0 and is gone
    ledger.reverse(0)
    assert ledger.years[2024] == {}
    # then a visit two hours later opens a new window and owes the full standard
    later = ledger.claim(member=member(), provider=L2, visit=visit("2024-03-01T12:00", "100.00"))
    assert later.deductible == D("30") and later.fund_pay == D("38.50")


def test_a_window_opened_on_31_december_caps_the_deductible_of_1_january_at_what_is_left():
    ledger = Ledger(NY)
    employed = member()
    # given a window opened at L2 (standard 30) at 23:00 on 31 December by a visit of 10.00 eligible,
    # which is charged its whole 10
    opening = ledger.claim(member=employed, provider=L2, visit=visit("2024-12-31T23:00", "10.00"))
    assert (opening.deductible, opening.fund_pay) == (D("10.00"), D("0.00"))
    # when the member comes back at 01:00 on 1 January with 100.00, then at 05:00 with 50.00
    crossing = ledger.claim(member=employed, provider=L2, visit=visit("2025-01-01T01:00", "100.00"))
    later = ledger.claim(member=employed, provider=L2, visit=visit("2025-01-01T05:00", "50.00"))
    # then the window's one standard is 30: 20 is left for 1 January, (100 − 20) × 55% = 44.00, and
    # the 05:00 visit owes nothing more, 50 × 55% = 27.50
    assert (crossing.deductible, crossing.fund_pay) == (D("20.00"), D("44.00"))
    assert (later.deductible, later.fund_pay) == (D("0.00"), D("27.50"))
    # and each year's bucket holds what was charged in that year: the opening visit's under the
    # window's name, the 1 January one as the window's entry at its own time
    window = "window:NY-L2:2024-12-31T23:00:00+08:00"
    assert ledger.bucket(2024, window) == D("10.00")
    assert ledger.bucket(2025, f"{window}@2025-01-01T01:00:00+08:00") == D("20.00")


def test_a_visit_25_hours_after_a_window_opened_on_31_december_opens_a_new_one():
    ledger = Ledger(NY)
    ledger.claim(member=member(), provider=L2, visit=visit("2024-12-31T23:00", "100.00"))
    # when the member comes back at 00:00 on 2 January, 25 hours later
    later = ledger.claim(member=member(), provider=L2, visit=visit("2025-01-02T00:00", "100.00"))
    # then the window is closed: a new one, a full 30, (100 − 30) × 55% = 38.50
    assert (later.deductible, later.fund_pay) == (D("30.00"), D("38.50"))
    assert ledger.years[2025]["window:NY-L2:2025-01-02T00:00:00+08:00"] == D("30.00")


def test_reversing_the_1_january_visit_restores_that_year_only():
    ledger = Ledger(NY)
    ledger.claim(member=member(), provider=L2, visit=visit("2024-12-31T23:00", "10.00"))
    ledger.claim(member=member(), provider=L2, visit=visit("2025-01-01T01:00", "100.00"))
    # when the 1 January visit is reversed
    ledger.reverse(1)
    # then 2025 is back to nothing and 31 December's 10 stays in 2024
    assert ledger.years[2025] == {}
    assert ledger.years[2024]["window:NY-L2:2024-12-31T23:00:00+08:00"] == D("10.00")
    # and a visit within the window owes the 20 left of it again: (100 − 20) × 55% = 44.00
    again = ledger.claim(member=member(), provider=L2, visit=visit("2025-01-01T02:00", "100.00"))
    assert (again.deductible, again.fund_pay) == (D("20.00"), D("44.00"))


def test_cap_reached_in_the_middle_of_a_visit():
    params = params_on(NY, date(2024, 9, 1))
    # given an employed member with 1 450 already paid, when an L1 visit would pay 100 × 60% = 60
    decision = _decide(params, member(), L1, visit("2024-09-01T10:00", "100.00"), {"fund": D("1450")})
    # then only the 50 left of the 1 500 cap is paid; the ratio applied is still recorded
    assert (decision.fund_pay, decision.ratio, decision.annual_cap) == (D("50.00"), D("0.60"), D("1500"))
    # and once the cap is used up a further visit settles at 0
    after = _decide(params, member(), L1, visit("2024-09-02T10:00", "100.00"), {"fund": D("1500")})
    assert (after.status, after.fund_pay) == ("settled", D("0.00"))


def test_after_retirement_what_was_paid_counts_against_the_retired_cap():
    params = params_on(NY, date(2024, 7, 1))
    # given 1 480 paid while employed this year, when the now-retired member's L1 visit pays 1000 × 70%
    decision = _decide(params, member("retired"), L1, visit("2024-07-01T10:00", "1000.00"), {"fund": D("1480")})
    # then the merged count leaves 2 000 − 1 480 = 520
    assert (decision.fund_pay, decision.ratio) == (D("520.00"), D("0.70"))


def test_out_of_area_is_paid_only_when_registered_and_settled_directly():
    params = params_on(NY, date(2024, 5, 1))
    elsewhere = provider("BJ-1", "3", admdvs="110100")
    # the engine derives out_of_area from the provider's admdvs and the registration in force
    manual = _decide(params, member(), elsewhere,
                     visit("2024-05-01T10:00", "100.00", channel="manual", out_of_area="temporary"), {})
    direct = _decide(params, member(), elsewhere, visit("2024-05-01T10:00", "100.00", out_of_area="temporary"), {})
    unregistered = _decide(params, member(), elsewhere,
                           visit("2024-05-01T10:00", "100.00", out_of_area="unregistered"), {})
    local_manual = _decide(params, member(), L2, visit("2024-05-01T10:00", "100.00", channel="manual"), {})
    assert (manual.status, manual.reason, manual.fund_pay) == ("not_covered", "manual_out_of_area", 0)
    assert direct.fund_pay == D("25.00")                           # (100 − 50) × 50% at its level 3
    assert (unregistered.status, unregistered.reason) == ("not_covered", "out_of_area_not_registered")
    assert local_manual.status == "settled"                        # 第十五条 restricts out-of-area only


def test_rounding_once_half_up_and_village_clinic_charged_to_its_centre():
    params = params_on(NY, date(2024, 5, 1))
    # (100.01 − 30) × 55% = 38.5055 → 38.51
    assert _decide(params, member(), L2, visit("2024-05-01T10:00", "100.01"), {}).fund_pay == D("38.51")
    clinic = provider("NY-V", "1", kind="village", parent_code="NY-T")
    assert _decide(params, member(), clinic, visit("2024-05-01T10:00", "10"), {}).charged_provider_code == "NY-T"


def _decide(params, member_, provider_, visit_, buckets):
    from policy.rules import nanyang
    return nanyang.adjudicate(params=params, member=member_, provider=provider_, signup=None, visit=visit_,
                              ytd=YearToDate(visit_.day.year, buckets))


def test_reversing_the_opening_visit_leaves_the_window_opening_at_the_next_charged_one():
    ledger = Ledger(NY)
    # given an L3 window (standard 50) opened at 08:00 by 20.00, 10.00 more charged in it at 09:00
    ledger.claim(member=member(), provider=L3, visit=visit("2024-03-05T08:00", "20.00"))
    ledger.claim(member=member(), provider=L3, visit=visit("2024-03-05T09:00", "10.00"))
    # when the 08:00 visit is reversed (RULES.md: the accumulators as if it had not happened)
    ledger.reverse(0)
    # then the window opens at 09:00 with its 10: at 08:30 next day 40 is left, (100 − 40) × 50% = 30.00
    inside = ledger.claim(member=member(), provider=L3, visit=visit("2024-03-06T08:30", "100.00"))
    assert (inside.deductible, inside.fund_pay) == (D("40.00"), D("30.00"))
    # and at 09:00, 24 hours after the 09:00 visit, a new window: (100 − 50) × 50% = 25.00
    after = ledger.claim(member=member(), provider=L3, visit=visit("2024-03-06T09:00", "100.00"))
    assert (after.deductible, after.fund_pay) == (D("50.00"), D("25.00"))


def test_reversing_every_visit_charged_in_a_window_leaves_no_window():
    ledger = Ledger(NY)
    ledger.claim(member=member(), provider=L3, visit=visit("2024-03-05T08:00", "20.00"))
    ledger.claim(member=member(), provider=L3, visit=visit("2024-03-05T09:00", "10.00"))
    # when both are reversed, the later one first
    ledger.reverse(1)
    ledger.reverse(0)
    # then a visit at 10:00 opens a window of its own and owes the whole 50: (100 − 50) × 50% = 25.00
    again = ledger.claim(member=member(), provider=L3, visit=visit("2024-03-05T10:00", "100.00"))
    assert (again.deductible, again.fund_pay) == (D("50.00"), D("25.00"))
