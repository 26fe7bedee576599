"""National interface (CONTRACT.md "National interface — POST /api/national/"), checked from outside:
the clinic's token from `manage.py clinic_token`, its messages in the national envelope, the staff
REST API to set up and to cross-check; every expected figure by hand from RULES.md."""
import re

import pytest

from tests.contract.world import NANCHANG, NationalClinic

pytestmark = pytest.mark.django_db
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def signed_clinics(world):
    """Nanchang centres A and B, a resident signed with A on 2024-01-02 who moves to B by an address
    change asked on 2024-04-10 (effective 2024-05-01), and A's HIS signed in."""
    w = world(NANCHANG)
    a, b, member = w.provider(), w.provider(), w.member()
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    assert w.signup(member, b, applied_on="2024-04-10", reason="address_change").status_code == 201
    clinic = NationalClinic(a, NANCHANG)
    clinic.sign_in()
    return w, clinic, member, a, b


def test_visit_time_is_the_2201_begntime_and_the_answer_has_the_national_formats(world):
    # given the member signed with A until 30 April (RULES.md "Nanchang": 60% at the signed provider)
    w, clinic, member, a, _ = signed_clinics(world)
    # when A registers a visit at 23:59 on 30 April and settles 100.00 all in policy
    visit = clinic.visit(member, "390", begntime="2024-04-30 23:59:00", amount="100.00")
    answer = clinic.send(clinic.settle_message(visit, medfee="100.00", inscp="100.00"))
    # then infcode 0 and 100 × 0.60 = 60.00 from the fund, 40.00 for the member; money with 2 decimals,
    # ratio with 4, times yyyy-MM-dd HH:mm:ss (CONTRACT.md)
    assert answer["infcode"] == 0, answer
    # (the envelope's own stamps refmsg_time / respond_time too)
    assert STAMP.match(answer["refmsg_time"]) and STAMP.match(answer["respond_time"])
    setl = answer["output"]["setlinfo"]
    assert (setl["medfee_sumamt"], setl["inscp_scp_amt"], setl["hifp_pay"], setl["pool_prop_selfpay"],
            setl["psn_part_amt"]) == ("100.00", "100.00", "60.00", "0.6000", "40.00")
    assert TIME.match(setl["setl_time"]) and all(MONEY.match(setl[f]) for f in ("act_pay_dedc", "fund_pay_sumamt",
                                                                                  "acct_pay", "psn_cash_pay"))
    # and the same settlement is the REST claim, dated by the 2201's begntime (Shanghai time)
    claim = w.client.get(f"/api/v1/claims/{setl['setl_id']}/").json()
    assert (claim["hifp_pay"], claim["fixmedins_code"], claim["visit_at"][:19]) == ("60.00", a, "2024-04-30T23:59:00")
    # when a visit registered at 00:00 on 1 May is settled at A (the member is B's from 1 May)
    later = clinic.visit(member, "390", begntime="2024-05-01 00:00:00", amount="100.00")
    second = clinic.send(clinic.settle_message(later, medfee="100.00", inscp="100.00"))
    # then it is recorded, not covered: nothing from the fund at A, the reason in the fund detail
    setl = second["output"]["setlinfo"]
    assert (second["infcode"], setl["hifp_pay"], setl["psn_part_amt"]) == (0, "0.00", "100.00")
    assert "not_signed_provider" in second["output"]["setldetail"][0]["setl_proc_info"]


def test_a_repeated_msgid_returns_the_first_answer_and_settles_once(world):
    # given a visit at A on 1 March of 100.00
    w, clinic, member, _, _ = signed_clinics(world)
    visit = clinic.visit(member, "390", begntime="2024-03-01 10:00:00", amount="100.00")
    message = clinic.settle_message(visit, medfee="100.00", inscp="100.00")
    # when the same 2207 message is sent twice
    first, again = clinic.send(message), clinic.send(message)
    # then the second answer is the first one, and 3201 counts one settlement of 100.00 / 60.00
    assert again == first and first["infcode"] == 0
    assert clinic.reconcile("390", begin="2024-03-01", end="2024-03-31", medfee="100.00", fund="60.00",
                            acct="0.00", count=1)["output"]["stmtinfo"]["stmt_rslt"] == "0"


