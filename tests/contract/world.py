"""Builders for the outside check: every object is made through the REST API of CONTRACT.md (the
contract's paths, field names and codes), never through the models or the services, so that a test
here sees the product the way a clinic system or an acceptance script does."""
from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from members.certno import make_certno

DISTRICT = {"411300": "411302", "370300": "370302", "360700": "360702", "360100": "360102", "441600": "441602"}
INSUTYPE = {"411300": "310", "370300": "310", "360700": "310", "360100": "390", "441600": "310"}
NANYANG, ZIBO, GANZHOU, NANCHANG, HEYUAN = "411300", "370300", "360700", "360100", "441600"
_seq = itertools.count(1)


class World:
    """One staff client and the objects it posted."""

    def __init__(self, client, admdvs: str):
        self.client, self.admdvs = client, admdvs

    def provider(self, *, level: str = "1", kind: str | None = None, admdvs: str | None = None,
                 parent: str | None = None, status: str = "active") -> str:
        admdvs = admdvs or self.admdvs
        code = f"C{admdvs[:4]}{next(_seq):05d}"
        body = {"fixmedins_code": code, "fixmedins_name": f"机构{code}", "admdvs": admdvs,
                "district": DISTRICT.get(admdvs) or admdvs[:4] + "01", "dedc_hosp_lv": level,
                "kind": kind or ("township" if level in ("1", "9") else "hospital"), "parent_code": parent,
                "status": status}
        response = self.client.post("/api/v1/providers/", body, format="json")
        assert response.status_code == 201, response.json()
        return code

    def member(self, *, psn_type: str | None = None, birth: date = date(1970, 5, 1), retired_on: str | None = None,
               poverty: bool = False, enrolled_on: str = "2015-01-01", inpatient_only: bool = False) -> str:
        certno = make_certno(area="360102", birth=birth, sequence=next(_seq) % 1000)
        employee = INSUTYPE[self.admdvs] == "310"
        body = {"certno": certno, "psn_name": "李四", "admdvs": self.admdvs, "insutype": INSUTYPE[self.admdvs],
                "psn_type": psn_type or ("1101" if employee else "1501"), "retired_on": retired_on,
                "contribution_base": "5000.00" if employee else None, "poverty": poverty,
                "inpatient_only": inpatient_only, "district": DISTRICT[self.admdvs], "enrolled_on": enrolled_on}
        response = self.client.post("/api/v1/members/", body, format="json")
        assert response.status_code == 201, response.json()
        return certno

    def signup(self, certno: str, provider: str, *, applied_on: str, reason: str = "first",
               family_doctor: bool = False):
        return self.client.post("/api/v1/signups/", {
            "certno": certno, "admdvs": self.admdvs, "fixmedins_code": provider, "applied_on": applied_on,
            "reason": reason, "family_doctor": family_doctor}, format="json")

    def register(self, certno: str, *, kind: str = "long_term", dest: str = "440100", start_on: str,
                 end_on: str | None = None):
        return self.client.post("/api/v1/out-of-area-registrations/", {
            "certno": certno, "admdvs": self.admdvs, "kind": kind, "dest_admdvs": dest, "start_on": start_on,
            "end_on": end_on}, format="json")

    def claim_response(self, certno: str, provider: str, at: str, inscp: str = "100.00", *, own: str = "0.00",
                       **extra):
        total = Decimal(inscp) + Decimal(own)
        body = {"certno": certno, "admdvs": self.admdvs, "fixmedins_code": provider, "visit_at": at,
                "medfee_sumamt": str(total), "fulamt_ownpay_amt": own, "overlmt_selfpay": "0.00",
                "preselfpay_amt": "0.00", "inscp_scp_amt": inscp, **extra}
        return self.client.post("/api/v1/claims/", body, format="json")

    def claim(self, certno: str, provider: str, at: str, inscp: str = "100.00", **extra) -> dict:
        response = self.claim_response(certno, provider, at, inscp, **extra)
        assert response.status_code == 201, response.json()
        return response.json()

    def reverse(self, setl_id: str) -> dict:
        response = self.client.post(f"/api/v1/claims/{setl_id}/reverse/")
        assert response.status_code == 201, response.json()
        return response.json()

    def accumulators(self, certno: str, year: int) -> dict:
        response = self.client.get(f"/api/v1/members/{self.admdvs}/{certno}/accumulators/?year={year}")
        assert response.status_code == 200, response.json()
        return response.json()


def paid(claim: dict) -> tuple[str, str, str, str | None]:
    """(act_pay_dedc, pool_prop_selfpay, hifp_pay, reason) — the figures a checker compares."""
    return claim["act_pay_dedc"], claim["pool_prop_selfpay"], claim["hifp_pay"], claim["reason"]


def run_response(client, admdvs: str, kind: str, period: str):
    """POST /api/v1/settlement-runs/ (CONTRACT.md "Settlement runs")."""
    return client.post("/api/v1/settlement-runs/", {"admdvs": admdvs, "kind": kind, "period": period}, format="json")


def run(client, admdvs: str, kind: str, period: str) -> dict:
    response = run_response(client, admdvs, kind, period)
    assert response.status_code == 201, response.json()
    return response.json()


def run_lines(client, run_id: int) -> dict[str, dict]:
    """The run's lines by provider code."""
    response = client.get(f"/api/v1/settlement-runs/{run_id}/lines/")
    assert response.status_code == 200, response.json()
    return {line["fixmedins_code"]: line for line in response.json()}


def approve_by_second_person(client, run_id: int, back_to):
    """Approve as another city-wide staff user with the approval permission (runs are approved by a
    second person, RULES.md "Paying providers"); the client is switched back to ``back_to``."""
    from tests.factories import make_staff

    approver = make_staff(all_regions=True, perms=["budgets.approve_settlement"])
    client.force_authenticate(approver)
    try:
        return client.post(f"/api/v1/settlement-runs/{run_id}/approve/")
    finally:
        client.force_authenticate(back_to)
