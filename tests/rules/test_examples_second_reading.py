"""The pharmacy and correction cases of shared/policy/examples/claims-second-reading.json through the
pure core: the cases whose providers are all of the member's region and whose member has no out-of-area
registration (the out-of-area cases need registrations, RULES.md "Out-of-area care"). A visit's
``prescribing_fixmedins_code`` becomes the visit's prescriber; the member's ``inpatient_only`` its fact."""
import json
from dataclasses import replace
from decimal import Decimal

import pytest

from tests.shared_folder import shared_path

from .support import Ledger, at, member
from .support import visit as make_visit
from .test_examples import build_providers, person_type_on, signup_on

CASES = [c for c in json.loads(shared_path("policy", "examples", "claims-second-reading.json").read_text())["cases"]
         if not c["member"].get("registrations") and not any("admdvs" in p for p in c["providers"])]


def test_the_selection_holds_the_pharmacy_and_inpatient_only_cases():
    assert {c["region"] for c in CASES} >= {"nanyang", "ganzhou"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_second_reading_case(case):
    # given the case's member, providers and sign-ups, and empty accumulators
    ledger = Ledger(case["admdvs"])
    providers = build_providers(case)
    case_member = case["member"]
    for entry in case["visits"]:
        expect = entry["expect"]
        when = at(entry["visit_at"])
        facts = member(person_type_on(case_member, when.date()), poverty=case_member.get("poverty", False),
                       inpatient_only=case_member.get("inpatient_only", False))
        visit = make_visit(entry["visit_at"], entry["inscp_scp_amt"], benefit=entry.get("benefit", "ordinary"),
                           emergency=entry.get("emergency", False), referral=entry.get("referral", False),
                           channel=entry.get("channel", "direct"), exclusion=entry.get("exclusion"))
        prescriber = entry.get("prescribing_fixmedins_code")
        if prescriber:
            visit = replace(visit, prescriber=providers[prescriber])
        # when the visit is adjudicated
        decision = ledger.claim(member=facts, provider=providers[entry["provider"]], visit=visit,
                                signup=signup_on(case, providers, when.date()))
        # then status and amounts are exactly the expected ones (all these visits are in the region)
        label = f"{case['name']} @ {entry['visit_at']}"
        assert expect["out_of_area"] == visit.out_of_area == "none", label
        assert decision.status == expect["status"], label
        assert decision.fund_pay == Decimal(expect["hifp_pay"]), label
        if "act_pay_dedc" in expect:
            assert decision.deductible == Decimal(expect["act_pay_dedc"]), label
        if "pool_prop_selfpay" in expect:
            assert decision.ratio == Decimal(expect["pool_prop_selfpay"]), label
