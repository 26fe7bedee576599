"""Sign-up 签约/选点 effects on claims and on who is charged, checked through the REST API (RULES.md
"Sign-up requests", "Nanchang", "Heyuan"); figures by hand."""
import pytest

from tests.contract.world import HEYUAN, NANCHANG, ZIBO, paid

pytestmark = pytest.mark.django_db


def _suspend(w, code: str, day: str) -> None:
    response = w.client.patch(f"/api/v1/providers/{code}/", {"status": "suspended", "status_changed_on": day},
                              format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("admdvs, ratio, fund", [(NANCHANG, "0.6000", "30.00"), (HEYUAN, "0.7000", "35.00")])
def test_a_suspended_providers_members_move_the_day_of_the_change(world, admdvs, ratio, fund):
    # given a member signed with A, which is suspended on 2024-06-12
    w = world(admdvs)
    member, a, b = w.member(), w.provider(), w.provider()
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    w.claim(member, a, "2024-06-11T10:00:00+08:00", "50.00")
    _suspend(w, a, "2024-06-12")
    # when the member is moved to B that day (provider_suspended: effective that day)
    change = w.signup(member, b, applied_on="2024-06-12", reason="provider_suspended")
    assert change.status_code == 201 and change.json()["effective_from"] == "2024-06-12", change.json()
    # then a visit at B that day is covered at L1 (Nanchang 60%, Heyuan employed 70%: 50 × ratio)
    at_b = w.claim(member, b, "2024-06-12T10:00:00+08:00", "50.00")
    assert paid(at_b) == ("0.00", ratio, fund, None)
    # and A, suspended, pays nothing
    assert w.claim(member, a, "2024-06-12T11:00:00+08:00", "50.00")["reason"] in ("provider_inactive",
                                                                                    "not_signed_provider")


@pytest.mark.parametrize("admdvs, closed, opened", [(NANCHANG, "2024-09-30", "2024-10-01"),
                                                    (HEYUAN, "2024-08-31", "2024-09-01")])
def test_annual_selection_window_and_a_change_to_the_same_provider_is_refused(world, admdvs, closed, opened):
    w = world(admdvs)
    member, a, b = w.member(), w.provider(), w.provider()
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    # the day before the window: refused with the reason; its first day: effective 1 January next
    early = w.signup(member, b, applied_on=closed, reason="annual")
    assert early.status_code == 400
    # the provider already in effect on 1 January is refused (RULES.md "Sign-up requests")
    assert w.signup(member, a, applied_on=opened, reason="annual").status_code == 400
    assert w.signup(member, b, applied_on=opened, reason="annual").json()["effective_from"] == "2025-01-01"


def test_zibo_has_no_sign_up(world):
    w = world(ZIBO)
    member, clinic = w.member(), w.provider()
    response = w.signup(member, clinic, applied_on="2024-01-02")
    assert response.status_code == 400 and "admdvs" in response.json()


def test_nanchang_referral_is_reimbursed_through_the_signed_provider(world):
    # given a member signed with a centre that has a family doctor, and a county TCM hospital
    w = world(NANCHANG)
    member, centre = w.member(), w.provider()
    tcm = w.provider(level="2", kind="county_tcm")
    assert w.signup(member, centre, applied_on="2024-01-02", family_doctor=True).status_code == 201
    # when a referral visit there
    claim = w.claim(member, tcm, "2024-03-01T10:00:00+08:00", "100.00", referral=True)
    # then 40% with no +5 (Reading: referrals get no +5) and charged to the signed centre
    assert paid(claim) == ("0.00", "0.4000", "40.00", None)
    assert claim["charged_fixmedins_code"] == centre
    # and without the referral flag the county TCM hospital is not the signed provider
    assert w.claim(member, tcm, "2024-03-02T10:00:00+08:00", "100.00")["reason"] == "not_signed_provider"


def test_heyuan_emergency_before_the_first_selection_uses_that_years_prorated_cap(world):
    # given a member whose first selection (an L1 centre) is made on 2024-04-10: cap 1 800 ÷ 12 × 9 = 1 350
    w = world(HEYUAN)
    member, centre, hospital = w.member(), w.provider(), w.provider(level="3")
    # when an emergency at an L3 hospital in February, before any selection
    february = w.claim(member, hospital, "2024-02-10T10:00:00+08:00", "1000.00", emergency=True)
    # then paid at the treating level: 1 000 × 0.55 = 550 → per-visit cap 150
    assert paid(february) == ("0.00", "0.5500", "150.00", None)
    assert w.signup(member, centre, applied_on="2024-04-10").status_code == 201
    ytd = w.accumulators(member, 2024)
    assert (ytd["annual_cap"], ytd["fund_paid"], ytd["cap_left"]) == ("1350.00", "150.00", "1200.00")
    # and an emergency at the hospital after the selection is charged to the selected centre (Reading)
    later = w.claim(member, hospital, "2024-05-10T10:00:00+08:00", "100.00", emergency=True)
    assert later["hifp_pay"] == "55.00" and later["charged_fixmedins_code"] == centre


def test_zibo_temporary_out_of_area_first_pay_is_an_amount_paid_rounded_on_its_own(world):
    # given an unregistered Zibo member at an L1 provider in Guangzhou (a temporary visit: Reading)
    w = world(ZIBO)
    member, away = w.member(), w.provider(level="1", admdvs="440100")
    claim = w.claim(member, away, "2024-03-01T10:00:00+08:00", "100.05")
    # then the 10% the member first pays is an amount paid, rounded once: 10.005 → 10.01 (zibo.py's
    # documented reading of RULES.md "Money"); the rest 100.05 − 10.01 = 90.04, L1 deductible 50:
    # (90.04 − 50) × 0.6 = 24.024 → 24.02. (Keeping 10.005 exact inside one formula would give 24.03.)
    assert claim["out_of_area"] == "unregistered"
    assert paid(claim) == ("50.00", "0.6000", "24.02", None)
    assert claim["psn_part_amt"] == "76.03"
