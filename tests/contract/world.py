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


class NationalClinic:
    """A clinic HIS speaking the national envelope (CONTRACT.md "National interface") with the token
    ``manage.py clinic_token`` prints, on a client of its own (the staff client is force-authenticated)."""

    def __init__(self, fixmedins_code: str, admdvs: str):
        import io

        from django.core.management import call_command
        from rest_framework.test import APIClient

        out = io.StringIO()
        call_command("clinic_token", fixmedins_code, stdout=out)
        self.token = out.getvalue().strip().splitlines()[-1]
        self.code, self.admdvs, self.api, self.sign_no = fixmedins_code, admdvs, APIClient(), None

    def envelope(self, infno: str, input_: dict, *, msgid: str | None = None, fixmedins_code: str | None = None,
                 insuplc: str | None = None) -> dict:
        return {"infno": infno, "msgid": msgid or f"{self.code[:12]:0>12}20240304090000{next(_seq):04d}",
                "mdtrtarea_admvs": self.admdvs, "insuplc_admdvs": insuplc or self.admdvs, "recer_sys_code": "YBXT",
                "infver": "V1.0", "opter_type": "1", "opter": "OP001", "opter_name": "收费员",
                "inf_time": "2024-03-04 09:00:00", "fixmedins_code": fixmedins_code or self.code,
                "fixmedins_name": f"机构{self.code}", "sign_no": self.sign_no, "input": input_}

    def post(self, message: dict, token: str | None = None):
        import json

        return self.api.post("/api/national/", data=json.dumps(message, ensure_ascii=False),
                             content_type="application/json", HTTP_AUTHORIZATION=f"Token {token or self.token}")

    def send(self, message: dict) -> dict:
        response = self.post(message)
        assert response.status_code == 200, response.content
        return response.json()

    def sign_in(self) -> dict:
        answer = self.send(self.envelope("9001", {"signIn": {"opter_no": "OP001", "mac": "00-1A-2B-3C-4D-5E",
                                                             "ip": "10.0.0.8"}}))
        assert answer["infcode"] == 0, answer
        self.sign_no = answer["output"]["signinoutb"]["sign_no"]
        return answer

    def visit(self, certno: str, insutype: str, *, begntime: str, amount: str, med_type: str = "11",
              rx: bool = False, caty: str = "03", diag: str = "J06.900") -> dict:
        """1101, 2201 (visit time = ``begntime``), 2203 (``med_type``, ``diag``) and one 2204 fee
        detail of ``amount`` (``rx``: a filled prescription 外配处方)."""
        person = self.send(self.envelope("1101", {"data": {
            "mdtrt_cert_type": "02", "mdtrt_cert_no": certno, "card_sn": None, "begntime": None,
            "psn_cert_type": "01", "certno": certno, "psn_name": "李四"}}))
        assert person["infcode"] == 0, person
        psn_no = person["output"]["baseinfo"]["psn_no"]
        registered = self.send(self.envelope("2201", {"data": {
            "psn_no": psn_no, "insutype": insutype, "begntime": begntime, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": certno, "ipt_otp_no": f"MZ{next(_seq):08d}", "atddr_no": "D0001", "dr_name": "李医生",
            "dept_code": "NK01", "dept_name": "内科", "caty": caty}}))
        assert registered["infcode"] == 0, registered
        mdtrt_id = registered["output"]["data"]["mdtrt_id"]
        info = self.send(self.envelope("2203", {"mdtrtinfo": {
            "mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": med_type, "begntime": begntime,
            "main_cond_dscr": "咳嗽", "dise_codg": None, "dise_name": None},
            "diseinfo": [{"diag_type": "1", "diag_srt_no": 1, "diag_code": diag, "diag_name": "上感",
                          "diag_dept": "内科", "dise_dor_no": "D0001", "dise_dor_name": "李医生",
                          "diag_time": begntime, "vali_flag": "1"}]}))
        assert info["infcode"] == 0, info
        batch = f"B{next(_seq):06d}"
        fees = self.send(self.envelope("2204", {"feedetail": [{
            "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": batch,
            "rxno": "RX0001" if rx else None, "rx_circ_flag": "1" if rx else "0", "fee_ocur_time": begntime,
            "med_list_codg": "XA02BCA211A001010100443", "medins_list_codg": "H-1", "det_item_fee_sumamt": amount,
            "cnt": "1", "pric": amount,
            "bilg_dept_codg": "NK01", "bilg_dept_name": "内科", "bilg_dr_codg": "D0001", "bilg_dr_name": "李医生",
            "hosp_appr_flag": "0"}]}))
        assert fees["infcode"] == 0, fees
        return {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "batch": batch, "certno": certno, "insutype": insutype,
                "med_type": med_type}

    def settle_message(self, visit: dict, *, medfee: str, inscp: str, own: str = "0.00", msgid: str | None = None):
        return self.envelope("2207", {"data": {
            "psn_no": visit["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": visit["certno"], "med_type": "11",
            "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": visit["mdtrt_id"],
            "chrg_bchno": visit["batch"], "insutype": visit["insutype"], "acct_used_flag": "0", "invono": None,
            "fulamt_ownpay_amt": own, "overlmt_selfpay": "0.00", "preselfpay_amt": "0.00", "inscp_scp_amt": inscp}},
            msgid=msgid)

    def reconcile(self, insutype: str, *, begin: str, end: str, medfee: str, fund: str, acct: str, count: int,
                  clr_type: str = "11") -> dict:
        return self.send(self.envelope("3201", {"data": {
            "insutype": insutype, "clr_type": clr_type, "setl_optins": self.admdvs, "stmt_begndate": begin,
            "stmt_enddate": end, "medfee_sumamt": medfee, "fund_pay_sumamt": fund, "acct_pay": acct,
            "fixmedins_setl_cnt": count, "refd_setl_flag": "0"}}))
