"""A clinic HIS as the public client newtouch-cloud/openhis builds its messages.

Each builder below fills exactly the properties of one model class of
``WinServiceAPI/YiBaoInterface/Models/`` (commit ffa7e660be5c295f4788d4f0870e2b4b10c015d4), in its
order, with the JSON types Newtonsoft writes for the C# types: ``string`` → string (null when
unset), ``decimal`` → JSON number, ``int`` → integer, ``DateTime`` → ``yyyy-MM-ddTHH:mm:ss``.
``INPUT_FIELDS`` lists those properties so the suite can check a builder sends all of them and
nothing else. ``OUTPUT_2207`` is Output_2207.setlinfo2207 with how the client reads each field.
"""
from __future__ import annotations

import itertools
import json
from datetime import datetime
from decimal import Decimal

_serial = itertools.count(1)

ENVELOPE = ("infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "dev_no", "dev_safe_info",
            "cainfo", "signtype", "infver", "opter_type", "opter", "opter_name", "inf_time", "fixmedins_code",
            "fixmedins_name", "sign_no", "input")
INPUT_FIELDS = {
    "9001": ("opter_no", "mac", "ip"),
    "1101": ("mdtrt_cert_type", "mdtrt_cert_no", "card_sn", "begntime", "psn_cert_type", "certno", "psn_name"),
    "2201": ("psn_no", "insutype", "begntime", "mdtrt_cert_type", "mdtrt_cert_no", "ipt_otp_no", "atddr_no",
             "dr_name", "dept_code", "dept_name", "caty"),
    "2203": ("mdtrt_id", "psn_no", "med_type", "begntime", "main_cond_dscr", "dise_codg", "dise_name",
             "birctrl_type", "birctrl_matn_date", "matn_type", "geso_val"),
    "diseinfo": ("diag_type", "diag_srt_no", "diag_code", "diag_name", "diag_dept", "dise_dor_no", "dise_dor_name",
                 "diag_time", "vali_flag"),
    "2204": ("feedetl_sn", "mdtrt_id", "psn_no", "chrg_bchno", "dise_codg", "rxno", "rx_circ_flag", "fee_ocur_time",
             "med_list_codg", "medins_list_codg", "det_item_fee_sumamt", "cnt", "pric", "sin_dos_dscr",
             "used_frqu_dscr", "prd_days", "medc_way_dscr", "bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg",
             "bilg_dr_name", "acord_dept_codg", "acord_dept_name", "orders_dr_code", "orders_dr_name",
             "hosp_appr_flag", "tcmdrug_used_way", "etip_flag", "etip_hosp_code", "dscg_tkdrug_flag",
             "matn_fee_flag", "exp_content"),
    "2205": ("mdtrt_id", "chrg_bchno", "psn_no"),
    "2206": ("psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "med_type", "medfee_sumamt", "psn_setlway", "mdtrt_id",
             "chrg_bchno", "acct_used_flag", "insutype"),
    "2207": ("psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "med_type", "medfee_sumamt", "psn_setlway", "mdtrt_id",
             "chrg_bchno", "insutype", "acct_used_flag", "invono", "fulamt_ownpay_amt", "overlmt_selfpay",
             "preselfpay_amt", "inscp_scp_amt"),
    "2208": ("setl_id", "mdtrt_id", "psn_no"),
    "3201": ("insutype", "clr_type", "setl_optins", "stmt_begndate", "stmt_enddate", "medfee_sumamt",
             "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt", "refd_setl_flag"),
}
# The optional catalogue extension a 2204 detail may carry beside Input_2204's (openhis
# dataOutput1312, the catalogue the HIS downloads; national/mapping.py (4)): what a ClaimItem records.
# Not part of the client's message: the builders send it only when asked (``catalogue=``).
CATALOGUE_2204 = ("hilist_name", "chrgitm_lv", "med_chrgitm_type")
OMEPRAZOLE = ("奥美拉唑肠溶胶囊", "01", "09")  # (hilist_name, chrgitm_lv 甲类, med_chrgitm_type 西药费)
# Output_2207.setlinfo2207: every property, and how it must read (money 16,2, ratio 5,4, ...).
MONEY, RATIO, DATE, TIME, AGE, TEXT = "money", "ratio", "date", "time", "age", "text"
OUTPUT_2207 = {
    "mdtrt_id": TEXT, "setl_id": TEXT, "psn_no": TEXT, "psn_name": TEXT, "psn_cert_type": TEXT, "certno": TEXT,
    "gend": TEXT, "naty": TEXT, "brdy": DATE, "age": AGE, "insutype": TEXT, "psn_type": TEXT, "cvlserv_flag": TEXT,
    "setl_time": TIME, "mdtrt_cert_type": TEXT, "med_type": TEXT, "medfee_sumamt": MONEY,
    "fulamt_ownpay_amt": MONEY, "overlmt_selfpay": MONEY, "preselfpay_amt": MONEY, "inscp_scp_amt": MONEY,
    "act_pay_dedc": MONEY, "hifp_pay": MONEY, "pool_prop_selfpay": RATIO, "cvlserv_pay": MONEY,
    "hifes_pay": MONEY, "hifmi_pay": MONEY, "hifob_pay": MONEY, "maf_pay": MONEY, "oth_pay": MONEY,
    "fund_pay_sumamt": MONEY, "psn_part_amt": MONEY, "acct_pay": MONEY, "psn_cash_pay": MONEY,
    "hosp_part_amt": MONEY, "balc": MONEY, "acct_mulaid_pay": MONEY, "medins_setl_id": TEXT, "clr_optins": TEXT,
    "clr_way": TEXT, "clr_type": TEXT,
}
SETLDETAIL = {"fund_pay_type": TEXT, "inscp_scp_amt": MONEY, "crt_payb_lmt_amt": MONEY, "fund_payamt": MONEY,
              "fund_pay_type_name": TEXT, "setl_proc_info": TEXT}


