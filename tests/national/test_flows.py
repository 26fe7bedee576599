"""The national interface's promises, each a test: 2206 then 2207 give the same amounts (and 2206
records nothing), 2208 restores the accumulators, a replayed msgid returns the first answer, a clinic
token cannot transact as another provider; and the mapping refuses what it cannot map."""
from decimal import Decimal

import pytest

from accounts.models import Account, AccountEntry
from accounts.services import account_credit_month
from claims.models import Accumulator, Claim
from national.models import FeeDetail, Message
from tests.national.conftest import clinic_world

NANYANG, ZIBO, GANZHOU = "411300", "370300", "360700"
AMOUNTS = ("medfee_sumamt", "act_pay_dedc", "hifp_pay", "pool_prop_selfpay", "fund_pay_sumamt", "psn_part_amt",
           "acct_pay", "psn_cash_pay", "balc")


def settle(clinic, member, visit, medfee: str, *, msgid=None, acct_used="0", med_type="11"):
    return clinic.send(clinic.envelope("2207", {"data": clinic.data_2207(
        psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
        medfee=Decimal(medfee), inscp=Decimal(medfee), acct_used=acct_used, med_type=med_type)},
        insuplc=member.admdvs_id, msgid=msgid))


def test_preview_then_settlement_same_amounts_and_preview_records_nothing(db, api_client):
    # given a Nanyang employee whose account holds 100.00 (base 5000 × 2%, credited for January)
    clinic, member = clinic_world(api_client, NANYANG, contribution_base=Decimal("5000.00"))
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    # when the clinic pre-settles, paying the share from the account
    preview = clinic.send(clinic.envelope("2206", {"data": clinic.data_2206(
        psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
        medfee=Decimal("100.00"), acct_used="1")}, insuplc=NANYANG))
    # then the full decision: L1 60 % → 60.00; share 40.00 from the account; 100.00 − 40.00 = 60.00 left
    assert preview["infcode"] == 0, preview["err_msg"]
    shown = preview["output"]["setlinfo"]
    assert [shown[n] for n in AMOUNTS] == ["100.00", "0.00", "60.00", "0.6000", "60.00", "40.00", "40.00", "0.00",
                                           "60.00"]
    # and nothing was recorded: no claim, no accumulator row moved, no account entry, the fees unsettled
    assert not Claim.objects.exists()
    assert not Accumulator.objects.filter(member=member).exclude(fund_paid=0).exists()
    assert Account.objects.get(member=member).balance == Decimal("100.00")
    assert AccountEntry.objects.filter(account__member=member).count() == 1
    assert FeeDetail.objects.filter(claim__isnull=False).count() == 0
    # when it settles the same visit
    settled = settle(clinic, member, visit, "100.00", acct_used="1")
    # then the same amounts, now recorded
    assert settled["infcode"] == 0, settled["err_msg"]
    assert [settled["output"]["setlinfo"][n] for n in AMOUNTS] == [shown[n] for n in AMOUNTS]
    claim = Claim.objects.get()
    assert (claim.hifp_pay, claim.acct_pay) == (Decimal("60.00"), Decimal("40.00"))
    assert Account.objects.get(member=member).balance == Decimal("60.00")
    assert FeeDetail.objects.get().claim == claim


