"""CONTRACT.md read to the letter for "Claims" (request, response, reversal, accumulators): money in as
a string or a JSON number (``93.5`` is 93.50), out as a string with exactly 2 decimals, ratios with 4;
the request's defaults; every refusal a 400 naming its field that writes nothing (claims and the
member's year-to-date figures counted before and after); the idempotency key (200 for the same
content, 409 for other content); a reversal negating every amount, a second one a 409."""
import re
from decimal import Decimal

import pytest

from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO

pytestmark = pytest.mark.django_db
CLAIMS = "/api/v1/claims/"
MONEY = re.compile(r"^-?\d+\.\d{2}$")
RATIO = re.compile(r"^\d\.\d{4}$")
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")
RESULT_MONEY = ("act_pay_dedc", "hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay")
REQUEST_FIELDS = {"certno", "admdvs", "fixmedins_code", "visit_at", "benefit", "emergency", "referral", "out_of_area",
                  "prescribing_fixmedins_code", "channel", "exclusion", *AMOUNTS, "acct_used", "idempotency_key"}
RESPONSE_FIELDS = {"setl_id", "status", "reason", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "psn_part_amt",
                   "acct_pay", "psn_cash_pay", "steps"}


def _body(member: str, clinic: str, **overrides) -> dict:
    return {"certno": member, "admdvs": NANYANG, "fixmedins_code": clinic, "visit_at": "2024-03-01T10:00:00+08:00",
            "medfee_sumamt": "100.00", "inscp_scp_amt": "100.00", **overrides}


def _state(w, member: str) -> tuple[int, dict]:
    """(claims the staff user sees, the member's 2024 figures): what a refusal must leave as it was."""
    return w.client.get(CLAIMS).json()["count"], w.accumulators(member, 2024)


def _money_everywhere(value) -> bool:
    """Every string leaf of the accumulators' answer is money with 2 decimals."""
    if isinstance(value, dict):
        return all(_money_everywhere(item) for item in value.values())
    return value is None or not isinstance(value, str) or bool(MONEY.match(value))


@pytest.fixture
def nanyang(world):
    w = world(NANYANG)
    return w, w.member(), w.provider(level="1")


def test_only_the_required_fields_give_the_contracts_defaults_and_every_field_back(nanyang):
    # given a body with the six required fields alone
    w, member, clinic = nanyang
    response = w.client.post(CLAIMS, _body(member, clinic), format="json")
    # then 201 carrying the request's fields and the result's, with the defaults of the table
    assert response.status_code == 201, response.json()
    data = response.json()
    assert REQUEST_FIELDS | RESPONSE_FIELDS <= set(data), (REQUEST_FIELDS | RESPONSE_FIELDS) - set(data)
    assert (data["benefit"], data["channel"], data["acct_used"], data["exclusion"], data["out_of_area"],
            data["emergency"], data["referral"], data["prescribing_fixmedins_code"], data["idempotency_key"]) == (
        "ordinary", "direct", False, None, "none", False, False, None, None)
    assert (data["fulamt_ownpay_amt"], data["overlmt_selfpay"], data["preselfpay_amt"]) == ("0.00", "0.00", "0.00")
    assert all(MONEY.match(data[f]) for f in AMOUNTS + RESULT_MONEY) and RATIO.match(data["pool_prop_selfpay"])
    # and psn_part_amt = medfee_sumamt − hifp_pay, paid as acct_pay + psn_cash_pay
    assert Decimal(data["psn_part_amt"]) == Decimal(data["medfee_sumamt"]) - Decimal(data["hifp_pay"])
    assert Decimal(data["acct_pay"]) + Decimal(data["psn_cash_pay"]) == Decimal(data["psn_part_amt"])
    assert all(set(step) == {"rule", "amount", "note"} for step in data["steps"]) and data["steps"]


@pytest.mark.parametrize("amounts, echoed", [
    ({"medfee_sumamt": 93.5, "inscp_scp_amt": 93.5}, ("93.50", "93.50", "0.00")),     # a float-looking number
    ({"medfee_sumamt": 100, "inscp_scp_amt": "93.5", "fulamt_ownpay_amt": 6.5}, ("100.00", "93.50", "6.50")),
    ({"medfee_sumamt": "93.50", "inscp_scp_amt": 93.50}, ("93.50", "93.50", "0.00")),
    ({"medfee_sumamt": "0093.5", "inscp_scp_amt": "93.50"}, ("93.50", "93.50", "0.00")),
])
def test_money_is_accepted_as_a_string_or_a_json_number_and_answered_with_2_decimals(nanyang, amounts, echoed):
    w, member, clinic = nanyang
    response = w.client.post(CLAIMS, _body(member, clinic, **amounts), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["medfee_sumamt"], data["inscp_scp_amt"], data["fulamt_ownpay_amt"]) == echoed
    # Nanyang L1: 93.50 × 60% = 56.10
    assert (data["hifp_pay"], data["pool_prop_selfpay"]) == ("56.10", "0.6000")