def test_3201_balances_net_of_a_2208_reversal_and_counts_settlements_not_reversed(world):
    # given two March visits at A settled (100.00 → 60.00; 50.00 → 30.00), the second reversed by 2208
    w, clinic, member, _, _ = signed_clinics(world)
    one = clinic.visit(member, "390", begntime="2024-03-01 10:00:00", amount="100.00")
    two = clinic.visit(member, "390", begntime="2024-03-02 10:00:00", amount="50.00")
    assert clinic.send(clinic.settle_message(one, medfee="100.00", inscp="100.00"))["infcode"] == 0
    settled = clinic.send(clinic.settle_message(two, medfee="50.00", inscp="50.00"))
    assert settled["output"]["setlinfo"]["hifp_pay"] == "30.00"
    reversal = clinic.send(clinic.envelope("2208", {"data": {
        "setl_id": settled["output"]["setlinfo"]["setl_id"], "mdtrt_id": two["mdtrt_id"], "psn_no": two["psn_no"]}}))
    assert reversal["infcode"] == 0, reversal
    # when the clinic reconciles March: totals net of the reversal = 100.00 / 60.00, one settlement
    balanced = clinic.reconcile("390", begin="2024-03-01", end="2024-03-31", medfee="100.00", fund="60.00",
                                acct="0.00", count=1)
    # then "0"; counting the reversed one (2), or the gross fund (90.00), is "1"
    assert balanced["infcode"] == 0 and balanced["output"]["stmtinfo"]["stmt_rslt"] == "0", balanced
    for medfee, fund, count in (("100.00", "60.00", 2), ("150.00", "90.00", 1)):
        off = clinic.reconcile("390", begin="2024-03-01", end="2024-03-31", medfee=medfee, fund=fund, acct="0.00",
                               count=count)
        assert off["output"]["stmtinfo"]["stmt_rslt"] == "1", off
    # and the staff API sees the original reversed: a second reversal is a 409 (CONTRACT.md claims)
    assert w.client.post(f"/api/v1/claims/{settled['output']['setlinfo']['setl_id']}/reverse/").status_code == 409


def test_refusals_are_infcode_minus_one_with_http_200_and_change_nothing(world):
    # given a visit at A of 100.00
    w, clinic, member, a, b = signed_clinics(world)
    visit = clinic.visit(member, "390", begntime="2024-03-01 10:00:00", amount="100.00")
    # when the 2207's parts do not add up (100.00 ≠ 10.00 own-pay + 100.00 in policy)
    bad = clinic.send(clinic.settle_message(visit, medfee="100.00", inscp="100.00", own="10.00"))
    # then infcode -1 with a message, and nothing settled (3201: no settlement in March)
    assert bad["infcode"] == -1 and bad["err_msg"], bad
    assert clinic.reconcile("390", begin="2024-03-01", end="2024-03-31", medfee="0.00", fund="0.00", acct="0.00",
                            count=0)["output"]["stmtinfo"]["stmt_rslt"] == "0"
    # when the envelope names another provider than the token's: HTTP 200, infcode -1
    other = clinic.post(clinic.envelope("9001", {"signIn": {"opter_no": "OP001", "mac": "x", "ip": "10.0.0.8"}},
                                        fixmedins_code=b))
    assert other.status_code == 200 and other.json()["infcode"] == -1
    # and an unknown token is refused before any envelope (not authenticated)
    assert clinic.post(clinic.envelope("9001", {"signIn": {}}), token="0" * 40).status_code in (401, 403)


def test_2206_records_nothing_and_a_second_2208_is_refused(world):
    # given a visit at A of 100.00
    w, clinic, member, _, _ = signed_clinics(world)
    visit = clinic.visit(member, "390", begntime="2024-03-01 10:00:00", amount="100.00")
    # when the clinic pre-settles it (2206): the same figures (100 × 0.60 = 60.00), nothing recorded
    data = clinic.settle_message(visit, medfee="100.00", inscp="100.00")["input"]["data"]
    trial = clinic.send(clinic.envelope("2206", {"data": {k: data[k] for k in (
        "psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "med_type", "medfee_sumamt", "psn_setlway", "mdtrt_id",
        "chrg_bchno", "acct_used_flag", "insutype")}}))
    assert trial["infcode"] == 0, trial
    assert trial["output"]["setlinfo"]["hifp_pay"] == "60.00"
    assert clinic.reconcile("390", begin="2024-03-01", end="2024-03-31", medfee="0.00", fund="0.00", acct="0.00",
                            count=0)["output"]["stmtinfo"]["stmt_rslt"] == "0"
    # when it is settled (2207) and reversed twice (2208)
    setl_id = clinic.send(clinic.settle_message(visit, medfee="100.00", inscp="100.00"))["output"]["setlinfo"][
        "setl_id"]
    undo = {"data": {"setl_id": setl_id, "mdtrt_id": visit["mdtrt_id"], "psn_no": visit["psn_no"]}}
    assert clinic.send(clinic.envelope("2208", undo))["infcode"] == 0
    # then the second reversal is refused (infcode -1) and the totals are the net 0.00 with no settlement
    assert clinic.send(clinic.envelope("2208", undo))["infcode"] == -1
    assert clinic.reconcile("390", begin="2024-03-01", end="2024-03-31", medfee="0.00", fund="0.00", acct="0.00",
                            count=0)["output"]["stmtinfo"]["stmt_rslt"] == "0"


def test_a_clinic_token_is_not_a_staff_token(world):
    # given A's clinic account (manage.py clinic_token)
    _, clinic, member, _, _ = signed_clinics(world)
    # then it cannot use the staff REST API (CONTRACT.md: staff users only)
    response = clinic.api.get(f"/api/v1/members/{NANCHANG}/{member}/",
                              HTTP_AUTHORIZATION=f"Token {clinic.token}")
    assert response.status_code in (401, 403)
    # and running clinic_token again prints the same account's token (no second account)
    assert NationalClinic(clinic.code, NANCHANG).token == clinic.token
