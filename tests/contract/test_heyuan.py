"""Heyuan 河源 (RULES.md "Heyuan"), checked from outside through the REST API; figures by hand."""
import pytest

from tests.contract.world import HEYUAN, paid

pytestmark = pytest.mark.django_db


def test_retired_ratio_per_visit_cap_and_half_up(world):
    # given a retired member (since 2023) who selected an L2 hospital, and an employed one at an L3
    w = world(HEYUAN)
    retired, employed = w.member(psn_type="1201", retired_on="2023-01-10"), w.member()
    l2, l3 = w.provider(level="2"), w.provider(level="3")
    assert w.signup(retired, l2, applied_on="2024-01-02").status_code == 201
    assert w.signup(employed, l3, applied_on="2024-01-02").status_code == 201
    # then retired L2 65%: 100 → 65.00; 300 → 195 cut to the L2 per-visit cap 120.00
    assert paid(w.claim(retired, l2, "2024-03-01T10:00:00+08:00", "100.00")) == ("0.00", "0.6500", "65.00", None)
    assert paid(w.claim(retired, l2, "2024-03-02T10:00:00+08:00", "300.00")) == ("0.00", "0.6500", "120.00", None)
    # and employed L3 55%: 100.30 × 0.55 = 55.165 → 55.17 (half-up)
    assert paid(w.claim(employed, l3, "2024-03-01T10:00:00+08:00", "100.30")) == ("0.00", "0.5500", "55.17", None)


def test_december_first_selection_cap_binds_mid_visit_and_next_year_is_full(world):
    # given a first selection on 2024-12-05 of an L3 hospital by a retired member (60%, per visit 150)
    w = world(HEYUAN)
    member, l3 = w.member(psn_type="1201", retired_on="2020-03-01"), w.provider(level="3")
    assert w.signup(member, l3, applied_on="2024-12-05").status_code == 201
    # then the 2024 cap is 1 800 ÷ 12 × 1 = 150.00
    assert w.accumulators(member, 2024)["annual_cap"] == "150.00"
    # when 100 (→ 60) then 200 (→ 120, per-visit cap 150, cap left 90)
    a = w.claim(member, l3, "2024-12-06T10:00:00+08:00", "100.00")
    b = w.claim(member, l3, "2024-12-07T10:00:00+08:00", "200.00")
    assert (a["hifp_pay"], b["hifp_pay"]) == ("60.00", "90.00")
    # and in 2025 the full 1 800 applies (not a first selection any more)
    assert w.accumulators(member, 2025)["annual_cap"] == "1800.00"
    assert w.claim(member, l3, "2025-01-02T10:00:00+08:00", "200.00")["hifp_pay"] == "120.00"


def test_address_change_moves_the_selection_on_the_1st_of_the_next_month(world):
    # given a member who selected A and asks on 2024-03-10 to move to B (address_change → 2024-04-01)
    w = world(HEYUAN)
    member, a, b = w.member(), w.provider(level="1"), w.provider(level="1")
    assert w.signup(member, a, applied_on="2024-01-05").status_code == 201
    change = w.signup(member, b, applied_on="2024-03-10", reason="address_change")
    assert change.status_code == 201 and change.json()["effective_from"] == "2024-04-01"
    # then on 31 March A still pays (70%) and B does not; on 1 April the reverse
    assert w.claim(member, a, "2024-03-31T22:00:00+08:00", "50.00")["hifp_pay"] == "35.00"
    assert w.claim(member, b, "2024-03-31T22:00:00+08:00", "50.00")["reason"] == "not_signed_provider"
    assert w.claim(member, b, "2024-04-01T08:00:00+08:00", "50.00")["hifp_pay"] == "35.00"
    assert w.claim(member, a, "2024-04-01T08:00:00+08:00", "50.00")["reason"] == "not_signed_provider"


def test_before_august_2022_nothing_is_covered(world):
    w = world(HEYUAN)
    member, clinic = w.member(), w.provider(level="1")
    assert w.signup(member, clinic, applied_on="2022-06-01").status_code in (201, 400)
    claim = w.claim(member, clinic, "2022-07-31T10:00:00+08:00", "50.00")
    assert (claim["status"], claim["hifp_pay"]) == ("not_covered", "0.00")


def test_retirement_switches_the_ratio_the_month_after_and_the_per_visit_cap_stays(world):
    # given a member retiring on 2024-05-31 (retired from 1 June) who selected an L3 hospital
    w = world(HEYUAN)
    member, l3 = w.member(psn_type="1201", retired_on="2024-05-31"), w.provider(level="3")
    assert w.signup(member, l3, applied_on="2024-01-02").status_code == 201
    # then 31 May: employed 55%: 100 × 0.55 = 55; 1 June: retired 60%: 60; 300 × 0.6 = 180 → per-visit 150
    assert paid(w.claim(member, l3, "2024-05-31T10:00:00+08:00")) == ("0.00", "0.5500", "55.00", None)
    assert paid(w.claim(member, l3, "2024-06-01T10:00:00+08:00")) == ("0.00", "0.6000", "60.00", None)
    assert w.claim(member, l3, "2024-06-02T10:00:00+08:00", "300.00")["hifp_pay"] == "150.00"


def test_an_unrated_selected_provider_is_level_1(world):
    # given a selection of an unrated clinic (dedc_hosp_lv "9" = level 1): employed 70%, per visit 60
    w = world(HEYUAN)
    member, clinic = w.member(), w.provider(level="9")
    assert w.signup(member, clinic, applied_on="2024-01-02").status_code == 201
    # then 50 × 0.7 = 35.00 and 200 × 0.7 = 140 → 60.00
    assert paid(w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "50.00")) == ("0.00", "0.7000", "35.00", None)
    assert w.claim(member, clinic, "2024-03-02T10:00:00+08:00", "200.00")["hifp_pay"] == "60.00"


def test_unregistered_out_of_city_only_an_emergency_at_the_treating_level_fee_for_service(world):
    # given a member who selected an in-city L1 centre and a Guangzhou L3 hospital, no registration
    w = world(HEYUAN)
    member, centre, away = w.member(), w.provider(), w.provider(level="3", admdvs="440100")
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    # when an emergency there, then a planned visit
    emergency = w.claim(member, away, "2024-03-01T10:00:00+08:00", "1000.00", emergency=True)
    planned = w.claim(member, away, "2024-03-02T10:00:00+08:00", "100.00")
    # then the emergency is paid at L3: 1 000 × 0.55 = 550 → per-visit cap 150, paid fee-for-service to
    # the hospital (outside capitation: RULES.md "Heyuan", "Out-of-area care" table); the visit is not
    assert emergency["out_of_area"] == "unregistered"
    assert paid(emergency) == ("0.00", "0.5500", "150.00", None)
    assert emergency["charged_fixmedins_code"] == away
    assert (planned["status"], planned["hifp_pay"]) == ("not_covered", "0.00")
    assert w.accumulators(member, 2024)["cap_left"] == "1650.00"
