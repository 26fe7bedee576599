"""CONTRACT.md "Claims" field by field, checked from outside: shapes and formats of the answer,
refusals (400 naming the field, nothing written), 404s, reversal negation and idempotent replay."""
import re

import pytest

from tests.contract.world import NANCHANG, NANYANG, ZIBO

pytestmark = pytest.mark.django_db
MONEY = re.compile(r"^-?\d+\.\d{2}$")
RATIO = re.compile(r"^\d\.\d{4}$")
MONEY_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                "act_pay_dedc", "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay")


def test_answer_echoes_the_request_with_money_as_2_decimal_strings_and_the_ratio_with_4(world):
    # given JSON numbers in the request (accepted: CONTRACT.md "General rules")
    w = world(ZIBO)
    member, hospital = w.member(), w.provider(level="2")
    response = w.client.post("/api/v1/claims/", {
        "certno": member, "admdvs": ZIBO, "fixmedins_code": hospital, "visit_at": "2024-03-01T10:00:00+08:00",
        "medfee_sumamt": 1000, "fulamt_ownpay_amt": 50.5, "overlmt_selfpay": "20", "preselfpay_amt": 9.5,
        "inscp_scp_amt": 920}, format="json")
    # then 201 with every money field a string of exactly 2 decimals, the ratio with 4
    assert response.status_code == 201, response.json()
    data = response.json()
    assert all(MONEY.match(data[f]) for f in MONEY_FIELDS), {f: data[f] for f in MONEY_FIELDS}
    assert RATIO.match(data["pool_prop_selfpay"])
    # and the defaults of the request are echoed (benefit ordinary, channel direct, out_of_area derived)
    assert (data["benefit"], data["channel"], data["out_of_area"], data["exclusion"], data["acct_used"]) == (
        "ordinary", "direct", "none", None, False)
    # and L2 (920 − 500) × 0.60 = 252.00; psn_part_amt = 1 000 − 252 = 748.00, all paid in cash
    assert (data["medfee_sumamt"], data["fulamt_ownpay_amt"], data["preselfpay_amt"]) == ("1000.00", "50.50", "9.50")
    assert (data["act_pay_dedc"], data["hifp_pay"], data["psn_part_amt"]) == ("500.00", "252.00", "748.00")
    assert (data["acct_pay"], data["psn_cash_pay"]) == ("0.00", "748.00")
    assert data["status"] == "settled" and data["reason"] is None and data["setl_id"]
    assert [sorted(step) for step in data["steps"]] == [["amount", "note", "rule"]] * len(data["steps"])
    # and GET reads the same figures back
    again = w.client.get(f"/api/v1/claims/{data['setl_id']}/").json()
    assert {f: again[f] for f in MONEY_FIELDS} == {f: data[f] for f in MONEY_FIELDS}


def test_a_not_covered_visit_is_recorded_with_zero_and_the_whole_cost_as_the_members_share(world):
    w = world(NANCHANG)
    member, centre = w.member(), w.provider()
    claim = w.claim(member, centre, "2024-03-01T10:00:00+08:00", "80.00", own="20.00")   # not signed
    assert (claim["status"], claim["reason"], claim["hifp_pay"], claim["psn_part_amt"]) == (
        "not_covered", "not_signed_provider", "0.00", "100.00")
    assert MONEY.match(claim["act_pay_dedc"]) and RATIO.match(claim["pool_prop_selfpay"])


def test_a_reversal_negates_every_amount_and_keeps_the_medfee_identity(world):
    w = world(NANYANG)
    member, hospital = w.member(), w.provider(level="2")
    original = w.claim(member, hospital, "2024-03-01T10:00:00+08:00", "200.00", own="30.00")
    reversal = w.reverse(original["setl_id"])
    # then (200 − 30) × 0.55 = 93.50 comes back negated, with every part of the cost
    assert (original["act_pay_dedc"], original["hifp_pay"], original["psn_part_amt"]) == ("30.00", "93.50", "136.50")
    assert (reversal["act_pay_dedc"], reversal["hifp_pay"], reversal["psn_part_amt"]) == ("-30.00", "-93.50", "-136.50")
    assert (reversal["medfee_sumamt"], reversal["fulamt_ownpay_amt"], reversal["inscp_scp_amt"]) == (
        "-230.00", "-30.00", "-200.00")
    assert reversal["reverses"] == original["setl_id"] and reversal["status"] == "reversal"
    assert all(MONEY.match(reversal[f]) for f in MONEY_FIELDS)
    ytd = w.accumulators(member, 2024)
    assert (ytd["fund_paid"], ytd["deductible_paid"]["per_visit"]) == ("0.00", "0.00")


def test_unknown_claims_are_404(world):
    w = world(NANYANG)
    assert w.client.get("/api/v1/claims/NO-SUCH/").status_code == 404
    assert w.client.post("/api/v1/claims/NO-SUCH/reverse/").status_code == 404


@pytest.mark.parametrize("field", ["certno", "admdvs", "fixmedins_code", "visit_at", "medfee_sumamt",
                                   "inscp_scp_amt"])
def test_a_missing_required_field_is_a_400_naming_it_and_writes_nothing(world, field):
    w = world(NANYANG)
    member, clinic = w.member(), w.provider()
    body = {"certno": member, "admdvs": NANYANG, "fixmedins_code": clinic, "visit_at": "2024-03-01T10:00:00+08:00",
            "medfee_sumamt": "100.00", "inscp_scp_amt": "100.00"}
    del body[field]
    response = w.client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert w.client.get("/api/v1/claims/").json()["results"] == []


def test_a_refused_request_does_not_spend_its_idempotency_key(world):
    # given a request refused (medfee identity broken) with a key
    w = world(NANYANG)
    member, clinic = w.member(), w.provider()
    bad = w.claim_response(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", idempotency_key="k-1",
                           medfee_sumamt="150.00")
    assert bad.status_code == 400
    # when the corrected request comes with the same key, then it is a new claim (a refusal changes nothing)
    good = w.claim_response(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", idempotency_key="k-1")
    assert good.status_code == 201 and good.json()["hifp_pay"] == "60.00"
    # and replaying it after a reversal still gives the first result, never a second claim
    w.reverse(good.json()["setl_id"])
    replay = w.claim_response(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", idempotency_key="k-1")
    assert replay.status_code == 200 and replay.json()["setl_id"] == good.json()["setl_id"]
    assert w.accumulators(member, 2024)["fund_paid"] == "0.00"


def test_a_personal_account_without_balance_leaves_the_share_in_cash(world):
    w = world(NANYANG)
    member, clinic = w.member(), w.provider()
    claim = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", acct_used=True)
    # 100 × 0.6 = 60; share 40 = acct_pay + psn_cash_pay
    assert (claim["hifp_pay"], claim["psn_part_amt"]) == ("60.00", "40.00")
    assert claim["acct_pay"] == "0.00" and claim["psn_cash_pay"] == "40.00"
