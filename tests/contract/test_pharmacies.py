"""Designated retail pharmacies 定点零售药店 checked from outside (RULES.md "Designated retail pharmacies",
CONTRACT.md ``prescribing_fixmedins_code``): a filled prescription 外配处方 is a visit at the prescriber
(its level, deductible, caps), out of area by the pharmacy's own ``admdvs``, charged to the pharmacy."""
import pytest

from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, paid, run, run_lines

pytestmark = pytest.mark.django_db
GUANGZHOU = "440100"
FIELD = "prescribing_fixmedins_code"


def pharmacy(w, **kwargs) -> str:
    return w.provider(kind="pharmacy", **kwargs)


# -- Nanyang 第十三条: the fill shares the prescriber's 24-hour window ---------------------------------

def test_nanyang_fill_within_24_hours_owes_no_second_deductible_and_is_charged_to_the_pharmacy(world):
    # given an employed member, an L2 hospital and a pharmacy
    w = world(NANYANG)
    member, hospital, shop = w.member(), w.provider(level="2"), pharmacy(w)
    # the visit at 10:00: deductible 30, (200 − 30) × 55% = 93.50
    assert paid(w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "200.00")) == (
        "30.00", "0.5500", "93.50", None)
    # the fill 23 h later: inside the hospital's window, no deductible: 100 × 55% = 55.00, to the pharmacy
    fill = w.claim(member, shop, "2024-03-02T09:00:00+08:00", "100.00", **{FIELD: hospital})
    assert (*paid(fill), fill["charged_fixmedins_code"], fill[FIELD]) == (
        "0.00", "0.5500", "55.00", None, shop, hospital)
    # a second fill 25 h after the visit: a new window, deductible 30: (100 − 30) × 55% = 38.50
    late = w.claim(member, shop, "2024-03-02T11:00:00+08:00", "100.00", **{FIELD: hospital})
    assert paid(late) == ("30.00", "0.5500", "38.50", None)
    # and the fee-for-service run charges the pharmacy its own fund payments: 55 + 38.50 = 93.50
    lines = run_lines(w.client, run(w.client, NANYANG, "fee_for_service", "2024-03")["id"])
    assert (lines[shop]["visits"], lines[shop]["actual"]) == (2, "93.50")
    assert lines[hospital]["actual"] == "93.50"


def test_nanyang_fill_opens_the_window_a_visit_then_shares(world):
    # given a retired member (L3 60%) whose first contact is a fill of an L3 prescription
    w = world(NANYANG)
    member, hospital, shop = w.member(psn_type="1201", retired_on="2019-01-10"), w.provider(level="3"), pharmacy(w)
    # the fill: deductible 50 in the hospital's window: (150 − 50) × 60% = 60.00
    assert paid(w.claim(member, shop, "2024-05-01T08:00:00+08:00", "150.00", **{FIELD: hospital})) == (
        "50.00", "0.6000", "60.00", None)
    # the hospital visit 2 h later: same window, no deductible: 100 × 60% = 60.00
    assert paid(w.claim(member, hospital, "2024-05-01T10:00:00+08:00", "100.00")) == (
        "0.00", "0.6000", "60.00", None)


def test_without_a_prescription_not_covered_and_the_account_may_pay(world):
    w = world(NANYANG)
    member, shop = w.member(), pharmacy(w)
    claim = w.claim(member, shop, "2024-03-01T10:00:00+08:00", "80.00")
    assert (claim["status"], claim["reason"], claim["hifp_pay"], claim["psn_part_amt"]) == (
        "not_covered", "pharmacy_not_covered", "0.00", "80.00")


@pytest.mark.parametrize("prescriber", ["pharmacy", "other_region", "unknown", "destination_unregistered"])
def test_a_prescriber_that_may_not_prescribe_is_a_400_on_the_field(world, prescriber):
    # given a Nanyang member and a pharmacy; a prescriber that is a pharmacy, a Zibo hospital, no
    # provider at all, or a Guangzhou hospital while no registration is in force → 400 naming the field
    w = world(NANYANG)
    member, shop = w.member(), pharmacy(w)
    code = {"pharmacy": lambda: pharmacy(w), "other_region": lambda: world(ZIBO).provider(level="2"),
            "unknown": lambda: "H00000000000", "destination_unregistered":
            lambda: w.provider(level="2", admdvs=GUANGZHOU)}[prescriber]()
    response = w.claim_response(member, shop, "2024-03-01T10:00:00+08:00", **{FIELD: code})
    assert response.status_code == 400 and FIELD in response.json(), response.json()


