"""More out-of-area edges checked from outside (RULES.md "Out-of-area care"; the first set is in
test_out_of_area.py): figures by hand in the comments."""
from datetime import date

import pytest

from tests.contract.world import NANCHANG, NANYANG, ZIBO, paid

pytestmark = pytest.mark.django_db
GUANGZHOU, SHENZHEN = "440100", "440300"


def registered(w, member, **kwargs) -> dict:
    response = w.register(member, **kwargs)
    assert response.status_code == 201, response.json()
    return response.json()


def test_nanchang_a_resettlement_that_ends_mid_year_caps_the_whole_year_without_blocking_home(world):
    # given a member born 1970 (2024: age 54 → group 4, 181) signed with a centre, resettled to
    # Guangzhou 2023-05-01 … 2024-02-29 (an end date, not a cancellation)
    w = world(NANCHANG)
    member, home, away = w.member(birth=date(1970, 5, 1)), w.provider(), w.provider(admdvs=GUANGZHOU)
    assert w.signup(member, home, applied_on="2023-01-05").status_code == 201
    registered(w, member, kind="resettled", start_on="2023-05-01", end_on="2024-02-29")
    # 2024-02-10 in Guangzhou: 100 × 60% = 60.00
    assert w.claim(member, away, "2024-02-10T10:00:00+08:00")["hifp_pay"] == "60.00"
    # after the end, Guangzhou is "elsewhere than the signed provider"
    assert w.claim(member, away, "2024-03-10T10:00:00+08:00")["reason"] == "not_signed_provider"
    # at home in October (the benefit was in force for part of 2024, so the yearly cap 181 holds for
    # the whole year; no cancellation, so home is covered): 400 × 60% = 240 → 181 − 60 = 121.00
    october = w.claim(member, home, "2024-10-08T10:00:00+08:00", "400.00")
    assert (october["status"], october["hifp_pay"]) == ("settled", "121.00")
    # and 2025 (no benefit any more) is uncapped: 400 × 60% = 240.00
    assert w.claim(member, home, "2025-01-08T10:00:00+08:00", "400.00")["hifp_pay"] == "240.00"


def test_a_new_registration_to_another_city_after_a_cancellation(world):
    # given a Zibo member registered long-term to Guangzhou, cancelled on 2024-05-31, then long-term to
    # Shenzhen from 2024-06-01; an L2 hospital in each city
    w = world(ZIBO)
    member = w.member()
    gz, sz = w.provider(level="2", admdvs=GUANGZHOU), w.provider(level="2", admdvs=SHENZHEN)
    first = registered(w, member, start_on="2024-01-01")
    # a new one starting on the cancellation day would overlap it: 400
    assert w.client.post(f"/api/v1/out-of-area-registrations/{first['id']}/cancel/", {"cancelled_on": "2024-05-31"},
                         format="json").status_code == 200
    assert w.register(member, dest=SHENZHEN, start_on="2024-05-31").status_code == 400
    registered(w, member, dest=SHENZHEN, start_on="2024-06-01")
    # Shenzhen on 2024-06-02: long-term = local L2: deductible 500, (700 − 500) × 60% = 120.00
    sz_visit = w.claim(member, sz, "2024-06-02T10:00:00+08:00", "700.00")
    assert (sz_visit["out_of_area"], *paid(sz_visit)) == ("long_term", "500.00", "0.6000", "120.00", None)
    # Guangzhou the same day: unregistered = temporary: 10% of 100 = 10; (100 − 10) × 60% = 54.00
    gz_visit = w.claim(member, gz, "2024-06-02T11:00:00+08:00", "100.00")
    assert (gz_visit["out_of_area"], *paid(gz_visit)) == ("unregistered", "0.00", "0.6000", "54.00", None)


def test_an_idempotent_retry_debits_the_account_once(world):
    # given a Nanyang employee with 100.00 (base 5 000 × 2%, January 2024) and a registered trip
    from django.core.management import call_command

    w = world(NANYANG)
    member, away = w.member(), w.provider(level="1", admdvs=GUANGZHOU)
    registered(w, member, kind="temporary", start_on="2024-03-01", end_on="2024-03-31")
    call_command("credit_accounts", admdvs=NANYANG, period="2024-01")
    # when the same request is sent twice with one key: L1 60%: 100 → fund 60, share 40 from the account
    first = w.claim_response(member, away, "2024-03-02T10:00:00+08:00", acct_used=True, idempotency_key="K-1")
    again = w.claim_response(member, away, "2024-03-02T10:00:00+08:00", acct_used=True, idempotency_key="K-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["setl_id"] == first.json()["setl_id"]
    assert (first.json()["acct_pay"], first.json()["out_of_area"]) == ("40.00", "temporary")
    # then the account was debited once: 100 − 40 = 60.00; the same key with other content is a 409
    assert w.client.get(f"/api/v1/members/{NANYANG}/{member}/account/").json()["balance"] == "60.00"
    other = w.claim_response(member, away, "2024-03-02T10:00:00+08:00", "90.00", acct_used=True,
                             idempotency_key="K-1")
    assert other.status_code == 409
    assert w.client.get(f"/api/v1/members/{NANYANG}/{member}/account/").json()["balance"] == "60.00"


def test_the_visit_day_is_the_day_in_shanghai(world):
    # CONTRACT.md: the service time zone is Asia/Shanghai. A temporary registration ending 2024-04-10:
    # 2024-04-10T15:59Z is 23:59 there (in force: L1 100 × 60% = 60.00); 16:30Z is 00:30 on the 11th
    w = world(NANYANG)
    member, away = w.member(), w.provider(level="1", admdvs=GUANGZHOU)
    registered(w, member, kind="temporary", start_on="2024-04-01", end_on="2024-04-10")
    inside = w.claim(member, away, "2024-04-10T15:59:00Z")
    assert (inside["out_of_area"], inside["visit_date"], inside["hifp_pay"]) == ("temporary", "2024-04-10", "60.00")
    outside = w.claim(member, away, "2024-04-10T16:30:00Z")
    assert (outside["out_of_area"], outside["visit_date"], outside["reason"]) == (
        "unregistered", "2024-04-11", "out_of_area_not_registered")