def test_reversal_restores_the_accumulators(db, api_client):
    # given a Zibo visit of 100.00 settled: L1 annual deductible 50 charged, (100 − 50) × 60 % = 30.00
    clinic, member = clinic_world(api_client, ZIBO)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    settled = settle(clinic, member, visit, "100.00")["output"]["setlinfo"]
    assert (settled["act_pay_dedc"], settled["hifp_pay"]) == ("50.00", "30.00")
    row = Accumulator.objects.get(member=member, year=2024)
    assert row.fund_paid == Decimal("30.00")
    # when the clinic reverses it
    reversed_ = clinic.send(clinic.envelope("2208", {"data": clinic.data_2208(
        setl_id=settled["setl_id"], mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"])}, insuplc=ZIBO))
    # then the reversal is the negated settlement and the year-to-date figures are back to nothing
    assert reversed_["infcode"] == 0, reversed_["err_msg"]
    assert (reversed_["output"]["setlinfo"]["hifp_pay"], reversed_["output"]["setlinfo"]["act_pay_dedc"]) == (
        "-30.00", "-50.00")
    row.refresh_from_db()
    assert row.fund_paid == Decimal("0.00")
    assert all(Decimal(v) == 0 for v in row.buckets.values())
    # and the visit settled again owes the whole deductible again: the same 50.00 and 30.00
    again = settle(clinic, member, visit, "100.00")
    assert again["infcode"] == 0, again["err_msg"]
    assert (again["output"]["setlinfo"]["act_pay_dedc"], again["output"]["setlinfo"]["hifp_pay"]) == ("50.00", "30.00")
    # and a second reversal of the first settlement is refused, naming it
    twice = clinic.send(clinic.envelope("2208", {"data": clinic.data_2208(
        setl_id=settled["setl_id"], mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"])}, insuplc=ZIBO))
    assert twice["infcode"] == -1 and settled["setl_id"] in twice["err_msg"]


def test_replayed_msgid_returns_the_first_answer(db, api_client):
    # given a settled visit
    clinic, member = clinic_world(api_client, NANYANG)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    first = settle(clinic, member, visit, "100.00", msgid="H00000000001202403040900009999")
    assert first["infcode"] == 0
    # when the same msgid comes again, as it was and with other content
    same = settle(clinic, member, visit, "100.00", msgid="H00000000001202403040900009999")
    other = settle(clinic, member, visit, "90.00", msgid="H00000000001202403040900009999")
    # then both get the first answer, byte for byte, and one claim exists
    assert same == first == other
    assert Claim.objects.count() == 1 and Message.objects.filter(msgid="H00000000001202403040900009999").count() == 1
    # and a refused message is answered the same way again (its first answer, not a second try)
    bad = clinic.envelope("2207", {"data": {}}, insuplc=NANYANG)
    assert clinic.send(bad)["infcode"] == -1 and clinic.send(bad) == clinic.send(bad)


def test_clinic_token_cannot_transact_as_another_provider(db, api_client):
    # given two clinics of Nanyang, and a visit settled at the second
    clinic_a, member_a = clinic_world(api_client, NANYANG)
    clinic_b, member_b = clinic_world(api_client, NANYANG)
    visit_b = clinic_b.visit_until_fees(member_b, amount=Decimal("100.00"))
    settled_b = settle(clinic_b, member_b, visit_b, "100.00")["output"]["setlinfo"]
    # when clinic A's token sends a message in B's name
    as_b = clinic_a.envelope("2208", {"data": clinic_a.data_2208(
        setl_id=settled_b["setl_id"], mdtrt_id=visit_b["mdtrt_id"], psn_no=visit_b["psn_no"])}, insuplc=NANYANG,
        fixmedins_code=clinic_b.provider.fixmedins_code)
    refused = clinic_a.send(as_b)
    # then it is refused naming the field and the rule
    assert refused["infcode"] == -1 and refused["err_msg"].startswith("fixmedins_code:")
    # when A sends B's visit and settlement under its own name
    own_name = clinic_a.send(clinic_a.envelope("2208", {"data": clinic_a.data_2208(
        setl_id=settled_b["setl_id"], mdtrt_id=visit_b["mdtrt_id"], psn_no=visit_b["psn_no"])}, insuplc=NANYANG))
    fees = clinic_a.send(clinic_a.envelope("2204", {"feedetail": [clinic_a.feedetail_2204(
        mdtrt_id=visit_b["mdtrt_id"], psn_no=visit_b["psn_no"], batch="X", sn="9", code="X1",
        amount=Decimal("5.00"))]}, insuplc=NANYANG))
    # then B's visit does not exist for A, and B's settlement stands
    assert own_name["infcode"] == -1 and own_name["err_msg"].startswith("data.mdtrt_id:")
    assert fees["infcode"] == -1 and fees["err_msg"].startswith("feedetail[0].mdtrt_id:")
    assert Claim.objects.filter(setl_id=settled_b["setl_id"], reversed_by__isnull=True).exists()
    assert Claim.objects.count() == 1 and FeeDetail.objects.count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"med_type": "21"}, "med_type"),            # 普通住院: not an outpatient pooling visit
    ({"mdtrt_cert_type": "01"}, "mdtrt_cert_type"),  # 电子凭证: no registry here
    ({"psn_setlway": "02"}, "psn_setlway"),      # 按定额结算
    ({"acct_used_flag": "2"}, "acct_used_flag"),
    ({"medfee_sumamt": Decimal("99.00"), "inscp_scp_amt": Decimal("99.00")}, "medfee_sumamt"),  # ≠ the fee details
])
def test_what_cannot_be_mapped_is_refused_naming_it(db, api_client, change, field):
    # given a registered visit with 100.00 of fee details
    clinic, member = clinic_world(api_client, NANYANG)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    data = clinic.data_2207(psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
                            medfee=Decimal("100.00"), inscp=Decimal("100.00"))
    # when the settlement carries a value the table has no row for
    reply = clinic.send(clinic.envelope("2207", {"data": {**data, **change}}, insuplc=NANYANG))
    # then infcode -1 naming the field, and nothing recorded
    assert reply["infcode"] == -1 and field in reply["err_msg"].split(":")[0], reply["err_msg"]
    assert not Claim.objects.exists()


def test_ganzhou_benefits_from_department_and_diagnosis(db, api_client):
    # given Ganzhou visits of 800.00: one at the TCM department, one with hypertension as main diagnosis
    clinic, member = clinic_world(api_client, GANZHOU)
    tcm = clinic.visit_until_fees(member, amount=Decimal("800.00"), caty="50")
    # when the TCM visit settles: TCM deductible 300 (shared bucket, nothing paid yet), ratio L1 60 % + 5
    # → (800 − 300) × 0.65 = 325.00
    answer = settle(clinic, member, tcm, "800.00")["output"]["setlinfo"]
    assert (answer["act_pay_dedc"], answer["hifp_pay"], answer["pool_prop_selfpay"]) == ("300.00", "325.00", "0.6500")
    assert Claim.objects.get(setl_id=answer["setl_id"]).benefit == "tcm"
    # when the hypertension visit settles: no deductible, ordinary ratio 60 %, sub-cap 500
    # → min(800 × 0.60 = 480, 500) = 480.00
    two = clinic.visit_until_fees(member, amount=Decimal("800.00"), diag_code="I10.x00")
    answer = settle(clinic, member, two, "800.00")["output"]["setlinfo"]
    assert (answer["act_pay_dedc"], answer["hifp_pay"]) == ("0.00", "480.00")
    assert Claim.objects.get(setl_id=answer["setl_id"]).benefit == "hypertension"
    # when a TCM-department visit has a two-disease main diagnosis, the benefit is not guessed
    both = clinic.visit_until_fees(member, amount=Decimal("10.00"), caty="50", diag_code="E11.900")
    refused = settle(clinic, member, both, "10.00")
    assert refused["infcode"] == -1 and refused["err_msg"].startswith("caty:")


def test_emergency_and_cancelled_fee_details(db, api_client):
    # given a visit registered as 急诊 (med_type 13)
    clinic, member = clinic_world(api_client, NANYANG)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"), med_type="13")
    # when its fee details are cancelled (2205 "0000": every unsettled detail)
    cancel = clinic.send(clinic.envelope("2205", {"data": {"mdtrt_id": visit["mdtrt_id"], "chrg_bchno": "0000",
                                                           "psn_no": visit["psn_no"]}}, insuplc=NANYANG))
    assert cancel["infcode"] == 0, cancel["err_msg"]
    # then the settlement has nothing to settle
    refused = settle(clinic, member, visit, "100.00", med_type="13")
    assert refused["infcode"] == -1 and refused["err_msg"].startswith("data.chrg_bchno:")
    # when they are uploaded again, the emergency visit settles as one
    again = clinic.send(clinic.envelope("2204", {"feedetail": [clinic.feedetail_2204(
        mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"], batch=visit["batch"], sn="1", code="XA01",
        amount=Decimal("100.00"), er_flag="1")]}, insuplc=NANYANG))
    assert again["infcode"] == 0, again["err_msg"]
    settled = settle(clinic, member, visit, "100.00", med_type="13")
    assert settled["infcode"] == 0, settled["err_msg"]
    assert Claim.objects.get().emergency is True


def test_transactions_need_a_sign_in(db, api_client):
    clinic, member = clinic_world(api_client, NANYANG)
    clinic.sign_no = "20240304ffffffffffffffff"
    reply = clinic.send(clinic.envelope("1101", {"data": clinic.data_1101(member)}))
    assert reply["infcode"] == -1 and reply["err_msg"].startswith("sign_no:")


@pytest.mark.parametrize(("envelope_change", "field"), [
    ({"insuplc_admdvs": "370300"}, "insuplc_admdvs"),   # not the member's region
    ({"mdtrtarea_admvs": "370300"}, "mdtrtarea_admvs"),  # not where the provider is
])
def test_regions_in_the_envelope_must_match_member_and_provider(db, api_client, envelope_change, field):
    clinic, member = clinic_world(api_client, NANYANG)
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    message = clinic.envelope("2207", {"data": clinic.data_2207(
        psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
        medfee=Decimal("100.00"), inscp=Decimal("100.00"))}, insuplc=NANYANG)
    reply = clinic.send({**message, **envelope_change})
    assert reply["infcode"] == -1 and reply["err_msg"].startswith(f"{field}:"), reply["err_msg"]
    assert not Claim.objects.exists()


def test_a_pharmacy_uses_med_type_41_only(db, api_client):
    # given a Nanyang pharmacy's HIS
    clinic, member = clinic_world(api_client, NANYANG, kind="pharmacy")
    person = clinic.send(clinic.envelope("1101", {"data": clinic.data_1101(member)}))
    psn_no = person["output"]["baseinfo"]["psn_no"]
    registered = clinic.send(clinic.envelope("2201", {"data": clinic.data_2201(
        psn_no=psn_no, member=member, begntime="2024-03-04T09:30:00")}, insuplc=NANYANG))
    mdtrt_id = registered["output"]["data"]["mdtrt_id"]
    # when it sends 11 普通门诊, then 41 定点药店购药
    ordinary = clinic.send(clinic.envelope("2203", clinic.input_2203(mdtrt_id=mdtrt_id, psn_no=psn_no),
                                           insuplc=NANYANG))
    pharmacy = clinic.send(clinic.envelope("2203", clinic.input_2203(mdtrt_id=mdtrt_id, psn_no=psn_no, med_type="41"),
                                           insuplc=NANYANG))
    # then 11 is refused naming med_type and 41 is taken
    assert ordinary["infcode"] == -1 and ordinary["err_msg"].startswith("med_type:")
    assert pharmacy["infcode"] == 0, pharmacy["err_msg"]


def test_a_resident_settles_with_the_his_account_flag_set(db, api_client):
    # given a Nanchang resident (no personal account in the resident scheme) signed with the clinic
    clinic, member = clinic_world(api_client, "360100")
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    # when the HIS settles with acct_used_flag "1", as it sends it for every patient
    settled = settle(clinic, member, visit, "100.00", acct_used="1")
    # then the visit is settled at the signed provider's 60 %, nothing from an account: 60.00 fund, 40.00 cash
    assert settled["infcode"] == 0, settled["err_msg"]
    shown = settled["output"]["setlinfo"]
    assert [shown[n] for n in ("hifp_pay", "psn_part_amt", "acct_pay", "psn_cash_pay")] == [
        "60.00", "40.00", "0.00", "40.00"]
    assert not AccountEntry.objects.exists()
