"""National interface to the letter (CONTRACT.md "National interface 国家医保平台接口"), from outside: a
clinic's token from ``manage.py clinic_token``, its messages in the national envelope, and the staff
REST API to set up and cross-check. Every expected figure is by hand from RULES.md, and a visit
settled through the interface must give the money the same visit gives through ``POST /claims/``."""
import json
import re
from decimal import Decimal

import pytest

from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, NationalClinic, _seq

pytestmark = pytest.mark.django_db
ANSWER_FIELDS = {"infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
RATIO = re.compile(r"^\d\.\d{4}$")
INSUTYPE = {NANYANG: "310", ZIBO: "310", GANZHOU: "310", NANCHANG: "390", HEYUAN: "310"}


class Clinic(NationalClinic):
    """The contract's clinic HIS, able to treat a member of another region (``insuplc_admdvs`` = the
    member's region, ``mdtrtarea_admvs`` = the clinic's) and to fill a prescription (med_type 41)."""

    def __init__(self, fixmedins_code: str, admdvs: str, insuplc: str | None = None):
        super().__init__(fixmedins_code, admdvs)
        self.insuplc = insuplc or admdvs

    def envelope(self, infno, input_, *, msgid=None, fixmedins_code=None, insuplc=None):
        return super().envelope(infno, input_, msgid=msgid, fixmedins_code=fixmedins_code,
                                insuplc=insuplc or self.insuplc)

    def settle(self, visit: dict, *, inscp: str, own: str = "0.00", **extra) -> dict:
        medfee = str(Decimal(inscp) + Decimal(own))
        message = self.settle_message(visit, medfee=medfee, inscp=inscp, own=own)
        message["input"]["data"].update(med_type=visit["med_type"], **extra)
        return self.send(message)


def signed_in(code: str, admdvs: str, insuplc: str | None = None) -> Clinic:
    clinic = Clinic(code, admdvs, insuplc)
    clinic.sign_in()
    return clinic


def money_of(setl: dict) -> tuple:
    return setl["act_pay_dedc"], setl["pool_prop_selfpay"], setl["hifp_pay"], setl["psn_part_amt"]


def rest_money_of(claim: dict) -> tuple:
    return claim["act_pay_dedc"], claim["pool_prop_selfpay"], claim["hifp_pay"], claim["psn_part_amt"]


# ---------------------------------------------------------------------------------------------
# Every transaction code the contract names, and the answer envelope
# ---------------------------------------------------------------------------------------------
def test_every_named_transaction_answers_the_envelope_with_its_formats(world):
    # given a Nanyang L2 hospital H and an employed member, H's HIS signed in (9001)
    w = world(NANYANG)
    h, member = w.provider(level="2"), w.member()
    clinic = Clinic(h, NANYANG)
    answers = {"9001": clinic.sign_in()}
    # when a visit goes through 1101, 2201, 2203, 2204, a first batch cancelled by 2205, 2206, 2207,
    # 2208 and 3201 (every code CONTRACT.md names)
    visit = clinic.visit(member, "310", begntime="2024-03-04 09:00:00", amount="80.00")
    answers["2205"] = clinic.send(clinic.envelope("2205", {"data": {
        "chrg_bchno": visit["batch"], "mdtrt_id": visit["mdtrt_id"], "psn_no": visit["psn_no"]}}))
    # (a new batch of 100.00 replaces the cancelled 80.00; a settlement of the old batch is refused)
    assert clinic.settle(visit, inscp="80.00")["infcode"] == -1
    batch = f"B{next(_seq):06d}"
    answers["2204"] = clinic.send(clinic.envelope("2204", {"feedetail": [{
        "feedetl_sn": "1", "mdtrt_id": visit["mdtrt_id"], "psn_no": visit["psn_no"], "chrg_bchno": batch,
        "rxno": None, "rx_circ_flag": "0", "fee_ocur_time": "2024-03-04 09:00:00",
        "med_list_codg": "XA02BCA211A001010100443", "medins_list_codg": "H-1", "det_item_fee_sumamt": "100.00",
        "cnt": "1", "pric": "100.00", "bilg_dept_codg": "NK01", "bilg_dept_name": "内科", "bilg_dr_codg": "D0001",
        "bilg_dr_name": "李医生", "hosp_appr_flag": "0"}]}))
    visit["batch"] = batch
    preview = clinic.send(clinic.envelope("2206", {"data": {
        "psn_no": visit["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": member, "med_type": "11",
        "medfee_sumamt": "100.00", "psn_setlway": "01", "mdtrt_id": visit["mdtrt_id"], "chrg_bchno": batch,
        "acct_used_flag": "0", "insutype": "310"}}))
    answers["2206"], answers["2207"] = preview, clinic.settle(visit, inscp="100.00")
    setl = answers["2207"]["output"]["setlinfo"]
    answers["2208"] = clinic.send(clinic.envelope("2208", {"data": {
        "setl_id": setl["setl_id"], "mdtrt_id": visit["mdtrt_id"], "psn_no": visit["psn_no"]}}))
    answers["3201"] = clinic.reconcile("310", begin="2024-03-01", end="2024-03-31", medfee="0.00", fund="0.00",
                                       acct="0.00", count=0)
    # then every answer is the answer envelope, infcode 0 (an integer) and an empty err_msg
    for infno, answer in answers.items():
        assert set(answer) == ANSWER_FIELDS and answer["infcode"] == 0 and not answer["err_msg"], (infno, answer)
        assert isinstance(answer["output"], dict), infno
    # and the settlement (RULES.md "Nanyang": L2 deductible 30, employed 55%): (100 − 30) × 0.55 = 38.50,
    # 2206 gives what 2207 records; money 2 decimals, ratio 4, times yyyy-MM-dd HH:mm:ss
    assert money_of(setl) == ("30.00", "0.5500", "38.50", "61.50")
    assert money_of(preview["output"]["setlinfo"]) == money_of(setl)
    assert RATIO.match(setl["pool_prop_selfpay"]) and TIME.match(setl["setl_time"])
    assert all(MONEY.match(setl[f]) for f in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay"))
    assert answers["3201"]["output"]["stmtinfo"]["stmt_rslt"] == "0"


def test_a_2208_reversal_is_the_rest_reversal_and_restores_the_accumulators(world):
    # given a Zibo L1 employed member (annual deductible L1 50, ratio 60%: RULES.md "Zibo") and centre A
    w = world(ZIBO)
    a, member = w.provider(), w.member()
    clinic = signed_in(a, ZIBO)
    visit = clinic.visit(member, "310", begntime="2024-03-04 09:00:00", amount="100.00")
    setl = clinic.settle(visit, inscp="100.00")["output"]["setlinfo"]
    # (100 − 50) × 0.60 = 30.00
    assert money_of(setl) == ("50.00", "0.6000", "30.00", "70.00")
    # when the clinic reverses it through 2208
    undo = clinic.send(clinic.envelope("2208", {"data": {
        "setl_id": setl["setl_id"], "mdtrt_id": visit["mdtrt_id"], "psn_no": visit["psn_no"]}}))
    assert undo["infcode"] == 0, undo
    # then the staff API sees the original reversed (a second REST reversal is a 409) and the member's
    # year as if the claim had not happened (CONTRACT.md claims: deductible and fund back to 0)
    assert w.client.post(f"/api/v1/claims/{setl['setl_id']}/reverse/").status_code == 409
    acc = w.accumulators(member, 2024)
    assert acc["fund_paid"] == "0.00", acc
    # and the next visit through REST owes the whole deductible again: (100 − 50) × 0.60 = 30.00
    assert paid_rest(w.claim(member, a, "2024-03-05T09:00:00+08:00")) == ("50.00", "30.00")


def paid_rest(claim: dict) -> tuple:
    return claim["act_pay_dedc"], claim["hifp_pay"]


# ---------------------------------------------------------------------------------------------
# The same visit through the interface and through POST /claims/, in every region
# ---------------------------------------------------------------------------------------------
# (region, level, in-policy amounts of two visits a day apart, expected (deductible, ratio, fund) of each)
SAME_MONEY = [
    # Nanyang L2: deductible 30 per visit, 24-hour window opened 4 March 09:00 closed by 5 March 10:00;
    # employed 55%: (100 − 30) × 0.55 = 38.50, then (200 − 30) × 0.55 = 93.50
    (NANYANG, "2", ("100.00", "200.00"), [("30.00", "0.5500", "38.50"), ("30.00", "0.5500", "93.50")]),
    # Zibo L2: annual deductible 500 (one accumulator per level), 60%: 300 → all deductible, 0.00;
    # 400 → 200 left, (400 − 200) × 0.60 = 120.00
    (ZIBO, "2", ("300.00", "400.00"), [("300.00", "0.6000", "0.00"), ("200.00", "0.6000", "120.00")]),
    # Ganzhou L1 ordinary: annual 600, 60%: 700 → (700 − 600) × 0.60 = 60.00; 50 → 30.00
    (GANZHOU, "1", ("700.00", "50.00"), [("600.00", "0.6000", "60.00"), ("0.00", "0.6000", "30.00")]),
    # Nanchang at the signed centre: 60%, no deductible: 100 → 60.00; 33.33 → 19.998 → 20.00
    (NANCHANG, "1", ("100.00", "33.33"), [("0.00", "0.6000", "60.00"), ("0.00", "0.6000", "20.00")]),
    # Heyuan at the selected L1 centre: 70%, per-visit cap 60: 100 → min(70, 60) = 60.00; 50 → 35.00
    (HEYUAN, "1", ("100.00", "50.00"), [("0.00", "0.7000", "60.00"), ("0.00", "0.7000", "35.00")]),
]


@pytest.mark.parametrize("region, level, amounts, expected", SAME_MONEY, ids=[r[0] for r in SAME_MONEY])
def test_the_interface_gives_the_same_money_as_post_claims_in_every_region(world, region, level, amounts, expected):
    # given one provider and two identical members (signed with it where the region signs up)
    w = world(region)
    provider = w.provider(level=level)
    through_rest, through_national = w.member(), w.member()
    if region in (NANCHANG, HEYUAN):
        for member in (through_rest, through_national):
            assert w.signup(member, provider, applied_on="2024-01-02").status_code == 201
    clinic = signed_in(provider, region)
    times = ("2024-03-04 09:00:00", "2024-03-05 10:00:00")
    # when the same two visits are posted for one through POST /claims/ and for the other through 2207
    rest = [w.claim(through_rest, provider, t.replace(" ", "T") + "+08:00", inscp) for t, inscp in zip(times, amounts)]
    national = [clinic.settle(clinic.visit(through_national, INSUTYPE[region], begntime=t, amount=inscp),
                              inscp=inscp) for t, inscp in zip(times, amounts)]
    # then each gives the figures computed by hand, through both doors alike
    for got_rest, got_national, (dedc, ratio, fund) in zip(rest, national, expected):
        assert got_national["infcode"] == 0, got_national
        setl = got_national["output"]["setlinfo"]
        assert (setl["act_pay_dedc"], setl["pool_prop_selfpay"], setl["hifp_pay"]) == (dedc, ratio, fund)
        assert rest_money_of(got_rest) == money_of(setl)
    # and the members' years agree
    assert (w.accumulators(through_rest, 2024)["fund_paid"] == w.accumulators(through_national, 2024)["fund_paid"])


def test_an_out_of_area_visit_through_the_interface_is_the_rest_one(world):
    # given two Zibo employed members with no registration, and an L1 provider in Guangzhou (440100)
    w = world(ZIBO)
    gz = w.provider(admdvs="440100")
    through_rest, through_national = w.member(), w.member()
    clinic = signed_in(gz, "440100", insuplc=ZIBO)
    # when each has a visit of 200.00 there, one through POST /claims/, one through 2207
    rest = w.claim(through_rest, gz, "2024-03-04T09:00:00+08:00", "200.00")
    got = clinic.settle(clinic.visit(through_national, "310", begntime="2024-03-04 09:00:00",
                                          amount="200.00"), inscp="200.00")
    # then both are an unregistered visit, i.e. temporary (RULES.md "Out-of-area care", Zibo Reading):
    # the member first pays 10% = 20.00; then L1 annual deductible 50 and 60%: (180 − 50) × 0.60 = 78.00
    assert got["infcode"] == 0, got
    setl = got["output"]["setlinfo"]
    assert (rest["out_of_area"], rest["hifp_pay"], setl["hifp_pay"]) == ("unregistered", "78.00", "78.00")
    assert rest_money_of(rest) == money_of(setl)


# (region, provider level in Guangzhou, registration kind and start, sign up with it?, expected fund)
REGISTERED = [
    # Nanyang long-term: local rules at the treating level, direct settlement: L1 no deductible, 60%
    (NANYANG, "1", "long_term", "2024-01-01", False, "60.00"),
    # Nanchang resettled since 2023: from 1 January 2024 a primary-level provider in the destination is
    # covered at 60%, inside the yearly cap of the member's standard (age 54: group 4, 181)
    (NANCHANG, "1", "resettled", "2023-06-01", False, "60.00"),
    # Heyuan long-term with an out-of-city selection of an L2 provider: city rules at L2, employed 60%,
    # per-visit cap 120: 100 × 0.60 = 60.00
    (HEYUAN, "2", "long_term", "2024-01-01", True, "60.00"),
]


@pytest.mark.parametrize("region, level, kind, start_on, select, fund", REGISTERED, ids=[r[0] for r in REGISTERED])
def test_a_registered_out_of_area_visit_through_the_interface_is_the_rest_one(world, region, level, kind, start_on,
                                                                               select, fund):
    # given two identical members registered to Guangzhou (440100) and a provider there
    # (RULES.md "Out-of-area care"); in Nanchang each keeps a sign-up with a centre in the city
    w = world(region)
    gz = w.provider(admdvs="440100", level=level)
    home = w.provider() if region == NANCHANG else None
    members = [w.member(), w.member()]
    for member in members:
        assert w.register(member, kind=kind, start_on=start_on).status_code == 201
        if home:
            assert w.signup(member, home, applied_on="2023-01-02").status_code == 201
        if select:
            assert w.signup(member, gz, applied_on="2024-01-02").status_code == 201
    clinic = signed_in(gz, "440100", insuplc=region)
    # when each has a visit of 100.00 there in March 2024, one per door
    rest = w.claim(members[0], gz, "2024-03-04T09:00:00+08:00")
    got = clinic.settle(clinic.visit(members[1], INSUTYPE[region], begntime="2024-03-04 09:00:00",
                                          amount="100.00"), inscp="100.00")
    # then both are the registered long-term kind and pay the same
    assert got["infcode"] == 0, got
    setl = got["output"]["setlinfo"]
    assert (rest["out_of_area"], rest["hifp_pay"], setl["hifp_pay"]) == ("long_term", fund, fund)
    assert rest_money_of(rest) == money_of(setl)


def test_a_pharmacy_fill_through_the_interface_is_the_rest_one(world):
    # given Zibo L2 hospital H, pharmacy P and two employed members
    w = world(ZIBO)
    h, p = w.provider(level="2"), w.provider(kind="pharmacy")
    through_rest, through_national = w.member(), w.member()
    clinic = signed_in(p, ZIBO)
    # when each fills an H prescription of 600.00 at P (REST: prescribing_fixmedins_code; national:
    # med_type 41, a detail with rx_circ_flag 1 and the prescribing provider in the 2207)
    rest = w.claim(through_rest, p, "2024-03-04T09:00:00+08:00", "600.00", prescribing_fixmedins_code=h)
    visit = clinic.visit(through_national, "310", begntime="2024-03-04 09:00:00", amount="600.00",
                              med_type="41", rx=True)
    got = clinic.settle(visit, inscp="600.00", prescribing_fixmedins_code=h)
    # then both are adjudicated at H's level (RULES.md "Designated retail pharmacies", Zibo): L2 annual
    # deductible 500, 60%: (600 − 500) × 0.60 = 60.00
    assert got["infcode"] == 0, got
    setl = got["output"]["setlinfo"]
    assert (setl["act_pay_dedc"], setl["hifp_pay"]) == ("500.00", "60.00")
    assert rest_money_of(rest) == money_of(setl)


def test_benefits_the_interface_derives_are_the_rest_ones(world):
    # given a Heyuan member with no selection and an L2 hospital H (RULES.md "Heyuan": an emergency
    # before any selection is paid at the treating level: employed L2 60%, per-visit cap 120)
    y = world(HEYUAN)
    h = y.provider(level="2")
    rest_member, national_member = y.member(), y.member()
    clinic = signed_in(h, HEYUAN)
    rest = y.claim(rest_member, h, "2024-03-04T09:00:00+08:00", "300.00", emergency=True)
    # when the national visit is med_type 13 急诊: 300 × 0.60 = 180 → capped 120.00
    got = clinic.settle(clinic.visit(national_member, "310", begntime="2024-03-04 09:00:00", amount="300.00",
                                          med_type="13"), inscp="300.00")["output"]["setlinfo"]
    assert (rest["hifp_pay"], setl_fund(got)) == ("120.00", "120.00") and rest_money_of(rest) == money_of(got)
    # given Ganzhou centre C (L1): a TCM visit (national: a department of caty 50 中医科) of 400: TCM
    # deductible 300, ratio 60% + 5 = 65%: (400 − 300) × 0.65 = 65.00 (RULES.md "Ganzhou")
    g = world(GANZHOU)
    c = g.provider()
    rest_member, national_member = g.member(), g.member()
    clinic = signed_in(c, GANZHOU)
    rest = g.claim(rest_member, c, "2024-03-04T09:00:00+08:00", "400.00", benefit="tcm")
    got = clinic.settle(clinic.visit(national_member, "310", begntime="2024-03-04 09:00:00", amount="400.00",
                                          caty="50"), inscp="400.00")["output"]["setlinfo"]
    assert (rest["act_pay_dedc"], rest["hifp_pay"]) == ("300.00", "65.00") and rest_money_of(rest) == money_of(got)


def test_ganzhou_two_diseases_sub_cap_through_both_doors(world):
    # given Ganzhou centre C (L1) and two members; hypertension drugs (RULES.md "Ganzhou": no deductible,
    # ordinary ratio 60%, sub-cap 500): 600 → 360.00, then 300 → 180.00 capped at 500 − 360 = 140.00
    g = world(GANZHOU)
    c = g.provider()
    through_rest, through_national = g.member(), g.member()
    clinic = signed_in(c, GANZHOU)
    for day, inscp, fund in (("04", "600.00", "360.00"), ("05", "300.00", "140.00")):
        rest = g.claim(through_rest, c, f"2024-03-{day}T09:00:00+08:00", inscp, benefit="hypertension")
        # (national: the main diagnosis I10 essential hypertension names the benefit)
        got = clinic.settle(clinic.visit(through_national, "310", begntime=f"2024-03-{day} 09:00:00",
                                              amount=inscp, diag="I10.X00"), inscp=inscp)["output"]["setlinfo"]
        assert (rest["act_pay_dedc"], rest["hifp_pay"]) == ("0.00", fund) and rest_money_of(rest) == money_of(got)


def test_one_member_through_both_doors_shares_one_year(world):
    # given a Nanyang member, L2 hospital H and pharmacy P (RULES.md "Nanyang": L2 deductible 30 a
    # 24-hour window, 55%; a fill shares the prescriber's window)
    w = world(NANYANG)
    h, p = w.provider(level="2"), w.provider(kind="pharmacy")
    member = w.member()
    clinic = signed_in(p, NANYANG)
    # when the member visits H through POST /claims/ at 09:00: (100 − 30) × 0.55 = 38.50
    assert paid_rest(w.claim(member, h, "2024-03-04T09:00:00+08:00")) == ("30.00", "38.50")
    # and fills H's prescription at P through the interface at 15:00 the same day: no second
    # deductible, 100 × 0.55 = 55.00
    visit = clinic.visit(member, "310", begntime="2024-03-04 15:00:00", amount="100.00", med_type="41",
                              rx=True)
    setl = clinic.settle(visit, inscp="100.00", prescribing_fixmedins_code=h)["output"]["setlinfo"]
    assert (setl["act_pay_dedc"], setl["hifp_pay"]) == ("0.00", "55.00")
    # then the member's year counts both: 38.50 + 55.00 = 93.50 from the fund
    assert w.accumulators(member, 2024)["fund_paid"] == "93.50"


def setl_fund(setl: dict) -> str:
    return setl["hifp_pay"]


# ---------------------------------------------------------------------------------------------
# Repeated msgid, refusals, authentication
# ---------------------------------------------------------------------------------------------
def test_a_repeated_msgid_with_other_content_returns_the_first_answer_and_settles_nothing_more(world):
    # given a Nanyang L1 centre (deductible 0, 60%) and a member with two visits registered
    w = world(NANYANG)
    a, member = w.provider(), w.member()
    clinic = signed_in(a, NANYANG)
    one = clinic.visit(member, "310", begntime="2024-03-04 09:00:00", amount="100.00")
    two = clinic.visit(member, "310", begntime="2024-03-04 11:00:00", amount="50.00")
    msgid = f"{a[:12]:0>12}20240304090000{next(_seq):04d}"
    first = clinic.send(clinic.settle_message(one, medfee="100.00", inscp="100.00", msgid=msgid))
    # when the clinic sends the second visit's 2207 under the same msgid
    again = clinic.send(clinic.settle_message(two, medfee="50.00", inscp="50.00", msgid=msgid))
    # then the answer is the first (100 × 0.60 = 60.00) and only one settlement exists (3201)
    assert again == first and first["output"]["setlinfo"]["hifp_pay"] == "60.00"
    assert clinic.reconcile("310", begin="2024-03-01", end="2024-03-31", medfee="100.00", fund="60.00",
                            acct="0.00", count=1)["output"]["stmtinfo"]["stmt_rslt"] == "0"
    # and a refusal repeated under its msgid is the same refusal, not a second attempt
    bad = clinic.settle_message(two, medfee="50.00", inscp="40.00")
    refused = clinic.send(bad)
    assert refused["infcode"] == -1 and clinic.send(bad) == refused


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', json.dumps({"infno": "9001"})],
                         ids=["not-json", "array", "string", "no-msgid"])
def test_a_malformed_body_is_http_200_with_infcode_minus_one(world, body):
    # given Nanyang centre A's clinic account
    w = world(NANYANG)
    clinic = Clinic(w.provider(), NANYANG)
    # when it posts a body that is no envelope
    response = clinic.api.post("/api/national/", data=body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Token {clinic.token}")
    # then: always HTTP 200 once authenticated, infcode -1 with a message
    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == ANSWER_FIELDS and answer["infcode"] == -1 and answer["err_msg"], answer


def test_unknown_codes_members_and_providers_are_infcode_minus_one(world):
    # given Nanyang centre A's HIS signed in, and a member of Zibo only
    w = world(NANYANG)
    a = w.provider()
    clinic = signed_in(a, NANYANG)
    zibo_member = world(ZIBO).member()
    person = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": zibo_member, "card_sn": None, "begntime": None,
                       "psn_cert_type": "01", "certno": zibo_member, "psn_name": "李四"}}
    checks = {
        # a transaction code the contract does not name
        "unknown infno": clinic.envelope("9999", {"data": {}}),
        # a member the back office does not know in the insured place named (a Zibo member asked as Nanyang's)
        "unknown member": clinic.envelope("1101", person),
        # a registration for a psn_no that names nobody
        "unknown psn_no": clinic.envelope("2201", {"data": {
            "psn_no": "4113009999999999", "insutype": "310", "begntime": "2024-03-04 09:00:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": zibo_member, "ipt_otp_no": "MZ1", "atddr_no": "D1",
            "dr_name": "李", "dept_code": "NK01", "dept_name": "内科", "caty": "03"}}),
        # an envelope naming a provider that does not exist (not the token's)
        "unknown provider": clinic.envelope("1101", person, fixmedins_code="H99999999999"),
        # a reversal of a settlement that does not exist
        "unknown setl_id": clinic.envelope("2208", {"data": {"setl_id": "999999999", "mdtrt_id": "X",
                                                             "psn_no": "4113000000000001"}}),
    }
    # then each is HTTP 200, infcode -1, a message, and no output of a success
    for what, message in checks.items():
        answer = clinic.send(message)
        assert answer["infcode"] == -1 and answer["err_msg"], (what, answer)
    # while the Zibo member asked with Zibo as the insured place is found (1101 answers infcode 0)
    assert clinic.send(clinic.envelope("1101", person, insuplc=ZIBO))["infcode"] == 0


def test_authentication_is_a_clinic_token_bound_to_the_envelope_provider(world, city_admin):
    # given Nanyang centres A and B, A's clinic account
    w = world(NANYANG)
    a, b = w.provider(), w.provider()
    clinic = Clinic(a, NANYANG)
    sign_in = {"signIn": {"opter_no": "OP001", "mac": "00-1A-2B-3C-4D-5E", "ip": "10.0.0.8"}}
    # when no token is sent: refused before any envelope (not an answer envelope)
    anonymous = clinic.api.post("/api/national/", data=json.dumps(clinic.envelope("9001", sign_in)),
                                content_type="application/json")
    assert anonymous.status_code in (401, 403)
    # when a staff user's token is sent (CONTRACT.md: a clinic system account): refused too
    from rest_framework.authtoken.models import Token

    staff_token = Token.objects.get_or_create(user=city_admin)[0].key
    assert clinic.post(clinic.envelope("9001", sign_in), token=staff_token).status_code in (401, 403)
    # when A's token carries B's code: HTTP 200, infcode -1; B's own token with B's code: infcode 0
    assert clinic.send(clinic.envelope("9001", sign_in, fixmedins_code=b))["infcode"] == -1
    other = Clinic(b, NANYANG)
    assert other.send(other.envelope("9001", sign_in))["infcode"] == 0
    # and clinic_token for a provider that does not exist creates nothing and fails
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="H00000000000"):
        call_command("clinic_token", "H00000000000")


