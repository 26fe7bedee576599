"""Builders shared by the claims tests: a request body, a ClaimRequest, a case's world."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from claims.requests import claim_request_parse
from tests.factories import make_member, make_provider, make_registration, make_signup

REGION_CODES = {"nanyang": "411300", "zibo": "370300", "ganzhou": "360700", "nanchang": "360100",
                "heyuan": "441600"}


def body(*, member, provider, visit_at: str, inscp: str = "100.00", own: str = "0.00", **extra) -> dict:
    """A claim request body whose amounts satisfy the medfee identity."""
    total = Decimal(inscp) + Decimal(own)
    return {"certno": member.certno, "admdvs": member.admdvs_id, "fixmedins_code": provider.fixmedins_code,
            "visit_at": visit_at, "medfee_sumamt": str(total), "fulamt_ownpay_amt": own, "inscp_scp_amt": inscp,
            **extra}


def request_for(**kwargs):
    return claim_request_parse(body(**kwargs))


def build_case_world(case: dict):
    """Providers, the member and sign-ups of one worked case (claims.json)."""
    admdvs = case["admdvs"]
    providers = {}
    for spec in case["providers"]:
        kind = spec.get("kind") or ("township" if spec["level"] == 1 else "hospital")
        providers[spec["code"]] = make_provider(
            code=spec["code"], admdvs=spec.get("admdvs", admdvs), level=str(spec["level"]), kind=kind,
            parent=providers.get(spec.get("parent")))
    m = case["member"]
    member = make_member(certno=m["certno"], admdvs=admdvs, psn_type=m.get("psn_type"),
                         retired_on=date.fromisoformat(m["retired_on"]) if m.get("retired_on") else None,
                         poverty=m.get("poverty", False))
    for r in m.get("registrations", ()):
        make_registration(member=member, kind=r["kind"], dest_admdvs=r["dest_admdvs"],
                          start_on=date.fromisoformat(r["start_on"]),
                          end_on=date.fromisoformat(r["end_on"]) if r.get("end_on") else None,
                          cancelled_on=date.fromisoformat(r["cancelled_on"]) if r.get("cancelled_on") else None)
    for s in case["signups"]:
        make_signup(member=member, provider=providers[s["provider"]],
                    effective_from=date.fromisoformat(s["effective_from"]), reason=s.get("reason", "first"),
                    family_doctor=s.get("family_doctor", False))
    return member, providers
