"""Nanchang resettled members 异地安置 (第六、三十一、三十二条) and Heyuan out-of-city selection (第十六条)
through the REST API, with numbers computed by hand from RULES.md "Out-of-area care"."""
from datetime import date

import pytest

from claims.models import Claim
from tests.claims.helpers import body
from tests.factories import make_member, make_provider, make_registration, make_signup

pytestmark = pytest.mark.django_db
CLAIMS, SIGNUPS, REGISTRATIONS = "/api/v1/claims/", "/api/v1/signups/", "/api/v1/out-of-area-registrations/"
NANCHANG, HEYUAN, GUANGZHOU, SHENZHEN = "360100", "441600", "440100", "440300"


def post(api_client, member, provider, visit_at, inscp, **extra):
    response = api_client.post(CLAIMS, body(member=member, provider=provider, visit_at=visit_at, inscp=inscp,
                                            **extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def outcome(data):
    return data["status"], data["reason"], data["out_of_area"], data["hifp_pay"]


def test_nanchang_resettled_from_the_next_year_primary_level_under_the_age_group_cap_then_cancelled(
        api_client, city_admin):
    # given a resident born 1950 (2024: age 74, group 5, standard 226.00), signed with NC-T1 since 2022,
    # resettled in Guangzhou from 2023-08-01
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=NANCHANG, psn_type="1501", birth=date(1950, 3, 1))
    signed = make_provider(code="NC-T1", admdvs=NANCHANG, level="1", kind="township")
    community = make_provider(code="GZ-C1", admdvs=GUANGZHOU, level="1", kind="community")
    hospital = make_provider(code="GZ-H1", admdvs=GUANGZHOU, level="1", kind="hospital")
    make_signup(member=member, provider=signed, effective_from=date(2022, 1, 1))
    registration = make_registration(member=member, kind="resettled", dest_admdvs=GUANGZHOU,
                                     start_on=date(2023, 8, 1))
    # the registration's own year: out of area not covered; at home the ordinary rules, no cap
    assert outcome(post(api_client, member, community, "2023-09-01T10:00", "100.00")) == (
        "not_covered", "resettled_waiting_year", "long_term", "0.00")
    assert outcome(post(api_client, member, signed, "2023-09-02T10:00", "1000.00")) == (
        "settled", None, "none", "600.00")                                           # 1000 × 60%, uncapped
    # the next year: a primary-level provider of the destination, 200 × 60% = 120.00, charged to NC-T1
    away = post(api_client, member, community, "2024-01-10T10:00", "200.00")
    assert outcome(away) == ("settled", None, "long_term", "120.00")
    assert Claim.objects.get(setl_id=away["setl_id"]).charged_provider.fixmedins_code == "NC-T1"
    # a hospital is not primary level (even a level-1 one): not covered
    assert outcome(post(api_client, member, hospital, "2024-01-11T10:00", "200.00"))[:2] == (
        "not_covered", "resettled_not_primary_care")
    # at home the same yearly cap applies: 100 × 60% = 60.00 (year so far 180.00)
    assert outcome(post(api_client, member, signed, "2024-02-01T10:00", "100.00"))[3] == "60.00"
    # 200 × 60% = 120.00, clipped to 226 − 180 = 46.00; then nothing is left
    assert outcome(post(api_client, member, community, "2024-03-01T10:00", "200.00"))[3] == "46.00"
    assert outcome(post(api_client, member, signed, "2024-03-02T10:00", "50.00")) == (
        "settled", None, "none", "0.00")
    accumulators = api_client.get(f"/api/v1/members/{NANCHANG}/{member.certno}/accumulators/",
                                  {"year": 2024}).json()
    assert (accumulators["annual_cap"], accumulators["fund_paid"]) == ("226.00", "226.00")
    # when the resettlement is cancelled on 2024-06-10 (第三十二条)
    response = api_client.post(f"{REGISTRATIONS}{registration.pk}/cancel/", {"cancelled_on": "2024-06-10"},
                               format="json")
    assert response.status_code == 200
    # then the signed provider pays nothing from that day to 31 December, and Guangzhou is unregistered
    assert outcome(post(api_client, member, signed, "2024-06-10T10:00", "100.00"))[:2] == (
        "not_covered", "resettlement_cancelled")
    assert outcome(post(api_client, member, community, "2024-06-11T10:00", "100.00"))[:3] == (
        "not_covered", "not_signed_provider", "unregistered")
    # the earlier claims are not re-adjudicated
    assert Claim.objects.get(setl_id=away["setl_id"]).hifp_pay == 120
    # and the next year the ordinary rules come back, uncapped: 1000 × 60% = 600.00
    assert outcome(post(api_client, member, signed, "2025-01-05T10:00", "1000.00")) == (
        "settled", None, "none", "600.00")


def test_nanchang_resettled_yearly_cap_is_the_age_group_standard_of_the_year(api_client, city_admin):
    # born 2001: 2024 age 23 → group 1, 37.00
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=NANCHANG, psn_type="1501", birth=date(2001, 7, 1))
    make_signup(member=member, provider=make_provider(code="NC-T2", admdvs=NANCHANG), effective_from=date(2022, 1, 1))
    make_registration(member=member, kind="resettled", dest_admdvs=SHENZHEN, start_on=date(2022, 5, 1))
    community = make_provider(code="SZ-C1", admdvs=SHENZHEN, level="1", kind="community")
    # 100 × 60% = 60.00 clipped to 37.00
    data = post(api_client, member, community, "2024-04-01T10:00", "100.00")
    assert outcome(data) == ("settled", None, "long_term", "37.00")
    assert any(s["rule"] == "annual_cap" and s["amount"] == "37.00" for s in data["steps"])


