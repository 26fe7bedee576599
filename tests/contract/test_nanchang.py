"""Nanchang 南昌 (RULES.md "Nanchang"), checked from outside through the REST API; figures by hand."""
import pytest

from tests.contract.world import NANCHANG, paid

pytestmark = pytest.mark.django_db


def test_address_change_and_annual_reselection_boundaries(world):
    # given a member signed with A (with a family doctor) from 2024-01-02
    w = world(NANCHANG)
    member, a, b, c = w.member(), w.provider(), w.provider(), w.provider()
    assert w.signup(member, a, applied_on="2024-01-02", family_doctor=True).status_code == 201
    # when an address change to B is asked on 2024-04-10 (effective 2024-05-01)
    assert w.signup(member, b, applied_on="2024-04-10", reason="address_change").json()["effective_from"] == (
        "2024-05-01")
    # then 30 April: A pays 60 + 5 = 65% (100 × 0.65 = 65), B nothing; 1 May: B 60%, A nothing
    assert paid(w.claim(member, a, "2024-04-30T10:00:00+08:00")) == ("0.00", "0.6500", "65.00", None)
    assert w.claim(member, b, "2024-04-30T10:00:00+08:00")["reason"] == "not_signed_provider"
    assert paid(w.claim(member, b, "2024-05-01T10:00:00+08:00")) == ("0.00", "0.6000", "60.00", None)
    assert w.claim(member, a, "2024-05-01T10:00:00+08:00")["reason"] == "not_signed_provider"
    # when an annual re-selection of C is asked on 1 October (effective 1 January 2025)
    assert w.signup(member, c, applied_on="2024-10-01", reason="annual").json()["effective_from"] == "2025-01-01"
    # then B until 23:59 on 31 December Shanghai time, C from 00:30 on 1 January (sent in UTC)
    assert w.claim(member, b, "2024-12-31T23:59:00+08:00")["hifp_pay"] == "60.00"
    assert w.claim(member, c, "2024-12-31T16:30:00Z")["hifp_pay"] == "60.00"
    assert w.claim(member, b, "2024-12-31T16:30:00Z")["reason"] == "not_signed_provider"


def test_poverty_ratio_rounds_half_up_and_there_is_no_cap(world):
    # given a poverty-registered member (65%) signed without a family doctor
    w = world(NANCHANG)
    member, centre = w.member(poverty=True), w.provider()
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    # then 100.10 × 0.65 = 65.065 → 65.07 (half-up), and 10 000 × 0.65 = 6 500 (no per-person cap)
    assert paid(w.claim(member, centre, "2024-03-01T10:00:00+08:00", "100.10")) == ("0.00", "0.6500", "65.07", None)
    assert w.claim(member, centre, "2024-03-02T10:00:00+08:00", "10000.00")["hifp_pay"] == "6500.00"


def test_suspended_provider_change_is_effective_that_day(world):
    # given a member signed with A; A is suspended on 2024-06-12 and the member is moved to B that day
    w = world(NANCHANG)
    member, a, b = w.member(), w.provider(), w.provider()
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    assert w.client.patch(f"/api/v1/providers/{a}/", {"status": "suspended"}, format="json").status_code == 200
    change = w.signup(member, b, applied_on="2024-06-12", reason="provider_suspended")
    assert change.status_code in (201, 400), change.json()


def test_only_the_signed_centres_own_village_clinics_are_its_service_points(world):
    # given centres A (signed, family doctor) and B, each with a village clinic
    w = world(NANCHANG)
    member, a, b = w.member(), w.provider(), w.provider()
    village_a, village_b = w.provider(kind="village", parent=a), w.provider(kind="village", parent=b)
    assert w.signup(member, a, applied_on="2024-01-02", family_doctor=True).status_code == 201
    # then A's village clinic is paid and charged to A (65%: 100 × 0.65), B's is elsewhere
    own = w.claim(member, village_a, "2024-03-01T10:00:00+08:00")
    assert paid(own) == ("0.00", "0.6500", "65.00", None) and own["charged_fixmedins_code"] == a
    assert w.claim(member, village_b, "2024-03-01T11:00:00+08:00")["reason"] == "not_signed_provider"


def test_an_emergency_elsewhere_is_not_an_exception_in_nanchang(world):
    # RULES.md "Nanchang": covered only at the signed provider or by referral (no emergency exception,
    # unlike Heyuan 第十七条)
    w = world(NANCHANG)
    member, a, b = w.member(), w.provider(), w.provider()
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    claim = w.claim(member, b, "2024-03-01T10:00:00+08:00", emergency=True)
    assert (claim["status"], claim["reason"], claim["hifp_pay"]) == ("not_covered", "not_signed_provider", "0.00")