@pytest.mark.parametrize("field, value", [
    ("inscp_scp_amt", 93.555), ("inscp_scp_amt", "93.555"), ("inscp_scp_amt", "-1.00"), ("inscp_scp_amt", "1e2"),
    ("inscp_scp_amt", "NaN"), ("inscp_scp_amt", True), ("inscp_scp_amt", "九十"), ("inscp_scp_amt", ""),
    ("fulamt_ownpay_amt", "0.001"), ("overlmt_selfpay", -5), ("preselfpay_amt", "1,00"),
    ("medfee_sumamt", "150.00"),           # not the sum of the four parts
    ("benefit", "dental"), ("channel", "post"), ("exclusion", "flood"), ("out_of_area", "abroad"),
    ("out_of_area", "temporary"),          # disagrees with what is derived (a local provider): 400
    ("acct_used", "yes"), ("emergency", "maybe"), ("referral", 2),
    ("visit_at", "yesterday"), ("visit_at", "2099-01-01T10:00:00+08:00"), ("visit_at", "2024-02-30T10:00:00"),
    ("certno", "411302197001010011"),      # no such member
    ("fixmedins_code", "NO-SUCH"), ("admdvs", "4113"), ("prescribing_fixmedins_code", "NO-SUCH"),
    ("idempotency_key", "k" * 101),
])
def test_a_bad_value_is_a_400_naming_its_field_and_changes_nothing(nanyang, field, value):
    w, member, clinic = nanyang
    w.claim(member, clinic, "2024-02-01T10:00:00+08:00")
    before = _state(w, member)
    response = w.client.post(CLAIMS, _body(member, clinic, **{field: value}), format="json")
    assert response.status_code == 400 and field in response.json(), (field, value, response.json())
    assert _state(w, member) == before