def test_3201_counts_settlements_dated_in_the_period_and_amounts_as_json_numbers(world):
    # given Nanyang centre A (L1: no deductible, 60%), visits on 29 Feb 23:59, 1 March and 31 March 23:59
    # and 1 April 00:00 (Asia/Shanghai begntime), 100.00 each
    w = world(NANYANG)
    a, member = w.provider(), w.member()
    clinic = signed_in(a, NANYANG)
    for t in ("2024-02-29 23:59:00", "2024-03-01 00:00:00", "2024-03-31 23:59:59", "2024-04-01 00:00:00"):
        visit = clinic.visit(member, "310", begntime=t, amount="100.00")
        message = clinic.settle_message(visit, medfee="100.00", inscp="100.00")
        # amounts sent as JSON numbers are accepted (CONTRACT.md general rules)
        message["input"]["data"].update(medfee_sumamt=100, inscp_scp_amt=100.0, fulamt_ownpay_amt=0)
        assert clinic.send(message)["output"]["setlinfo"]["hifp_pay"] == "60.00"
    # then March holds the two March visits: 200.00, fund 2 × 60.00 = 120.00, 2 settlements
    ok = clinic.reconcile("310", begin="2024-03-01", end="2024-03-31", medfee="200.00", fund="120.00", acct="0.00",
                          count=2)
    assert ok["output"]["stmtinfo"]["stmt_rslt"] == "0", ok
    assert clinic.reconcile("310", begin="2024-03-01", end="2024-03-31", medfee="300.00", fund="180.00",
                            acct="0.00", count=3)["output"]["stmtinfo"]["stmt_rslt"] == "1"