def dumps(message: dict) -> str:
    """JSON as Newtonsoft writes it: a C# decimal is a JSON number (float here only to be written:
    every value sent has at most 6 decimals, whose shortest repr is exact)."""
    return json.dumps(message, ensure_ascii=False, default=lambda v: float(v) if isinstance(v, Decimal) else str(v))


class Clinic:
    """One clinic's HIS: its code, region and the sign_no of its operator."""

    def __init__(self, *, api_client, token: str, provider, operator: str = "OP001"):
        self.api, self.token, self.provider, self.operator = api_client, token, provider, operator
        self.sign_no = None

    def envelope(self, infno: str, input_: dict, *, insuplc: str | None = None, msgid: str | None = None,
                 fixmedins_code: str | None = None) -> dict:
        """InputPost<O>: every property; ``msgid`` = fixmedins_code(12) + time(14) + serial(4)."""
        now = datetime(2024, 3, 4, 9, 0, 0)
        code = fixmedins_code or self.provider.fixmedins_code
        return {"infno": infno, "msgid": msgid or f"{code[:12]:0>12}{now:%Y%m%d%H%M%S}{next(_serial):04d}",
                "mdtrtarea_admvs": self.provider.admdvs_id, "insuplc_admdvs": insuplc, "recer_sys_code": "YBXT",
                "dev_no": None, "dev_safe_info": None, "cainfo": None, "signtype": None, "infver": "V1.0",
                "opter_type": "1", "opter": self.operator, "opter_name": "收费员",
                "inf_time": f"{now:%Y-%m-%d %H:%M:%S}",
                "fixmedins_code": code, "fixmedins_name": self.provider.fixmedins_name, "sign_no": self.sign_no,
                "input": input_}

    def send(self, message: dict) -> dict:
        response = self.api.post("/api/national/", data=dumps(message), content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Token {self.token}")
        assert response.status_code == 200, response.content
        return json.loads(response.content)

    # --- one builder per model class -------------------------------------------------------
    def sign_in(self) -> dict:
        answer = self.send(self.envelope("9001", {"signIn": {"opter_no": self.operator, "mac": "00-1A-2B-3C-4D-5E",
                                                             "ip": "10.0.0.8"}}))
        self.sign_no = answer["output"]["signinoutb"]["sign_no"]
        return answer

    def data_1101(self, member) -> dict:
        return {"mdtrt_cert_type": "02", "mdtrt_cert_no": member.certno, "card_sn": None, "begntime": None,
                "psn_cert_type": "01", "certno": member.certno, "psn_name": member.psn_name}

    def data_2201(self, *, psn_no: str, member, begntime: str, caty: str = "03") -> dict:
        return {"psn_no": psn_no, "insutype": member.insutype, "begntime": begntime, "mdtrt_cert_type": "02",
                "mdtrt_cert_no": member.certno, "ipt_otp_no": f"MZ{next(_serial):08d}", "atddr_no": "D0001",
                "dr_name": "李医生", "dept_code": "NK01", "dept_name": "内科", "caty": caty}

    def input_2203(self, *, mdtrt_id: str, psn_no: str, med_type: str = "11", diag_code: str = "J06.900") -> dict:
        return {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": med_type,
                              "begntime": "2024-03-04 09:30:00", "main_cond_dscr": "咳嗽三天", "dise_codg": None,
                              "dise_name": None, "birctrl_type": None, "birctrl_matn_date": None, "matn_type": None,
                              "geso_val": 0},
                "diseinfo": [{"diag_type": "1", "diag_srt_no": 1, "diag_code": diag_code, "diag_name": "诊断",
                              "diag_dept": "内科", "dise_dor_no": "D0001", "dise_dor_name": "李医生",
                              "diag_time": "2024-03-04 09:40:00", "vali_flag": "1"}]}

    def feedetail_2204(self, *, mdtrt_id: str, psn_no: str, batch: str, sn: str, code: str, amount: Decimal,
                       cnt: Decimal = Decimal("1"), er_flag: str | None = None, rx: str | None = None,
                       catalogue: tuple[str, str, str] | None = None) -> dict:
        """Input_2204.feedetail2204 as the client sends it; with ``catalogue`` (values of
        ``CATALOGUE_2204``) the optional extension after it. ``rx``: the 处方号 of a filled outside
        prescription (rx_circ_flag 1)."""
        return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": batch, "dise_codg": None,
                "rxno": rx, "rx_circ_flag": "1" if rx else "0", "fee_ocur_time": "2024-03-04 09:50:00",
                "med_list_codg": code,
                "medins_list_codg": f"H-{code}", "det_item_fee_sumamt": amount, "cnt": cnt, "pric": amount / cnt,
                "sin_dos_dscr": None, "used_frqu_dscr": None, "prd_days": Decimal("0"), "medc_way_dscr": None,
                "bilg_dept_codg": "NK01", "bilg_dept_name": "内科", "bilg_dr_codg": "D0001", "bilg_dr_name": "李医生",
                "acord_dept_codg": None, "acord_dept_name": None, "orders_dr_code": None, "orders_dr_name": None,
                "hosp_appr_flag": "0", "tcmdrug_used_way": None, "etip_flag": None, "etip_hosp_code": None,
                "dscg_tkdrug_flag": None, "matn_fee_flag": None,
                **({"exp_content": [{"er_flag": er_flag}]} if er_flag is not None else {}),
                **(dict(zip(CATALOGUE_2204, catalogue)) if catalogue is not None else {})}

    def data_2206(self, *, psn_no: str, member, mdtrt_id: str, batch: str, medfee: Decimal, med_type: str = "11",
                  acct_used: str = "0") -> dict:
        return {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": member.certno, "med_type": med_type,
                "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": batch,
                "acct_used_flag": acct_used, "insutype": member.insutype}

    def data_2207(self, *, psn_no: str, member, mdtrt_id: str, batch: str, medfee: Decimal, inscp: Decimal,
                  own: Decimal = Decimal("0"), med_type: str = "11", acct_used: str = "0") -> dict:
        return {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": member.certno, "med_type": med_type,
                "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": batch,
                "insutype": member.insutype, "acct_used_flag": acct_used, "invono": None, "fulamt_ownpay_amt": own,
                "overlmt_selfpay": Decimal("0"), "preselfpay_amt": Decimal("0"), "inscp_scp_amt": inscp}

    def data_2208(self, *, setl_id: str, mdtrt_id: str, psn_no: str) -> dict:
        return {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}

    def data_3201(self, *, insutype: str, setl_optins: str, day: str, medfee: Decimal, fund: Decimal,
                  acct: Decimal, count: int) -> dict:
        return {"insutype": insutype, "clr_type": "11", "setl_optins": setl_optins, "stmt_begndate": day,
                "stmt_enddate": day, "medfee_sumamt": medfee, "fund_pay_sumamt": fund, "acct_pay": acct,
                "fixmedins_setl_cnt": count, "refd_setl_flag": "0"}

    # --- a whole visit up to the fee details -------------------------------------------------
    def visit_until_fees(self, member, *, amount: Decimal, med_type: str = "11", caty: str = "03",
                         diag_code: str = "J06.900", rx: str | None = None,
                         catalogue: tuple[str, str, str] | None = None) -> dict:
        """1101, 2201, 2203 and 2204 (one drug line; with ``catalogue``, the extension); the facts
        the settlement messages need."""
        person = self.send(self.envelope("1101", {"data": self.data_1101(member)}))
        assert person["infcode"] == 0, person["err_msg"]
        psn_no = person["output"]["baseinfo"]["psn_no"]
        insuplc = person["output"]["insuinfo"][0]["insuplc_admdvs"]
        registered = self.send(self.envelope("2201", {"data": self.data_2201(
            psn_no=psn_no, member=member, begntime="2024-03-04T09:30:00", caty=caty)}, insuplc=insuplc))
        assert registered["infcode"] == 0, registered["err_msg"]
        mdtrt_id = registered["output"]["data"]["mdtrt_id"]
        info = self.send(self.envelope("2203", self.input_2203(mdtrt_id=mdtrt_id, psn_no=psn_no, med_type=med_type,
                                                               diag_code=diag_code), insuplc=insuplc))
        assert info["infcode"] == 0, info["err_msg"]
        batch = f"B{next(_serial):06d}"
        fees = self.send(self.envelope("2204", {"feedetail": [self.feedetail_2204(
            mdtrt_id=mdtrt_id, psn_no=psn_no, batch=batch, sn="1", code="XA02BCA211A001010100443",
            amount=amount, rx=rx, catalogue=catalogue)]}, insuplc=insuplc))
        assert fees["infcode"] == 0, fees["err_msg"]
        return {"psn_no": psn_no, "insuplc": insuplc, "mdtrt_id": mdtrt_id, "batch": batch, "person": person,
                "fees": fees}