def test_a_prescription_at_a_medical_provider_is_a_400(world):
    w = world(NANYANG)
    member, clinic, hospital = w.member(), w.provider(), w.provider(level="2")
    response = w.claim_response(member, clinic, "2024-03-01T10:00:00+08:00", **{FIELD: hospital})
    assert response.status_code == 400 and FIELD in response.json()


def test_nanyang_destination_prescriber_and_out_of_area_by_the_pharmacys_own_admdvs(world):
    # given a member with a long-term registration to Guangzhou; an L3 hospital and a pharmacy there,
    # and a pharmacy at home
    w = world(NANYANG)
    member = w.member()
    gz_hospital, gz_shop = w.provider(level="3", admdvs=GUANGZHOU), pharmacy(w, admdvs=GUANGZHOU)
    home_shop = pharmacy(w)
    assert w.register(member, start_on="2024-01-01", end_on="2024-06-30").status_code == 201
    # the Guangzhou prescription filled in Guangzhou: long_term, L3 employed: (250 − 50) × 50% = 100.00
    away = w.claim(member, gz_shop, "2024-03-01T10:00:00+08:00", "250.00", **{FIELD: gz_hospital})
    assert (away["out_of_area"], *paid(away)) == ("long_term", "50.00", "0.5000", "100.00", None)
    # the same prescription filled at home: the pharmacy is local ("none"), in the same window: 100 × 50%
    home = w.claim(member, home_shop, "2024-03-01T18:00:00+08:00", "100.00", **{FIELD: gz_hospital})
    assert (home["out_of_area"], *paid(home)) == ("none", "0.00", "0.5000", "50.00", None)
    # a manual claim at the Guangzhou pharmacy is out of area: 第十五条 → 0
    manual = w.claim(member, gz_shop, "2024-03-05T10:00:00+08:00", "100.00", channel="manual",
                     **{FIELD: gz_hospital})
    assert (manual["reason"], manual["hifp_pay"]) == ("manual_out_of_area", "0.00")
    # after the registration ends the Guangzhou hospital may no longer prescribe: 400
    response = w.claim_response(member, home_shop, "2024-07-01T10:00:00+08:00", **{FIELD: gz_hospital})
    assert response.status_code == 400 and FIELD in response.json()


def test_nanyang_local_prescription_filled_out_of_area_unregistered_is_not_covered(world):
    w = world(NANYANG)
    member, hospital, gz_shop = w.member(), w.provider(level="2"), pharmacy(w, admdvs=GUANGZHOU)
    claim = w.claim(member, gz_shop, "2024-03-01T10:00:00+08:00", "100.00", **{FIELD: hospital})
    assert (claim["out_of_area"], claim["reason"], claim["hifp_pay"]) == (
        "unregistered", "out_of_area_not_registered", "0.00")


def test_an_inactive_pharmacy_is_not_covered_a_suspended_prescriber_still_counts(world):
    # Reading of the prescriber's status (not checked) vs the pharmacy's (must be active)
    w = world(NANYANG)
    member = w.member()
    closed_shop, shop = pharmacy(w, status="suspended"), pharmacy(w)
    suspended_clinic = w.provider(status="suspended")
    assert w.claim(member, closed_shop, "2024-03-01T10:00:00+08:00", **{FIELD: w.provider()})["reason"] == (
        "provider_inactive")
    # L1 employed: no deductible, 100 × 60% = 60.00
    assert w.claim(member, shop, "2024-03-01T10:00:00+08:00", **{FIELD: suspended_clinic})["hifp_pay"] == "60.00"


# -- Zibo 第十二条: 报销比例统一，起付标准和最高支付限额合并计算 ------------------------------------------------

def test_zibo_fill_shares_the_prescribers_level_deductible_and_the_cap(world):
    # given an employed member (2024: cap 4 000), an L3 hospital and a pharmacy
    w = world(ZIBO)
    member, hospital, shop = w.member(), w.provider(level="3"), pharmacy(w)
    # the L3 visit: 500 all to the L3 deductible 700, fund 0
    assert paid(w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "500.00")) == ("500.00", "0.5000", "0.00", None)
    # the fill, a week later: 200 more of the L3 deductible, (400 − 200) × 50% = 100.00
    assert paid(w.claim(member, shop, "2024-03-08T10:00:00+08:00", "400.00", **{FIELD: hospital})) == (
        "200.00", "0.5000", "100.00", None)
    # a big fill: 9 000 × 50% = 4 500 → cap 4 000 − 100 = 3 900.00
    assert w.claim(member, shop, "2024-03-09T10:00:00+08:00", "9000.00", **{FIELD: hospital})["hifp_pay"] == (
        "3900.00")
    figures = w.accumulators(member, 2024)
    assert (figures["deductible_paid"]["3"], figures["fund_paid"], figures["cap_left"]) == ("700.00", "4000.00", "0.00")


