"""Every worked case of shared/policy/examples/claims.json through the pure core, with the exact
expected status, act_pay_dedc, pool_prop_selfpay and hifp_pay. The accumulators are simulated by
applying each decision's deltas; a "reverse_visit" applies the negated deltas of that visit."""
import json
from datetime import date
from decimal import Decimal
import pytest

from tests.shared_folder import shared_path

from .support import Ledger, at, member, provider, signup
from .support import visit as make_visit

EXAMPLES = shared_path("policy", "examples", "claims.json")
CASES = json.loads(EXAMPLES.read_text())["cases"]


def person_type_on(case_member: dict, day: date) -> str:
    """12xx retired from the 1st of the month after ``retired_on`` (RULES.md); 11xx employed."""
    retired_on = case_member.get("retired_on")
    if not case_member["psn_type"].startswith("12") or retired_on is None:
        return "employed"
    processed = date.fromisoformat(retired_on)
    switch = date(processed.year + processed.month // 12, processed.month % 12 + 1, 1)
    return "retired" if day >= switch else "employed"


def build_providers(case: dict) -> dict:
    return {p["code"]: provider(p["code"], str(p["level"]), kind=p.get("kind", "township"), admdvs=case["admdvs"],
                                parent_code=p.get("parent"))
            for p in case["providers"]}


def signup_on(case: dict, providers: dict, day: date):
    in_effect = [s for s in case["signups"] if date.fromisoformat(s["effective_from"]) <= day]
    if not in_effect:
        return None
    first = min(date.fromisoformat(s["effective_from"]) for s in case["signups"])
    latest = max(in_effect, key=lambda s: s["effective_from"])
    return signup(providers[latest["provider"]], family_doctor=latest.get("family_doctor", False),
                  first_effective_on=first)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worked_example(case):
    # given the case's member, providers and sign-ups, and empty accumulators
    ledger = Ledger(case["admdvs"])
    providers = build_providers(case)
    case_member = case["member"]
    visit_indexes = []
    for entry in case["visits"]:
        expect = entry["expect"]
        if "reverse_visit" in entry:
            # when a visit is reversed
            original = ledger.reverse(visit_indexes[entry["reverse_visit"]])
            # then its amounts come back negated
            assert -original.fund_pay == Decimal(expect["hifp_pay"])
            continue
        when = at(entry["visit_at"])
        facts = member(person_type_on(case_member, when.date()), poverty=case_member.get("poverty", False))
        visit = make_visit(entry["visit_at"], entry["inscp_scp_amt"], benefit=entry.get("benefit", "ordinary"),
                           emergency=entry.get("emergency", False), referral=entry.get("referral", False),
                           out_of_area=entry.get("out_of_area", "none"), channel=entry.get("channel", "direct"),
                           exclusion=entry.get("exclusion"))
        # when the visit is adjudicated
        decision = ledger.claim(member=facts, provider=providers[entry["provider"]], visit=visit,
                                signup=signup_on(case, providers, when.date()))
        visit_indexes.append(len(ledger.decisions) - 1)
        # then status and amounts are exactly the expected ones
        label = f"{case['name']} @ {entry['visit_at']}"
        assert decision.status == expect["status"], label
        assert decision.fund_pay == Decimal(expect["hifp_pay"]), label
        if "act_pay_dedc" in expect:
            assert decision.deductible == Decimal(expect["act_pay_dedc"]), label
        if "pool_prop_selfpay" in expect:
            assert decision.ratio == Decimal(expect["pool_prop_selfpay"]), label
