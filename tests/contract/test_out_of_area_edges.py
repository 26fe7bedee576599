"""More out-of-area edges checked from outside (RULES.md "Out-of-area care"; the first set is in
test_out_of_area.py): figures by hand in the comments."""
from datetime import date

import pytest

from tests.contract.world import HEYUAN, NANCHANG, NANYANG, ZIBO, paid, run, run_lines

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


def test_runs_carry_out_of_area_payments_to_the_right_line(world):
    # Nanchang: a resettled member's visit in Guangzhou counts in the signed centre's actual
    # (RULES.md "A claim reimbursed through the signed provider ... counts in that provider's actual")
    w = world(NANCHANG)
    member, home = w.member(), w.provider()
    away_centre = w.provider(admdvs=GUANGZHOU)
    away_village = w.provider(kind="village", admdvs=GUANGZHOU, parent=away_centre)
    assert w.signup(member, home, applied_on="2023-01-05").status_code == 201
    registered(w, member, kind="resettled", start_on="2023-02-01")
    # 100 × 60% = 60.00 at home, 50 × 60% = 30.00 at the Guangzhou village clinic (cap 181, 90 used)
    w.claim(member, home, "2024-03-04T10:00:00+08:00")
    w.claim(member, away_village, "2024-03-05T10:00:00+08:00", "50.00")
    lines = run_lines(w.client, run(w.client, NANCHANG, "monthly", "2024-03")["id"])
    assert lines[home]["actual"] == "90.00"
    assert away_centre not in lines and away_village not in lines
    # Nanyang: an out-of-area hospital is charged its own fee-for-service line:
    # (530 − 30) × 55% = 275.00
    n = world(NANYANG)
    traveller, gz_hospital = n.member(), n.provider(level="2", admdvs=GUANGZHOU)
    registered(n, traveller, start_on="2024-01-01")
    n.claim(traveller, gz_hospital, "2024-03-01T10:00:00+08:00", "530.00")
    line = run_lines(n.client, run(n.client, NANYANG, "fee_for_service", "2024-03")["id"])[gz_hospital]
    assert (line["visits"], line["medfee_sumamt"], line["actual"], line["paid"]) == (1, "530.00", "275.00", "275.00")


def test_direct_settlement_by_an_out_of_area_clinic_through_the_national_interface(world):
    # given a Nanyang member registered long-term to Guangzhou and a Guangzhou L2 hospital whose HIS
    # speaks the national envelope: 就医地 440100, 参保地 411300 (CONTRACT.md "National interface")
    from django.core.management import call_command

    from tests.contract.world import NationalClinic

    class AwayClinic(NationalClinic):
        def envelope(self, infno, input_, **kwargs):
            kwargs.setdefault("insuplc", NANYANG)
            return super().envelope(infno, input_, **kwargs)

    w = world(NANYANG)
    member, gz_hospital = w.member(), w.provider(level="2", admdvs=GUANGZHOU)
    registered(w, member, start_on="2024-01-01")
    call_command("credit_accounts", admdvs=NANYANG, period="2024-01")   # 5 000 × 2% = 100.00
    clinic = AwayClinic(gz_hospital, GUANGZHOU)
    clinic.sign_in()
    visit = clinic.visit(member, "310", begntime="2024-03-04 09:00:00", amount="530.00")
    # when it settles (2207) using the account: L2 deductible 30, (530 − 30) × 55% = 275.00, recorded
    # as long_term; member share 530 − 275 = 255.00: 100.00 from the account, 155.00 cash
    message = clinic.settle_message(visit, medfee="530.00", inscp="530.00")
    message["input"]["data"]["acct_used_flag"] = "1"
    answer = clinic.send(message)
    assert answer["infcode"] == 0, answer
    setlinfo = answer["output"]["setlinfo"]
    assert (setlinfo["act_pay_dedc"], setlinfo["hifp_pay"], setlinfo["acct_pay"], setlinfo["psn_cash_pay"]) == (
        "30.00", "275.00", "100.00", "155.00")
    claim = w.client.get(f"/api/v1/claims/{setlinfo['setl_id']}/").json()
    assert (claim["out_of_area"], claim["channel"], claim["hifp_pay"]) == ("long_term", "direct", "275.00")