def test_a_body_that_is_not_an_object_is_a_400_on_non_field_errors(nanyang):
    w, member, clinic = nanyang
    response = w.client.post(CLAIMS, [_body(member, clinic)], format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json(), response.json()
    assert w.client.get(CLAIMS).json()["count"] == 0


@pytest.mark.parametrize("path", [CLAIMS, "/api/v1/members/", "/api/v1/providers/", "/api/v1/signups/",
                                  "/api/v1/settlement-runs/"])
@pytest.mark.parametrize("raw", ['{"certno": ', '{"certno": "\\u0000"}', "[" * 40 + "]" * 40])
def test_a_body_that_is_not_json_is_a_400_on_non_field_errors_and_changes_nothing(nanyang, path, raw):
    # CONTRACT.md "General rules": bad input is a 400 with {"field": [...]} or non_field_errors
    w, member, _ = nanyang
    before = _state(w, member)
    response = w.client.post(path, raw, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["non_field_errors"], response.json()
    assert _state(w, member) == before


def test_an_out_of_area_value_that_agrees_is_accepted_and_the_derived_value_answered(nanyang):
    w, member, clinic = nanyang
    assert w.claim(member, clinic, "2024-03-01T10:00:00+08:00", out_of_area="none")["out_of_area"] == "none"


def test_the_same_key_with_the_same_content_is_a_200_with_the_first_answer(nanyang):
    # given a claim settled under a key
    w, member, clinic = nanyang
    first = w.client.post(CLAIMS, _body(member, clinic, idempotency_key="letter-1"), format="json")
    assert first.status_code == 201, first.json()
    before = _state(w, member)
    # when the same content comes again, the amounts written as JSON numbers this time
    again = w.client.post(CLAIMS, _body(member, clinic, idempotency_key="letter-1", medfee_sumamt=100,
                                        inscp_scp_amt=100.0), format="json")
    # then 200 with the first answer, and nothing new
    assert again.status_code == 200, again.json()
    assert again.json() == first.json()
    assert _state(w, member) == before
    # and the same key with other content is a 409 that changes nothing
    other = w.client.post(CLAIMS, _body(member, clinic, idempotency_key="letter-1", medfee_sumamt="90.00",
                                        inscp_scp_amt="90.00"), format="json")
    assert other.status_code == 409, other.json()
    assert _state(w, member) == before


def test_a_reversal_is_a_new_settlement_negating_every_amount_and_a_second_one_a_409(world):
    # given a Zibo L1 visit (annual deductible 50, 60%) with every part of the cost, paid partly by the account
    w = world(ZIBO)
    member, clinic = w.member(), w.provider(level="1")
    original = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "100.00", own="10.00", overlmt_selfpay="5.00",
                       preselfpay_amt="2.50", medfee_sumamt="117.50")
    assert (original["act_pay_dedc"], original["hifp_pay"], original["psn_part_amt"]) == ("50.00", "30.00", "87.50")
    # when it is reversed
    response = w.client.post(f"{CLAIMS}{original['setl_id']}/reverse/")
    # then 201, a new setl_id naming the original in ``reverses``, every amount negated
    assert response.status_code == 201, response.json()
    reversal = response.json()
    assert reversal["setl_id"] != original["setl_id"] and reversal["reverses"] == original["setl_id"]
    for name in AMOUNTS + RESULT_MONEY:
        assert Decimal(reversal[name]) == -Decimal(original[name]), name
        assert MONEY.match(reversal[name]), name
    assert RATIO.match(reversal["pool_prop_selfpay"])
    assert w.client.get(f"{CLAIMS}{reversal['setl_id']}/").json()["reverses"] == original["setl_id"]
    # and the year-to-date figures are as if the claim had not happened
    ytd = w.accumulators(member, 2024)
    assert (ytd["deductible_paid"]["1"], ytd["fund_paid"], ytd["cap_left"]) == ("0.00", "0.00", ytd["annual_cap"])
    # and a second reversal is a 409 that changes nothing
    before = _state(w, member)
    assert w.client.post(f"{CLAIMS}{original['setl_id']}/reverse/").status_code == 409
    assert _state(w, member) == before


@pytest.mark.parametrize("admdvs, level", [(NANYANG, "2"), (ZIBO, "2"), (GANZHOU, "2"), (NANCHANG, "1"),
                                           (HEYUAN, "1")])
def test_accumulators_carry_the_named_figures_as_2_decimal_strings_in_every_region(world, admdvs, level):
    w = world(admdvs)
    member, provider = w.member(), w.provider(level=level)
    if admdvs in (NANCHANG, HEYUAN):
        assert w.signup(member, provider, applied_on="2024-01-02").status_code == 201
    claim = w.claim(member, provider, "2024-03-01T10:00:00+08:00", "777.77")
    # (each step's amount is money too, or null for a step without one)
    assert all(step["amount"] is None or MONEY.match(step["amount"]) for step in claim["steps"]), claim["steps"]
    ytd = w.accumulators(member, 2024)
    # then deductible_paid (per bucket), fund_paid, annual_cap, cap_left and the sub-caps' usage
    assert {"deductible_paid", "fund_paid", "annual_cap", "cap_left", "subcaps"} <= set(ytd), ytd
    assert _money_everywhere(ytd), ytd
    assert ytd["fund_paid"] == claim["hifp_pay"]
    if ytd["annual_cap"] is not None:
        assert Decimal(ytd["cap_left"]) == Decimal(ytd["annual_cap"]) - Decimal(claim["hifp_pay"])


@pytest.mark.parametrize("year", ["24", "abcd", "2024-03", "1800"])
def test_accumulators_of_a_badly_written_year_are_a_400_on_year(nanyang, year):
    w, member, _ = nanyang
    response = w.client.get(f"/api/v1/members/{NANYANG}/{member}/accumulators/", {"year": year})
    assert response.status_code == 400 and "year" in response.json(), response.json()


@pytest.mark.parametrize("exclusion, reason", [("work_injury", "excluded_work_injury"), ("chronic", "chronic_benefit"),
                                               ("third_party", "excluded_third_party")])
def test_an_exclusion_is_not_covered_with_the_contracts_reason_code(nanyang, exclusion, reason):
    w, member, clinic = nanyang
    claim = w.claim(member, clinic, "2024-03-01T10:00:00+08:00", "80.00", exclusion=exclusion)
    assert (claim["status"], claim["reason"], claim["exclusion"], claim["hifp_pay"], claim["psn_part_amt"]) == (
        "not_covered", reason, exclusion, "0.00", "80.00")
    assert w.accumulators(member, 2024)["fund_paid"] == "0.00"


def test_a_manual_claim_for_a_registered_out_of_area_visit_is_manual_out_of_area(world):
    # given a Nanyang member registered long-term in Guangzhou and a hospital there (RULES.md "Nanyang" 第十五条)
    w = world(NANYANG)
    member, away = w.member(), w.provider(level="1", admdvs="440100")
    assert w.register(member, start_on="2024-01-01").status_code == 201
    claim = w.claim(member, away, "2024-03-01T10:00:00+08:00", channel="manual")
    # then the derived out_of_area is answered and the manual claim gets 0 with the contract's code
    assert (claim["channel"], claim["out_of_area"], claim["status"], claim["reason"], claim["hifp_pay"]) == (
        "manual", "long_term", "not_covered", "manual_out_of_area", "0.00")
    # and the same visit settled directly is covered at the local L1 ratio: 100 × 60% = 60.00
    assert w.claim(member, away, "2024-03-02T10:00:00+08:00")["hifp_pay"] == "60.00"