def test_zibo_fill_at_an_out_of_area_pharmacy_without_registration_pays_10_percent_first(world):
    # the pharmacy's admdvs makes it out of area; unregistered = temporary (Reading): 10% of 300 = 30;
    # base 270; L1 deductible 50: (270 − 50) × 60% = 132.00
    w = world(ZIBO)
    member, clinic, gz_shop = w.member(), w.provider(level="1"), pharmacy(w, admdvs=GUANGZHOU)
    claim = w.claim(member, gz_shop, "2024-03-01T10:00:00+08:00", "300.00", **{FIELD: clinic})
    assert (claim["out_of_area"], *paid(claim)) == ("unregistered", "50.00", "0.6000", "132.00", None)


# -- Ganzhou 第八条 -------------------------------------------------------------------------------

def test_ganzhou_fill_shares_the_annual_deductible_and_the_two_disease_subcap(world):
    w = world(GANZHOU)
    member, clinic, hospital, shop = w.member(), w.provider(level="1"), w.provider(level="2"), pharmacy(w)
    # an ordinary fill of an L1 prescription: deductible 600, (800 − 600) × 60% = 120.00
    assert paid(w.claim(member, shop, "2024-03-01T10:00:00+08:00", "800.00", **{FIELD: clinic})) == (
        "600.00", "0.6000", "120.00", None)
    # then a TCM visit owes max(0, 300 − 600) = 0 (shared accumulator): L1 65%: 100 → 65.00
    assert paid(w.claim(member, clinic, "2024-03-02T10:00:00+08:00", "100.00", benefit="tcm")) == (
        "0.00", "0.6500", "65.00", None)
    # hypertension drugs filled on an L2 prescription: no deductible, 55%: 1000 → 550 → sub-cap 500.00
    assert paid(w.claim(member, shop, "2024-03-03T10:00:00+08:00", "1000.00", benefit="hypertension",
                        **{FIELD: hospital})) == ("0.00", "0.5500", "500.00", None)
    # a special item is never filled at a pharmacy
    special = w.claim(member, shop, "2024-03-04T10:00:00+08:00", benefit="special_item", **{FIELD: hospital})
    assert (special["status"], special["reason"], special["hifp_pay"]) == (
        "not_covered", "special_item_at_pharmacy", "0.00")


# -- Nanchang and Heyuan: pooling does not pay pharmacies ------------------------------------------------

def test_nanchang_and_heyuan_pharmacies_not_covered_even_with_a_prescription(world):
    for region in (NANCHANG, HEYUAN):
        w = world(region)
        member, clinic, shop = w.member(), w.provider(), pharmacy(w)
        assert w.signup(member, clinic, applied_on="2024-01-02").status_code == 201
        claim = w.claim(member, shop, "2024-03-01T10:00:00+08:00", **{FIELD: clinic})
        assert (claim["status"], claim["reason"], claim["hifp_pay"]) == (
            "not_covered", "pharmacy_not_covered", "0.00"), region


def test_a_village_clinics_prescription_is_rated_l1_and_charged_to_the_pharmacy_not_the_centre(world):
    # Nanyang L1 employed: no deductible, 100 × 60% = 60.00, charged to the pharmacy itself
    w = world(NANYANG)
    member, centre, shop = w.member(), w.provider(), pharmacy(w)
    village = w.provider(kind="village", parent=centre)
    fill = w.claim(member, shop, "2024-03-01T10:00:00+08:00", **{FIELD: village})
    assert (*paid(fill), fill["charged_fixmedins_code"]) == ("0.00", "0.6000", "60.00", None, shop)


def test_a_reversed_opening_fill_leaves_no_window_at_the_prescriber(world):
    # given a fill that opened the L2 prescriber's window (deductible 30: (100 − 30) × 55% = 38.50)
    w = world(NANYANG)
    member, hospital, shop = w.member(), w.provider(level="2"), pharmacy(w)
    fill = w.claim(member, shop, "2024-03-01T08:00:00+08:00", "100.00", **{FIELD: hospital})
    assert paid(fill) == ("30.00", "0.5500", "38.50", None)
    # when it is reversed, the member's figures are as if it had not happened (CONTRACT.md "Claims")
    assert w.reverse(fill["setl_id"])["hifp_pay"] == "-38.50"
    assert w.accumulators(member, 2024)["fund_paid"] == "0.00"
    # then a visit at the hospital 2 hours later is the first: deductible 30, (100 − 30) × 55% = 38.50
    assert paid(w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "100.00")) == (
        "30.00", "0.5500", "38.50", None)