def test_zibo_temporary_deductible_is_charged_on_what_is_left_after_the_10_percent(world):
    # given a Zibo member on a registered temporary trip; L1 (annual deductible 50)
    w = world(ZIBO)
    member, away = w.member(), w.provider(level="1", admdvs=GUANGZHOU)
    registered(w, member, kind="temporary", start_on="2024-08-01", end_on="2024-08-31")
    # 50.00: first 5.00, then 45.00 all to the deductible (at most the base), fund 0
    small = w.claim(member, away, "2024-08-02T10:00:00+08:00", "50.00")
    assert paid(small) == ("45.00", "0.6000", "0.00", None)
    # 100.00: first 10.00; 90 − the 5.00 still owed = 85 × 60% = 51.00
    assert paid(w.claim(member, away, "2024-08-03T10:00:00+08:00", "100.00")) == ("5.00", "0.6000", "51.00", None)
    # when the small one is reversed its 45.00 leaves the L1 accumulator (5.00 stays)
    w.reverse(small["setl_id"])
    assert w.accumulators(member, 2024)["deductible_paid"]["1"] == "5.00"


def test_heyuan_an_emergency_at_a_lapsed_out_of_city_selection_is_paid_like_any_unregistered_emergency(world):
    # RULES.md "Out-of-area care", Heyuan `unregistered`: "only emergency, at the treating level";
    # 第十七条 "除急救和抢救需要外". Given a member registered long-term to Guangzhou 2024-01-01 … 2024-03-31
    # who first selected a Guangzhou L1 community centre on 2024-01-02 (cap 1 800 ÷ 12 × 12 = 1 800)
    w = world(HEYUAN)
    member = w.member()
    centre = w.provider(kind="community", admdvs=GUANGZHOU)
    station = w.provider(kind="village", admdvs=GUANGZHOU, parent=centre)
    hospital = w.provider(level="2", admdvs=GUANGZHOU)
    registered(w, member, start_on="2024-01-01", end_on="2024-03-31")
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    # when the registration has ended, a visit there without emergency is not covered
    plain = w.claim(member, centre, "2024-04-10T10:00:00+08:00")
    assert (plain["out_of_area"], plain["reason"], plain["hifp_pay"]) == (
        "unregistered", "out_of_area_not_registered", "0.00")
    # then an emergency at the centre: treating level L1, employed 70%: 100 × 70% = 70 → per-visit cap
    # 60.00, fee-for-service to the centre; at its village station 50 × 70% = 35.00, to the centre
    emergency = w.claim(member, centre, "2024-04-11T10:00:00+08:00", emergency=True)
    assert (emergency["out_of_area"], *paid(emergency), emergency["charged_fixmedins_code"]) == (
        "unregistered", "0.00", "0.7000", "60.00", None, centre)
    at_station = w.claim(member, station, "2024-04-12T10:00:00+08:00", "50.00", emergency=True)
    assert (*paid(at_station), at_station["charged_fixmedins_code"]) == ("0.00", "0.7000", "35.00", None, centre)
    # as at any other Guangzhou provider: L2 60%: 150 × 60% = 90.00; the cap left 1 800 − 185 = 1 615.00
    assert w.claim(member, hospital, "2024-04-13T10:00:00+08:00", "150.00", emergency=True)["hifp_pay"] == "90.00"
    assert w.accumulators(member, 2024)["cap_left"] == "1615.00"
    # and April's fee-for-service run carries them: the centre 60 + 35 = 95.00, the hospital 90.00
    lines = run_lines(w.client, run(w.client, HEYUAN, "fee_for_service", "2024-04")["id"])
    assert (lines[centre]["actual"], lines[hospital]["actual"]) == ("95.00", "90.00")