# -- Heyuan 第十六条: out-of-city selection ----------------------------------------------------------

@pytest.fixture
def heyuan_world():
    return {"HY-L1": make_provider(code="HY-L1", admdvs=HEYUAN, level="1", kind="township"),
            "HY-L2": make_provider(code="HY-L2", admdvs=HEYUAN, level="2", kind="hospital"),
            "GZ-H3": make_provider(code="GZ-H3", admdvs=GUANGZHOU, level="3", kind="hospital"),
            "GZ-C1": make_provider(code="GZ-C1", admdvs=GUANGZHOU, level="1", kind="community"),
            "SZ-H2": make_provider(code="SZ-H2", admdvs=SHENZHEN, level="2", kind="hospital")}


def signup(api_client, member, code, applied_on, reason):
    return api_client.post(SIGNUPS, {"certno": member.certno, "admdvs": HEYUAN, "fixmedins_code": code,
                                     "applied_on": applied_on, "reason": reason}, format="json")


def test_heyuan_out_of_city_selection_refused_without_a_registration(api_client, city_admin, heyuan_world):
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=HEYUAN, psn_type="1101")
    response = signup(api_client, member, "GZ-H3", "2024-01-05", "first")
    assert response.status_code == 400 and "fixmedins_code" in response.json(), response.json()
    # a registration for another city does not help
    make_registration(member=member, kind="long_term", dest_admdvs=SHENZHEN, start_on=date(2024, 1, 1))
    response = signup(api_client, member, "GZ-H3", "2024-01-05", "first")
    assert response.status_code == 400 and "fixmedins_code" in response.json(), response.json()
    assert not member.signups.exists()


