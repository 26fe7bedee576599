"""The out-of-area cases of shared/policy/examples/claims-second-reading.json through the pure core:
``out_of_area`` derived as the claims engine derives it (policy/rules/out_of_area.py) from the
provider's admdvs and the member's registrations, then the region's rules; the accumulators are
simulated by applying each decision's deltas. The pharmacy and inpatient-only cases of that file
belong to the pharmacy/corrections work."""
import json
from datetime import date
from decimal import Decimal

import pytest

from policy.rules.common import RegistrationFacts
from policy.rules.out_of_area import out_of_area_derive, registration_on
from tests.shared_folder import shared_path

from .support import Ledger, at, member, provider, signup
from .support import visit as make_visit

ALL_CASES = json.loads(shared_path("policy", "examples", "claims-second-reading.json").read_text())["cases"]
NEEDS_17B = {"out-of-city selection with a long-term registration; emergency without a selection"}


def concerns_out_of_area(case: dict) -> bool:
    return bool(case["member"].get("registrations")) or any("admdvs" in p for p in case["providers"])


# The Heyuan case's first visit (emergency without a selection) is the issue-17b correction: whole case passes.
CASES = [pytest.param(c, id=c["name"]) for c in ALL_CASES if concerns_out_of_area(c)]


def registrations_of(case: dict) -> tuple[RegistrationFacts, ...]:
    def day(text):
        return date.fromisoformat(text) if text else None
    return tuple(RegistrationFacts(kind=r["kind"], dest_admdvs=r["dest_admdvs"], start_on=day(r["start_on"]),
                                   end_on=day(r.get("end_on")), cancelled_on=day(r.get("cancelled_on")), id=n)
                 for n, r in enumerate(case["member"].get("registrations", ()), start=1))


def run_case(case: dict, *, skip_first: bool = False) -> None:
    ledger = Ledger(case["admdvs"])
    providers = {p["code"]: provider(p["code"], str(p["level"]), kind=p.get("kind", "township"),
                                     admdvs=p.get("admdvs", case["admdvs"])) for p in case["providers"]}
    history = registrations_of(case)
    birth = date.fromisoformat(case["member"].get("birth", "1970-05-01"))
    for entry in case["visits"][1 if skip_first else 0:]:
        when = at(entry["visit_at"])
        treating = providers[entry["provider"]]
        derived, used = out_of_area_derive(member_admdvs=case["admdvs"], provider_admdvs=treating.admdvs,
                                           in_force=registration_on(history, when.date()))
        in_effect = [s for s in case["signups"] if date.fromisoformat(s["effective_from"]) <= when.date()]
        chosen = None
        if case["signups"]:
            first = min(date.fromisoformat(s["effective_from"]) for s in case["signups"])
            latest = max(in_effect, key=lambda s: s["effective_from"]) if in_effect else None
            chosen = signup(providers[latest["provider"]] if latest else None, first_effective_on=first)
        visit = make_visit(entry["visit_at"], entry["inscp_scp_amt"], emergency=entry.get("emergency", False),
                           channel=entry.get("channel", "direct"), out_of_area=derived, registration=used)
        decision = ledger.claim(member=member("employed", birth_date=birth, registrations=history),
                                provider=treating, visit=visit, signup=chosen)
        expect, label = entry["expect"], f"{case['name']} @ {entry['visit_at']}"
        assert derived == expect["out_of_area"], label
        assert (decision.status, decision.fund_pay) == (expect["status"], Decimal(expect["hifp_pay"])), label
        if "act_pay_dedc" in expect:
            assert decision.deductible == Decimal(expect["act_pay_dedc"]), label
        if "pool_prop_selfpay" in expect:
            assert decision.ratio == Decimal(expect["pool_prop_selfpay"]), label


@pytest.mark.parametrize("case", CASES)
def test_out_of_area_case_through_the_core(case):
    run_case(case)


def test_heyuan_case_after_its_emergency_visit_through_the_core():
    run_case(next(c for c in ALL_CASES if c["name"] in NEEDS_17B), skip_first=True)
