"""Conformance with the public HIS client newtouch-cloud/openhis: every transaction's message built
field for field from its model classes (tests/national/client.py), for an ordinary visit in each
of the five regions, and Output_2207 read as that client reads it.

Hand-computed amounts (RULES.md), a 100.00 visit (Ganzhou 800.00), all in policy, at a level-1
provider on 2024-03-04, employed member (Nanchang: resident), nothing paid before this year:
  Nanyang   L1 deductible 0, ratio 60 %:            100 × 0.60 = 60.00
  Zibo      annual L1 deductible 50, ratio 60 %:    (100 − 50) × 0.60 = 30.00, deductible 50.00
  Ganzhou   annual deductible 600, ratio L1 60 %:   (800 − 600) × 0.60 = 120.00, deductible 600.00
  Nanchang  signed provider, 60 %, no deductible:   100 × 0.60 = 60.00
  Heyuan    selected L1, 70 %, per-visit cap 60:    min(100 × 0.70 = 70, 60) = 60.00
"""
from datetime import datetime
from decimal import Decimal
import re

import pytest

from claims.models import Claim, ClaimItem
from national.models import FeeDetail
from tests.national.client import (AGE, CATALOGUE_2204, DATE, INPUT_FIELDS, MONEY, OMEPRAZOLE, OUTPUT_2207, RATIO,
                                   SETLDETAIL, TIME)
from tests.factories import make_staff
from tests.national.conftest import REGIONS

CASES = {  # region: (medfee, act_pay_dedc, hifp_pay, ratio)
    "nanyang": ("100.00", "0.00", "60.00", "0.6000"),
    "zibo": ("100.00", "50.00", "30.00", "0.6000"),
    "ganzhou": ("800.00", "600.00", "120.00", "0.6000"),
    "nanchang": ("100.00", "0.00", "60.00", "0.6000"),
    "heyuan": ("100.00", "0.00", "60.00", "0.7000"),
}
ANSWER = ("infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output")


def read_as_client(value, kind: str) -> None:
    """Fails unless ``value`` parses as openhis parses that field."""
    if kind == MONEY:
        assert isinstance(value, str) and re.fullmatch(r"-?\d+\.\d{2}", value), value
    elif kind == RATIO:
        assert isinstance(value, str) and re.fullmatch(r"-?\d+\.\d{4}", value), value
    elif kind == TIME:
        datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    elif kind == DATE:
        datetime.strptime(value, "%Y-%m-%d")
    elif kind == AGE:
        assert isinstance(value, int) and not isinstance(value, bool)
    else:
        assert value is None or isinstance(value, str), value


def test_builders_send_every_property_of_the_model_classes(world):
    # given a clinic and a member
    clinic, member = world("411300")
    # then each builder sends exactly the properties of its openhis class, in order
    assert tuple(clinic.envelope("1101", {})) == ("infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs",
                                                  "recer_sys_code", "dev_no", "dev_safe_info", "cainfo", "signtype",
                                                  "infver", "opter_type", "opter", "opter_name", "inf_time",
                                                  "fixmedins_code", "fixmedins_name", "sign_no", "input")
    built = {"1101": clinic.data_1101(member),
             "2201": clinic.data_2201(psn_no="x", member=member, begntime="2024-03-04T09:30:00"),
             "2203": clinic.input_2203(mdtrt_id="m", psn_no="x")["mdtrtinfo"],
             "diseinfo": clinic.input_2203(mdtrt_id="m", psn_no="x")["diseinfo"][0],
             "2204": clinic.feedetail_2204(mdtrt_id="m", psn_no="x", batch="b", sn="1", code="X", amount=Decimal(1),
                                           er_flag="0"),
             "2205": {"mdtrt_id": "m", "chrg_bchno": "b", "psn_no": "x"},
             "2206": clinic.data_2206(psn_no="x", member=member, mdtrt_id="m", batch="b", medfee=Decimal(1)),
             "2207": clinic.data_2207(psn_no="x", member=member, mdtrt_id="m", batch="b", medfee=Decimal(1),
                                      inscp=Decimal(1)),
             "2208": clinic.data_2208(setl_id="s", mdtrt_id="m", psn_no="x"),
             "3201": clinic.data_3201(insutype="310", setl_optins="411300", day="2024-03-04", medfee=Decimal(0),
                                      fund=Decimal(0), acct=Decimal(0), count=0)}
    for name, message in built.items():
        assert tuple(message) == INPUT_FIELDS[name], name
    # and the optional extension (national/mapping.py (4)) only when asked for, after Input_2204's
    extended = clinic.feedetail_2204(mdtrt_id="m", psn_no="x", batch="b", sn="1", code="X", amount=Decimal(1),
                                     er_flag="0", catalogue=OMEPRAZOLE)
    assert tuple(extended) == INPUT_FIELDS["2204"] + CATALOGUE_2204