def test_a_visit_in_the_future_or_out_of_the_years_is_refused_as_by_post_claims(world):
    # given Nanyang centre A's HIS signed in and a member
    w = world(NANYANG)
    a, member = w.provider(), w.member()
    clinic = signed_in(a, NANYANG)
    # POST /claims/ refuses a visit in the future (400 on visit_at; README: a visit is not in the future)
    assert w.claim_response(member, a, "2099-03-04T09:00:00+08:00").status_code == 400
    # when the same visit is registered (2201 begntime = the visit time) and settled through the interface
    visit = clinic.visit(member, "310", begntime="2099-03-04 09:00:00", amount="100.00")
    data = clinic.settle_message(visit, medfee="100.00", inscp="100.00")["input"]["data"]
    trial = clinic.send(clinic.envelope("2206", {"data": data}))
    settled = clinic.send(clinic.settle_message(visit, medfee="100.00", inscp="100.00"))
    # then 2206 and 2207 are refused (infcode -1 naming the visit), and nothing is settled
    for answer in (trial, settled):
        assert answer["infcode"] == -1 and "mdtrt_id" in answer["err_msg"], answer
    assert clinic.reconcile("310", begin="2099-03-01", end="2099-03-31", medfee="0.00", fund="0.00", acct="0.00",
                            count=0)["output"]["stmtinfo"]["stmt_rslt"] == "0"
    # and a 2201 time outside the years every path accepts (1900–2099, config/parsing.py) is refused there
    person = clinic.send(clinic.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": member}}))
    psn_no = person["output"]["baseinfo"]["psn_no"]
    for begntime in ("1899-12-31 23:59:59", "2100-01-01 00:00:00"):
        refused = clinic.send(clinic.envelope("2201", {"data": {
            "psn_no": psn_no, "insutype": "310", "begntime": begntime, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": member, "ipt_otp_no": "MZ1", "caty": "03"}}))
        assert refused["infcode"] == -1 and "begntime" in refused["err_msg"], refused


def test_the_personal_account_pays_alike_through_both_doors(world):
    # given two Nanyang employed members (base 5 000.00) credited for February by the README's command:
    # 2% × 5 000 = 100.00 each (RULES.md "Nanyang" personal account)
    import io

    from django.core.management import call_command

    w = world(NANYANG)
    c, through_rest, through_national = w.provider(), w.member(enrolled_on="2024-01-01"), w.member(
        enrolled_on="2024-01-01")
    call_command("credit_accounts", "--admdvs", NANYANG, "--period", "2024-02", stdout=io.StringIO())
    clinic = signed_in(c, NANYANG)
    # when each pays a visit of 100.00 at L1 centre C (60% → fund 60.00) from the account
    rest = w.claim(through_rest, c, "2024-03-04T09:00:00+08:00", acct_used=True)
    got = clinic.settle(clinic.visit(through_national, "310", begntime="2024-03-04 09:00:00",
                                          amount="100.00"), inscp="100.00", acct_used_flag="1")
    setl = got["output"]["setlinfo"]
    # then the member's share 40.00 is paid from the account through both doors; 100.00 − 40.00 = 60.00 left
    assert (rest["hifp_pay"], rest["acct_pay"], rest["psn_cash_pay"]) == ("60.00", "40.00", "0.00")
    assert (setl["hifp_pay"], setl["acct_pay"], setl["psn_cash_pay"], setl["balc"]) == (
        "60.00", "40.00", "0.00", "60.00")
