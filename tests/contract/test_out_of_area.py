"""Out-of-area care 异地就医 checked from outside (RULES.md "Out-of-area care", CONTRACT.md "Out-of-area
registrations" and the claim's ``out_of_area``): registrations, then each region's table row, with
every figure computed by hand in a comment."""
import pytest

from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, paid

pytestmark = pytest.mark.django_db
URL = "/api/v1/out-of-area-registrations/"
GUANGZHOU, SHANGHAI = "440100", "310100"


def registered(w, member, **kwargs) -> dict:
    response = w.register(member, **kwargs)
    assert response.status_code == 201, response.json()
    return response.json()


def cancel(w, registration_id, day: str):
    return w.client.post(f"{URL}{registration_id}/cancel/", {"cancelled_on": day}, format="json")


# -- registrations (CONTRACT.md "Out-of-area registrations") ------------------------------------------

def test_an_overlap_to_another_destination_is_refused_and_a_cancellation_frees_the_days(world):
    # given a Nanyang member with an open long-term registration to Guangzhou from 2024-01-01
    w = world(NANYANG)
    member = w.member()
    first = registered(w, member, start_on="2024-01-01")
    # when a temporary one to Shanghai falls inside it: 400 on ... (at most one in force on any day,
    # whatever the destination: RULES.md "Registration")
    refused = w.register(member, kind="temporary", dest=SHANGHAI, start_on="2024-06-01", end_on="2024-06-10")
    assert refused.status_code == 400
    # when the first is cancelled on 2024-05-31: 200, end_on = the cancellation day
    done = cancel(w, first["id"], "2024-05-31")
    assert done.status_code == 200, done.json()
    assert (done.json()["end_on"], done.json()["cancelled_on"]) == ("2024-05-31", "2024-05-31")
    # then the Shanghai trip from 2024-06-01 is accepted, and the list shows both
    registered(w, member, kind="temporary", dest=SHANGHAI, start_on="2024-06-01", end_on="2024-06-10")
    listed = w.client.get(URL, {"admdvs": NANYANG, "certno": member}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert sorted(r["dest_admdvs"] for r in rows) == [SHANGHAI, GUANGZHOU]


def test_cancellation_on_the_start_day_and_on_the_end_day_then_after_the_end(world):
    w = world(ZIBO)
    member, other = w.member(), w.member()
    # a cancellation on start_on itself is allowed ("not before start_on"): end_on = start_on
    first = registered(w, member, start_on="2024-03-01")
    assert cancel(w, first["id"], "2024-03-01").json()["end_on"] == "2024-03-01"
    # a temporary registration ending 2024-04-10: cancelling on its last day is allowed (it had not
    # ended *before* that day); on 2024-04-11 it had: 409
    trip = registered(w, other, kind="temporary", start_on="2024-04-01", end_on="2024-04-10")
    assert cancel(w, trip["id"], "2024-04-11").status_code == 409
    assert cancel(w, trip["id"], "2024-04-10").status_code == 200
    # an unknown registration: 404
    assert cancel(w, 987654321, "2024-04-10").status_code == 404


def test_a_district_code_is_not_a_destination(world):
    # dest_admdvs is a city-level code: 440103 is a district of Guangzhou → 400 on dest_admdvs
    w = world(GANZHOU)
    response = w.register(w.member(), dest="440103", start_on="2024-01-01")
    assert response.status_code == 400 and "dest_admdvs" in response.json()


# -- Nanyang 第十五条 ------------------------------------------------------------------------------

def test_nanyang_temporary_registration_is_inclusive_of_its_end_day(world):
    # given a temporary registration to Guangzhou 2024-04-01 … 2024-04-10 and an L3 hospital there
    w = world(NANYANG)
    member, away = w.member(), w.provider(level="3", admdvs=GUANGZHOU)
    registered(w, member, kind="temporary", start_on="2024-04-01", end_on="2024-04-10")
    # on the last day: local rules at L3, deductible 50, (1000 − 50) × 50% = 475.00
    on_end = w.claim(member, away, "2024-04-10T20:00:00+08:00", "1000.00")
    assert (on_end["out_of_area"], *paid(on_end)) == ("temporary", "50.00", "0.5000", "475.00", None)
    # the day after: no registration in force → not covered, nothing charged
    after = w.claim(member, away, "2024-04-11T09:00:00+08:00", "1000.00")
    assert (after["out_of_area"], after["status"], after["reason"], after["hifp_pay"], after["act_pay_dedc"]) == (
        "unregistered", "not_covered", "out_of_area_not_registered", "0.00", "0.00")


def test_nanyang_out_of_area_visits_keep_the_24_hour_window_and_the_shared_cap(world):
    # given a long-term registration to Guangzhou and an L2 hospital there; employed (cap 1 500)
    w = world(NANYANG)
    member, away, home = w.member(), w.provider(level="2", admdvs=GUANGZHOU), w.provider(level="2")
    registered(w, member, start_on="2024-01-01")
    # 10:00 → deductible 30, (530 − 30) × 55% = 275.00
    assert paid(w.claim(member, away, "2024-03-01T10:00:00+08:00", "530.00")) == (
        "30.00", "0.5500", "275.00", None)
    # 23 hours later at the same provider: the window is open, no deductible: 200 × 55% = 110.00
    assert paid(w.claim(member, away, "2024-03-02T09:00:00+08:00", "200.00")) == ("0.00", "0.5500", "110.00", None)
    # at home (another provider) the next day: its own deductible 30: (2230 − 30) × 55% = 1 210.00,
    # and the cap 1 500 − (275 + 110) = 1 115 left → 1 115.00
    home_visit = w.claim(member, home, "2024-03-02T10:00:00+08:00", "2230.00")
    assert paid(home_visit) == ("30.00", "0.5500", "1115.00", None)
    assert w.accumulators(member, 2024)["cap_left"] == "0.00"


def test_nanyang_a_sent_out_of_area_is_checked_against_the_registrations(world):
    w = world(NANYANG)
    member, away, home = w.member(), w.provider(level="1", admdvs=GUANGZHOU), w.provider(level="1")
    registered(w, member, kind="temporary", start_on="2024-04-01", end_on="2024-04-30")
    # a temporary visit sent as long_term, or a local visit sent as temporary: 400 on out_of_area
    for provider, sent in ((away, "long_term"), (away, "none"), (home, "temporary")):
        response = w.claim_response(member, provider, "2024-04-02T10:00:00+08:00", out_of_area=sent)
        assert response.status_code == 400 and "out_of_area" in response.json(), (provider, sent)
    # the agreeing value is accepted: L1, no deductible, 100 × 60% = 60.00
    agreed = w.claim(member, away, "2024-04-02T10:00:00+08:00", out_of_area="temporary")
    assert paid(agreed) == ("0.00", "0.6000", "60.00", None)
    # and a manual claim for a local visit is not restricted by 第十五条: 60.00
    assert w.claim(member, home, "2024-04-03T10:00:00+08:00", channel="manual")["hifp_pay"] == "60.00"


# -- Zibo 第六条 -----------------------------------------------------------------------------------

def test_zibo_long_term_is_local_and_shares_the_level_deductible_temporary_pays_10_percent_first(world):
    # given a long-term registration to Guangzhou; L2 providers there and at home (employed, 2024)
    w = world(ZIBO)
    member, away, home = w.member(), w.provider(level="2", admdvs=GUANGZHOU), w.provider(level="2")
    registered(w, member, start_on="2024-01-01", end_on="2024-05-31")
    # long-term: local L2 rules: deductible 500, (800 − 500) × 60% = 180.00
    assert paid(w.claim(member, away, "2024-03-01T10:00:00+08:00", "800.00")) == ("500.00", "0.6000", "180.00", None)
    # at home the L2 deductible is already met: 100 × 60% = 60.00
    assert paid(w.claim(member, home, "2024-03-02T10:00:00+08:00", "100.00")) == ("0.00", "0.6000", "60.00", None)
    # after the registration ends the visit there is unregistered = temporary (Reading): the member
    # first pays 10% of 333.35 = 33.335 → 33.34 (an amount paid, rounded on its own), then
    # (333.35 − 33.34) × 60% = 300.01 × 0.6 = 180.006 → 180.01
    later = w.claim(member, away, "2024-06-01T10:00:00+08:00", "333.35")
    assert (later["out_of_area"], *paid(later)) == ("unregistered", "0.00", "0.6000", "180.01", None)


def test_zibo_temporary_first_pay_comes_before_the_level_deductible(world):
    # given a retired member (65% at L1 from 2024) on a registered temporary trip to Shanghai
    w = world(ZIBO)
    member, away = w.member(psn_type="1201", retired_on="2020-01-15"), w.provider(level="1", admdvs=SHANGHAI)
    registered(w, member, kind="temporary", dest=SHANGHAI, start_on="2024-07-01", end_on="2024-07-31")
    # 10% of 80 = 8.00 first; base 72.00; L1 deductible 50 → (72 − 50) × 65% = 14.30
    claim = w.claim(member, away, "2024-07-02T10:00:00+08:00", "80.00")
    assert (claim["out_of_area"], *paid(claim)) == ("temporary", "50.00", "0.6500", "14.30", None)
    # and the L1 deductible is then met: 10% of 100 = 10; (100 − 10) × 65% = 58.50
    assert paid(w.claim(member, away, "2024-07-03T10:00:00+08:00", "100.00")) == ("0.00", "0.6500", "58.50", None)
    assert w.accumulators(member, 2024)["deductible_paid"]["1"] == "50.00"


# -- Ganzhou 第八条 --------------------------------------------------------------------------------

def test_ganzhou_registered_tcm_retired_and_unregistered_elsewhere(world):
    # given a retired member with a long-term registration to Guangzhou and a visit in Shanghai too
    w = world(GANZHOU)
    member = w.member(psn_type="1201", retired_on="2019-06-03")
    gz, sh = w.provider(level="3", admdvs=GUANGZHOU), w.provider(level="3", admdvs=SHANGHAI)
    registered(w, member, start_on="2024-01-01")
    # Shanghai is not the destination: unregistered, not covered
    elsewhere = w.claim(member, sh, "2024-02-01T10:00:00+08:00", "1000.00")
    assert (elsewhere["out_of_area"], elsewhere["reason"], elsewhere["hifp_pay"]) == (
        "unregistered", "out_of_area_not_registered", "0.00")
    # Guangzhou TCM at L3: deductible 300 (shared accumulator), ratio 50% + 5 retired + 5 TCM = 60%:
    # (1000 − 300) × 60% = 420.00
    tcm = w.claim(member, gz, "2024-02-02T10:00:00+08:00", "1000.00", benefit="tcm")
    assert (tcm["out_of_area"], *paid(tcm)) == ("long_term", "300.00", "0.6000", "420.00", None)
    # then an ordinary visit there owes 600 − 300 = 300 more: (500 − 300) × 55% = 110.00
    assert paid(w.claim(member, gz, "2024-02-03T10:00:00+08:00", "500.00")) == ("300.00", "0.5500", "110.00", None)


# -- Nanchang 第三十一、三十二条 -----------------------------------------------------------------------

def test_nanchang_resettled_cap_follows_the_age_group_of_each_year(world):
    # given a member born 1971 (2023: age 52 → group 3, 141; 2024: age 53 → group 4, 181), signed with
    # a township centre, resettled to Guangzhou from 2022-05-01 (benefit from 2023-01-01)
    from datetime import date

    w = world(NANCHANG)
    member = w.member(birth=date(1971, 8, 1))
    home, away = w.provider(), w.provider(kind="community", admdvs=GUANGZHOU)
    assert w.signup(member, home, applied_on="2022-03-01").status_code == 201
    registered(w, member, kind="resettled", start_on="2022-05-01")
    # 2023: 300 × 60% = 180 → cut to the cap 141.00, charged to the signed provider
    first = w.claim(member, away, "2023-03-01T10:00:00+08:00", "300.00")
    assert (first["out_of_area"], *paid(first), first["charged_fixmedins_code"]) == (
        "long_term", "0.00", "0.6000", "141.00", None, home)
    # 2024: a new cap of 181: 200 × 60% = 120.00 out of area, then at home 200 × 60% = 120 → 61.00
    assert w.claim(member, away, "2024-03-01T10:00:00+08:00", "200.00")["hifp_pay"] == "120.00"
    assert w.claim(member, home, "2024-03-02T10:00:00+08:00", "200.00")["hifp_pay"] == "61.00"
    assert w.accumulators(member, 2024)["annual_cap"] == "181.00"


def test_nanchang_resettled_late_december_start_waits_for_1_january_poverty_no_family_doctor_bonus(world):
    # given a poverty-registered member with a family-doctor agreement at the signed centre, resettled
    # from 2023-12-31 to Guangzhou; a village clinic and a hospital there
    w = world(NANCHANG)
    member = w.member(poverty=True)
    home = w.provider()
    centre = w.provider(admdvs=GUANGZHOU)
    village = w.provider(kind="village", admdvs=GUANGZHOU, parent=centre)
    hospital = w.provider(level="2", admdvs=GUANGZHOU)
    assert w.signup(member, home, applied_on="2023-02-01", family_doctor=True).status_code == 201
    registered(w, member, kind="resettled", start_on="2023-12-31")
    # 2023-12-31 out of area: the registration's own year → not covered
    waiting = w.claim(member, village, "2023-12-31T10:00:00+08:00", "100.00")
    assert (waiting["status"], waiting["reason"], waiting["hifp_pay"]) == (
        "not_covered", "resettled_waiting_year", "0.00")
    # 2024-01-01 at the village clinic (primary level): poverty 65%, no +5 away: 100 × 65% = 65.00
    assert paid(w.claim(member, village, "2024-01-01T10:00:00+08:00", "100.00")) == (
        "0.00", "0.6500", "65.00", None)
    # a hospital there is not primary care: not covered
    assert w.claim(member, hospital, "2024-01-02T10:00:00+08:00", "100.00")["reason"] == "resettled_not_primary_care"
    # at the signed centre itself: 65% + 5 = 70%: 100 × 70% = 70.00 (age 54 → cap 181, 135 used)
    assert paid(w.claim(member, home, "2024-01-03T10:00:00+08:00", "100.00")) == ("0.00", "0.7000", "70.00", None)


def test_nanchang_cancellation_blocks_the_signed_provider_to_31_december_only(world):
    # given a resettled member (from 2023-02-01) signed with a township centre
    w = world(NANCHANG)
    member, home = w.member(), w.provider()
    assert w.signup(member, home, applied_on="2023-01-05").status_code == 201
    registration = registered(w, member, kind="resettled", start_on="2023-02-01")
    # when cancelled on 2024-06-10
    assert cancel(w, registration["id"], "2024-06-10").status_code == 200
    # then the day before is covered (60%), the cancellation day and after are not
    assert w.claim(member, home, "2024-06-09T10:00:00+08:00", "100.00")["hifp_pay"] == "60.00"
    refused = w.claim(member, home, "2024-06-10T10:00:00+08:00", "100.00")
    assert (refused["reason"], refused["hifp_pay"]) == ("resettlement_cancelled", "0.00")
    assert w.claim(member, home, "2024-12-31T10:00:00+08:00", "100.00")["reason"] == "resettlement_cancelled"
    # and from 1 January the ordinary rules again, with no cap (no resettled benefit in 2025)
    assert w.claim(member, home, "2025-01-02T10:00:00+08:00", "1000.00")["hifp_pay"] == "600.00"
    assert w.accumulators(member, 2025)["annual_cap"] is None


# -- Heyuan 第五条(三), 第十六条 -----------------------------------------------------------------------

def test_heyuan_out_of_city_selection_first_year_prorated_cap_and_per_visit_cap(world):
    # given a member with a long-term registration to Guangzhou from 2024-01-15 who first selects an
    # L2 hospital there on 2024-03-04 (cap 1 800 ÷ 12 × 10 months = 1 500.00)
    w = world(HEYUAN)
    member, away = w.member(), w.provider(level="2", admdvs=GUANGZHOU)
    registered(w, member, start_on="2024-01-15")
    pharmacy = w.provider(kind="pharmacy", admdvs=GUANGZHOU)
    # a pharmacy cannot be selected (第十六条: any level, not a pharmacy)
    assert w.signup(member, pharmacy, applied_on="2024-03-04").status_code == 400
    assert w.signup(member, away, applied_on="2024-03-04").status_code == 201
    assert w.accumulators(member, 2024)["annual_cap"] == "1500.00"
    # L2 employed 60%: 150 × 60% = 90.00; 500 × 60% = 300 → per-visit cap 120.00; paid to the hospital
    first = w.claim(member, away, "2024-03-05T10:00:00+08:00", "150.00")
    assert (first["out_of_area"], *paid(first), first["charged_fixmedins_code"]) == (
        "long_term", "0.00", "0.6000", "90.00", None, away)
    assert w.claim(member, away, "2024-03-06T10:00:00+08:00", "500.00")["hifp_pay"] == "120.00"
    # another Guangzhou provider without emergency: not covered (only the selection or an emergency)
    other = w.provider(level="1", admdvs=GUANGZHOU)
    assert w.claim(member, other, "2024-03-07T10:00:00+08:00")["status"] == "not_covered"
    # with emergency: treating level L1 70%: 100 → 70.00 (per-visit cap 60) → 60.00
    assert w.claim(member, other, "2024-03-08T10:00:00+08:00", emergency=True)["hifp_pay"] == "60.00"


def test_heyuan_unregistered_out_of_city_only_emergency_and_no_temporary_kind(world):
    # given a member who selected a city L1 centre and has no registration
    w = world(HEYUAN)
    member, home, away = w.member(), w.provider(), w.provider(level="3", admdvs=SHANGHAI)
    assert w.signup(member, home, applied_on="2024-01-02").status_code == 201
    assert w.register(member, kind="temporary", dest=SHANGHAI, start_on="2024-05-01",
                      end_on="2024-05-10").status_code == 400
    # non-emergency in Shanghai: not covered
    refused = w.claim(member, away, "2024-05-02T10:00:00+08:00", "1000.00")
    assert (refused["out_of_area"], refused["reason"], refused["hifp_pay"]) == (
        "unregistered", "out_of_area_not_registered", "0.00")
    # emergency: treating level L3, employed 55%: 1000 × 55% = 550 → per-visit cap 150.00, fee-for-service
    emergency = w.claim(member, away, "2024-05-02T11:00:00+08:00", "1000.00", emergency=True)
    assert (*paid(emergency), emergency["charged_fixmedins_code"]) == ("0.00", "0.5500", "150.00", None, away)


# -- further edges ---------------------------------------------------------------------------------------

def test_a_cancelled_registration_cancelled_again_later_is_a_409_and_on_its_day_or_earlier_a_200(world):
    # CONTRACT.md: cancel → 200; 409 "if already ended before that day"
    w = world(NANYANG)
    member, away = w.member(), w.provider(level="1", admdvs=GUANGZHOU)
    registration = registered(w, member, start_on="2024-01-01")
    assert cancel(w, registration["id"], "2024-05-31").status_code == 200
    # a later day: it ended before that day, a 409 that changes nothing
    assert cancel(w, registration["id"], "2024-06-05").status_code == 409
    # the same day again (a retried request): 200, unchanged
    same = cancel(w, registration["id"], "2024-05-31")
    assert (same.status_code, same.json()["end_on"]) == (200, "2024-05-31")
    # the registration covered its last day (L1, 100 × 60% = 60.00) and not the day after
    assert w.claim(member, away, "2024-05-31T10:00:00+08:00")["hifp_pay"] == "60.00"
    assert w.claim(member, away, "2024-06-01T10:00:00+08:00")["out_of_area"] == "unregistered"
    # an earlier day: it had not ended before it, so the end moves there (200)
    earlier = cancel(w, registration["id"], "2024-05-20")
    assert (earlier.status_code, earlier.json()["end_on"], earlier.json()["cancelled_on"]) == (
        200, "2024-05-20", "2024-05-20")
    assert w.claim(member, away, "2024-05-21T10:00:00+08:00")["out_of_area"] == "unregistered"


def test_a_destination_may_be_another_of_the_five_regions(world):
    # a Nanyang member on a registered trip to Zibo: a Zibo L2 hospital is out of area for them and
    # follows Nanyang's rules at L2: deductible 30, (330 − 30) × 55% = 165.00
    w = world(NANYANG)
    member, zibo_hospital = w.member(), world(ZIBO).provider(level="2")
    registered(w, member, kind="temporary", dest=ZIBO, start_on="2024-04-01", end_on="2024-04-30")
    claim = w.claim(member, zibo_hospital, "2024-04-02T10:00:00+08:00", "330.00")
    assert (claim["out_of_area"], *paid(claim)) == ("temporary", "30.00", "0.5500", "165.00", None)


def test_nanchang_cancellation_in_the_registrations_own_year_still_blocks_the_signed_provider(world):
    # 第三十二条 as RULES.md states it: from the cancellation day to 31 December, whatever the year
    w = world(NANCHANG)
    member, home = w.member(), w.provider()
    assert w.signup(member, home, applied_on="2024-01-05").status_code == 201
    registration = registered(w, member, kind="resettled", start_on="2024-03-01")
    # in the registration's own year local visits follow the ordinary rules, uncapped: 1000 × 60%
    assert w.claim(member, home, "2024-04-01T10:00:00+08:00", "1000.00")["hifp_pay"] == "600.00"
    assert w.accumulators(member, 2024)["annual_cap"] is None
    assert cancel(w, registration["id"], "2024-09-01").status_code == 200
    assert w.claim(member, home, "2024-09-02T10:00:00+08:00")["reason"] == "resettlement_cancelled"


def test_heyuan_out_of_city_selection_needs_the_registration_on_its_effective_day(world):
    # given a member who selected a city centre in 2024 and registers long-term to Guangzhou from 2025-01-01
    w = world(HEYUAN)
    member, home, away = w.member(), w.provider(), w.provider(level="3", admdvs=GUANGZHOU)
    shenzhen = w.provider(level="2", admdvs="440300")
    assert w.signup(member, home, applied_on="2024-01-02").status_code == 201
    registered(w, member, start_on="2025-01-01")
    # an address change now would take effect 2024-11-01, before the registration: 400
    assert w.signup(member, away, applied_on="2024-10-08", reason="address_change").status_code == 400
    # a selection in another city than the destination: 400
    assert w.signup(member, shenzhen, applied_on="2024-10-08", reason="annual").status_code == 400
    # the annual selection in the window takes effect 2025-01-01, when the registration is in force: 201
    annual = w.signup(member, away, applied_on="2024-10-08", reason="annual")
    assert annual.status_code == 201 and annual.json()["effective_from"] == "2025-01-01"
    # 2024 visits at home are still covered (L1 70%, per-visit 60): 80 × 70% = 56.00
    assert w.claim(member, home, "2024-12-30T10:00:00+08:00", "80.00")["hifp_pay"] == "56.00"
    # 2025 at the Guangzhou L3: 200 × 55% = 110.00 (per-visit cap 150); the city centre no longer
    assert w.claim(member, away, "2025-01-03T10:00:00+08:00", "200.00")["hifp_pay"] == "110.00"
    assert w.claim(member, home, "2025-01-04T10:00:00+08:00")["reason"] == "not_signed_provider"


def test_nanchang_resettled_member_keeps_a_sign_up_in_the_city(world):
    # a Nanchang sign-up is with a provider of the region, even for a resettled member (only Heyuan
    # selects out of the city, 第十六条): a Guangzhou township centre is refused
    w = world(NANCHANG)
    member, away = w.member(), w.provider(admdvs=GUANGZHOU)
    registered(w, member, kind="resettled", start_on="2023-01-01")
    assert w.signup(member, away, applied_on="2024-01-02").status_code == 400


def test_an_unrated_out_of_area_provider_is_level_1(world):
    # dedc_hosp_lv "9" 未定级 is treated as 1: Nanyang no deductible, employed 60%: 100 → 60.00
    w = world(NANYANG)
    member, away = w.member(), w.provider(level="9", admdvs=GUANGZHOU)
    registered(w, member, start_on="2024-01-01")
    assert paid(w.claim(member, away, "2024-03-01T10:00:00+08:00")) == ("0.00", "0.6000", "60.00", None)


@pytest.mark.parametrize("missing", ["kind", "dest_admdvs", "start_on"])
def test_a_registration_without_a_required_field_is_a_400_naming_it(world, missing):
    w = world(GANZHOU)
    body = {"certno": w.member(), "admdvs": GANZHOU, "kind": "long_term", "dest_admdvs": GUANGZHOU,
            "start_on": "2024-01-01"}
    del body[missing]
    response = w.client.post(URL, body, format="json")
    assert response.status_code == 400 and missing in response.json()
    assert w.client.get(f"{URL}987654321/").status_code == 404