@pytest.mark.parametrize("region", list(REGIONS))
def test_ordinary_visit_through_every_transaction(world, api_client, region):
    admdvs = REGIONS[region]
    medfee, deductible, fund, ratio = CASES[region]
    # given a signed-in clinic of the region and its member, registered with fee details uploaded in
    # the unchanged Input_2204 shape (no extension fields)
    clinic, member = world(admdvs)
    visit = clinic.visit_until_fees(member, amount=Decimal(medfee))
    person = visit["person"]["output"]
    assert person["baseinfo"]["certno"] == member.certno and person["insuinfo"][0]["insutype"] == member.insutype
    read_as_client(person["insuinfo"][0]["balc"], MONEY)
    line = visit["fees"]["output"]["result"][0]
    assert line["det_item_fee_sumamt"] == medfee
    # Output_2204's level and type (C# string) are present and null: no catalogue here to answer them
    assert (line["chrgitm_lv"], line["med_chrgitm_type"]) == (None, None)
    common = dict(psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
                  medfee=Decimal(medfee))

    # when the clinic pre-settles (2206) and settles (2207)
    preview = clinic.send(clinic.envelope("2206", {"data": clinic.data_2206(**common)}, insuplc=admdvs))
    settled = clinic.send(clinic.envelope("2207", {"data": clinic.data_2207(**common, inscp=Decimal(medfee))},
                                          insuplc=admdvs))

    # then both answer infcode 0 with the envelope's fields, and 2207's setlinfo reads as the client reads it
    for reply in (preview, settled):
        assert tuple(reply) == ANSWER and reply["infcode"] == 0, reply["err_msg"]
        assert re.fullmatch(r"\d{30}", reply["inf_refmsgid"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", reply["respond_time"])
    info = settled["output"]["setlinfo"]
    assert set(info) >= set(OUTPUT_2207)
    for name, kind in OUTPUT_2207.items():
        read_as_client(info[name], kind)
    for line in settled["output"]["setldetail"]:
        assert set(line) == set(SETLDETAIL)
        for name, kind in SETLDETAIL.items():
            if line[name] is not None:
                read_as_client(line[name], kind)
    assert (info["medfee_sumamt"], info["act_pay_dedc"], info["hifp_pay"], info["pool_prop_selfpay"]) == (
        medfee, deductible, fund, ratio)
    assert info["fund_pay_sumamt"] == fund and info["setl_time"]
    assert Decimal(info["psn_part_amt"]) == Decimal(medfee) - Decimal(fund) == Decimal(info["psn_cash_pay"])
    assert settled["output"]["setldetail"][0]["fund_payamt"] == fund
    # and the claim is the engine's record, the one the REST door reads
    claim = Claim.objects.get(setl_id=info["setl_id"])
    assert (claim.provider_id, claim.member_id, str(claim.hifp_pay)) == (clinic.provider.pk, member.pk, fund)
    api_client.force_authenticate(make_staff(all_regions=True, superuser=True))
    rest = api_client.get(f"/api/v1/claims/{info['setl_id']}/").json()
    api_client.force_authenticate(None)
    assert (rest["hifp_pay"], rest["act_pay_dedc"], rest["psn_part_amt"]) == (fund, deductible, info["psn_part_amt"])
    # and the unchanged client's details are the settled claim's fee details, not ClaimItem rows
    assert list(FeeDetail.objects.filter(claim=claim).values_list("det_item_fee_sumamt", flat=True)) == [
        Decimal(medfee)]
    assert not ClaimItem.objects.filter(claim=claim).exists() and claim.itemised_amount == 0

    # when the clinic reverses it (2208) and reconciles the day (3201) with nothing left
    reversed_ = clinic.send(clinic.envelope("2208", {"data": clinic.data_2208(
        setl_id=info["setl_id"], mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"])}, insuplc=admdvs))
    reconciled = clinic.send(clinic.envelope("3201", {"data": clinic.data_3201(
        insutype=member.insutype, setl_optins=admdvs, day="2024-03-04", medfee=Decimal(0), fund=Decimal(0),
        acct=Decimal(0), count=0)}))

    # then the reversal is the settlement negated and the day balances (net 0, no settlement left)
    assert reversed_["infcode"] == 0, reversed_["err_msg"]
    assert reversed_["output"]["setlinfo"]["hifp_pay"] == f"-{fund}"
    assert reversed_["output"]["setlinfo"]["medfee_sumamt"] == f"-{medfee}"
    assert reconciled["infcode"] == 0 and reconciled["output"]["stmtinfo"]["stmt_rslt"] == "0"