def test_heyuan_out_of_city_selection_accepted_shares_the_caps_and_lapses(api_client, city_admin, heyuan_world):
    # given an employee who selected HY-L1 on 2024-01-05 and is registered long-term in Guangzhou
    # from 2024-02-01 to 2024-08-31
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=HEYUAN, psn_type="1101")
    assert signup(api_client, member, "HY-L1", "2024-01-05", "first").status_code == 201
    make_registration(member=member, kind="long_term", dest_admdvs=GUANGZHOU, start_on=date(2024, 2, 1),
                      end_on=date(2024, 8, 31))
    # a selection that would take effect after the registration ends is refused
    late = signup(api_client, member, "GZ-H3", "2024-08-20", "address_change")      # effective 2024-09-01
    assert late.status_code == 400 and "fixmedins_code" in late.json(), late.json()
    # when the member selects GZ-H3 by an address change (effective 2024-03-01, registration in force)
    response = signup(api_client, member, "GZ-H3", "2024-02-10", "address_change")
    assert response.status_code == 201, response.json()
    assert response.json()["effective_from"] == "2024-03-01"
    # then visits there follow the city rules at its level: 1000 × 55% = 550, per-visit cap L3 150.00,
    # paid fee-for-service to GZ-H3
    there = post(api_client, member, heyuan_world["GZ-H3"], "2024-03-05T10:00", "1000.00")
    assert outcome(there) == ("settled", None, "long_term", "150.00") and there["pool_prop_selfpay"] == "0.5500"
    assert Claim.objects.get(setl_id=there["setl_id"]).charged_provider.fixmedins_code == "GZ-H3"
    # the old in-city provider no longer covers anything
    assert outcome(post(api_client, member, heyuan_world["HY-L1"], "2024-03-06T10:00", "100.00"))[:2] == (
        "not_covered", "not_signed_provider")
    # another Guangzhou provider only for an emergency: L1 100 × 70% = 70, per-visit cap 60.00
    assert outcome(post(api_client, member, heyuan_world["GZ-C1"], "2024-03-07T10:00", "100.00"))[:2] == (
        "not_covered", "not_signed_provider")
    assert outcome(post(api_client, member, heyuan_world["GZ-C1"], "2024-03-08T10:00", "100.00",
                        emergency=True)) == ("settled", None, "long_term", "60.00")
    # an emergency in the city: L2 1000 × 60% = 600, per-visit cap 120.00, charged to the treating
    # provider (an out-of-city selection counts in no capitation)
    home = post(api_client, member, heyuan_world["HY-L2"], "2024-03-09T10:00", "1000.00", emergency=True)
    assert outcome(home) == ("settled", None, "none", "120.00")
    assert Claim.objects.get(setl_id=home["setl_id"]).charged_provider.fixmedins_code == "HY-L2"
    # in-city and out-of-city visits share the annual cap: 150 + 60 + 120 = 330 of 1 800
    accumulators = api_client.get(f"/api/v1/members/{HEYUAN}/{member.certno}/accumulators/",
                                  {"year": 2024}).json()
    assert (accumulators["fund_paid"], accumulators["cap_left"]) == ("330.00", "1470.00")
    # when the registration has ended, the out-of-city selection covers nothing
    lapsed = post(api_client, member, heyuan_world["GZ-H3"], "2024-09-05T10:00", "1000.00")
    assert outcome(lapsed) == ("not_covered", "out_of_area_not_registered", "unregistered", "0.00")
    # an unregistered visit out of the city is paid only as an emergency, at the treating level:
    # L2 100 × 60% = 60.00
    assert outcome(post(api_client, member, heyuan_world["SZ-H2"], "2024-09-06T10:00", "100.00"))[:2] == (
        "not_covered", "out_of_area_not_registered")
    assert outcome(post(api_client, member, heyuan_world["SZ-H2"], "2024-09-07T10:00", "100.00",
                        emergency=True)) == ("settled", None, "unregistered", "60.00")
    # until the member selects again in the city (effective 2024-10-01): L1 100 × 70% = 70, cap 60.00
    assert signup(api_client, member, "HY-L1", "2024-09-10", "address_change").status_code == 201
    assert outcome(post(api_client, member, heyuan_world["HY-L1"], "2024-10-02T10:00", "100.00")) == (
        "settled", None, "none", "60.00")


def test_heyuan_out_of_city_selection_by_provider_suspended_is_refused(api_client, city_admin, heyuan_world):
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=HEYUAN, psn_type="1101")
    make_registration(member=member, kind="resettled", dest_admdvs=GUANGZHOU, start_on=date(2024, 1, 1))
    make_signup(member=member, provider=heyuan_world["HY-L1"], effective_from=date(2024, 1, 2))
    heyuan_world["HY-L1"].status = "suspended"
    heyuan_world["HY-L1"].status_changed_on = date(2024, 3, 1)
    heyuan_world["HY-L1"].save()
    response = signup(api_client, member, "GZ-H3", "2024-03-02", "provider_suspended")
    assert response.status_code == 400 and "reason" in response.json(), response.json()
    # an ordinary address change with the resettled registration is accepted
    assert signup(api_client, member, "GZ-H3", "2024-03-02", "address_change").status_code == 201
