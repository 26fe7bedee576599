"""Uploaded fee details with the optional catalogue extension become the claim's ClaimItem rows
through the engine, as a REST claim's lines do (what supervision reads); an unchanged client's
details settle the same without items; a line set is all extension or none; a pharmacy's filled
prescription needs its prescriber (national/mapping.py (3), (4)).

Hand-computed (RULES.md), Nanyang, level-1 providers, deductible 0, ratio 60 %, on 2024-03-04:
  a 100.00 visit: fund 100.00 × 0.60 = 60.00.
  lines 30.00 西药 甲 + 50.00 检查 乙 + 20.00 西药 丙 = 100.00:
    exam_amount = 50.00 (the 检查 line), out_of_catalogue_amount = 20.00 (the 丙 line), itemised 100.00.
  the same lines without the extension: fund 60.00 as well; no items, so itemised 0.00.
  a pharmacy fill of 100.00: with the prescription of a level-1 centre, rated as a visit there:
    100.00 × 0.60 = 60.00; without a prescription: not covered (pharmacy_not_covered), fund 0.00.
"""
from decimal import Decimal

from claims.models import Claim, ClaimItem
from national.models import FeeDetail
from tests.factories import make_member, make_provider, make_staff
from tests.national.client import OMEPRAZOLE
from tests.national.conftest import clinic_world

NANYANG = "411300"
LINES = [  # (sn, code, (hilist_name, chrgitm_lv, med_chrgitm_type), amount)
    ("1", "XA02BCA211A001010100443", OMEPRAZOLE, Decimal("30.00")),
    ("2", "002501000010000", ("血常规", "02", "03"), Decimal("50.00")),
    ("3", "XN05CFZ082A001010100593", ("进口安眠药", "03", "09"), Decimal("20.00")),
]


def settle(clinic, member, visit, medfee: Decimal, **extra) -> dict:
    data = clinic.data_2207(psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
                            medfee=medfee, inscp=medfee, med_type=extra.pop("med_type", "11"))
    return clinic.send(clinic.envelope("2207", {"data": {**data, **extra}}, insuplc=member.admdvs_id))


def three_line_visit(clinic, member, *, extended: bool) -> tuple[dict, dict]:
    """A Nanyang visit whose batch is LINES (line 1 with the visit, 2 and 3 in a second upload)."""
    visit = clinic.visit_until_fees(member, amount=LINES[0][3], catalogue=LINES[0][2] if extended else None)
    more = [clinic.feedetail_2204(mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"], batch=visit["batch"], sn=sn,
                                  code=code, amount=amount, catalogue=catalogue if extended else None)
            for sn, code, catalogue, amount in LINES[1:]]
    return visit, clinic.send(clinic.envelope("2204", {"feedetail": more}, insuplc=NANYANG))


def test_details_with_the_extension_are_the_claims_items_as_through_rest(db, api_client):
    # given a Nanyang visit whose 2204 uploads are three lines with the catalogue extension
    clinic, member = clinic_world(api_client, NANYANG)
    visit, uploaded = three_line_visit(clinic, member, extended=True)
    # then the 2204 answer gives each line's level and type as Output_2204 does
    assert [(r["chrgitm_lv"], r["med_chrgitm_type"]) for r in uploaded["output"]["result"]] == [("02", "03"),
                                                                                              ("03", "09")]
    # when the clinic settles the 100.00
    reply = settle(clinic, member, visit, Decimal("100.00"))
    # then the claim has the three lines as its items, and the fee summary supervision reads
    assert reply["infcode"] == 0, reply["err_msg"]
    claim = Claim.objects.get(setl_id=reply["output"]["setlinfo"]["setl_id"])
    assert claim.hifp_pay == Decimal("60.00")
    items = [(i.code, i.name, i.category, i.chrgitm_lv, i.amount) for i in ClaimItem.objects.filter(claim=claim)]
    assert items == [(LINES[0][1], "奥美拉唑肠溶胶囊", "drug", "01", Decimal("30.00")),
                     (LINES[1][1], "血常规", "exam", "02", Decimal("50.00")),
                     (LINES[2][1], "进口安眠药", "drug", "03", Decimal("20.00"))]
    assert (claim.exam_amount, claim.out_of_catalogue_amount, claim.itemised_amount) == (
        Decimal("50.00"), Decimal("20.00"), Decimal("100.00"))
    # and a REST claim with the same lines records the same items and summary
    other = make_member(admdvs=NANYANG)
    api_client.force_authenticate(make_staff(all_regions=True, superuser=True))
    rest = api_client.post("/api/v1/claims/", {
        "admdvs": NANYANG, "certno": other.certno, "fixmedins_code": clinic.provider.fixmedins_code,
        "visit_at": "2024-03-04T09:30:00+08:00", "medfee_sumamt": "100.00", "inscp_scp_amt": "100.00",
        "fee_details": [{"code": code, "name": name, "category": category, "chrgitm_lv": level, "amount": str(amount)}
                        for (code, name, category, level, amount) in items]}, format="json")
    api_client.force_authenticate(None)
    assert rest.status_code == 201, rest.content
    twin = Claim.objects.get(setl_id=rest.json()["setl_id"])
    assert [(i.code, i.name, i.category, i.chrgitm_lv, i.amount) for i in ClaimItem.objects.filter(claim=twin)] == items
    assert (twin.exam_amount, twin.out_of_catalogue_amount, twin.itemised_amount, twin.hifp_pay) == (
        claim.exam_amount, claim.out_of_catalogue_amount, claim.itemised_amount, claim.hifp_pay)


def test_an_unchanged_clients_details_settle_the_same_without_items(db, api_client):
    # given the same three lines uploaded in the unchanged Input_2204 shape (no extension)
    clinic, member = clinic_world(api_client, NANYANG)
    visit, uploaded = three_line_visit(clinic, member, extended=False)
    # then they are accepted, Output_2204's level and type present and null
    assert [(r["chrgitm_lv"], r["med_chrgitm_type"]) for r in uploaded["output"]["result"]] == [(None, None)] * 2
    # when the clinic settles the 100.00
    reply = settle(clinic, member, visit, Decimal("100.00"))
    # then it settles from its amounts as any claim: 100.00 × 0.60 = 60.00
    assert reply["infcode"] == 0, reply["err_msg"]
    assert reply["output"]["setlinfo"]["hifp_pay"] == "60.00"
    claim = Claim.objects.get(setl_id=reply["output"]["setlinfo"]["setl_id"])
    # and the lines are its fee details, not items (no level guessed): supervision's item shares skip it
    assert FeeDetail.objects.filter(claim=claim).count() == 3
    assert not ClaimItem.objects.filter(claim=claim).exists()
    assert (claim.exam_amount, claim.out_of_catalogue_amount, claim.itemised_amount) == (0, 0, 0)


def test_a_mixed_line_set_or_an_unknown_code_is_refused_naming_the_field(db, api_client):
    # given a registered Nanyang visit whose batch holds one line without the extension
    clinic, member = clinic_world(api_client, NANYANG)
    visit = clinic.visit_until_fees(member, amount=Decimal("10.00"))
    ids = dict(mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"], code="X1", amount=Decimal("5.00"))
    extended = clinic.feedetail_2204(batch="B2", sn="8", catalogue=OMEPRAZOLE, **ids)
    bare = clinic.feedetail_2204(batch="B2", sn="9", **ids)
    for lines, field in (([extended, bare], "feedetail[1].hilist_name"),  # one line without
                         ([bare, extended], "feedetail[1].hilist_name"),  # one line with
                         ([{**extended, "chrgitm_lv": None}], "feedetail[0].chrgitm_lv"),  # two of three
                         ([{**bare, "med_chrgitm_type": "09"}], "feedetail[0].hilist_name"),  # one of three
                         ([{**extended, "chrgitm_lv": "04"}], "feedetail[0].chrgitm_lv"),  # unknown codes
                         ([{**extended, "med_chrgitm_type": "99"}], "feedetail[0].med_chrgitm_type"),
                         ([{**extended, "rx_circ_flag": "2"}], "feedetail[0].rx_circ_flag"),
                         # the visit's batch already holds a line without: one more with it mixes the batch
                         ([{**extended, "chrg_bchno": visit["batch"]}], "feedetail[0].hilist_name")):
        # when the upload is sent
        reply = clinic.send(clinic.envelope("2204", {"feedetail": lines}, insuplc=NANYANG))
        # then it is refused naming the field
        assert reply["infcode"] == -1 and reply["err_msg"].startswith(f"{field}:"), (field, reply["err_msg"])
    # and nothing of them is stored: B2 is empty, the visit's batch still its one line, which settles
    assert not FeeDetail.objects.filter(chrg_bchno="B2").exists()
    assert FeeDetail.objects.filter(chrg_bchno=visit["batch"]).count() == 1
    assert settle(clinic, member, visit, Decimal("10.00"))["infcode"] == 0


def test_a_pharmacy_fill_needs_its_prescriber(db, api_client):
    # given a Nanyang pharmacy's HIS, a level-1 centre that prescribes, and two fills of 100.00
    clinic, member = clinic_world(api_client, NANYANG, kind="pharmacy")
    centre = make_provider(admdvs=NANYANG, level="1")
    filled = clinic.visit_until_fees(member, amount=Decimal("100.00"), med_type="41", rx="RX0001")
    bought = clinic.visit_until_fees(member, amount=Decimal("100.00"), med_type="41")
    # when the fill (rx_circ_flag 1) settles without the prescriber
    missing = settle(clinic, member, filled, Decimal("100.00"), med_type="41")
    # then it is refused naming the field, and nothing is recorded
    assert missing["infcode"] == -1 and missing["err_msg"].startswith("data.prescribing_fixmedins_code:")
    assert "RX0001" in missing["err_msg"] and not Claim.objects.exists()
    # when a purchase without a prescription names a prescriber
    stray = settle(clinic, member, bought, Decimal("100.00"), med_type="41",
                   prescribing_fixmedins_code=centre.fixmedins_code)
    # then it is refused too (the batch fills no prescription)
    assert stray["infcode"] == -1 and stray["err_msg"].startswith("data.prescribing_fixmedins_code:")
    # when the fill names a pharmacy as its prescriber, the engine's check refuses it by the same field
    pharmacy = make_provider(admdvs=NANYANG, kind="pharmacy")
    wrong = settle(clinic, member, filled, Decimal("100.00"), med_type="41",
                   prescribing_fixmedins_code=pharmacy.fixmedins_code)
    assert wrong["infcode"] == -1 and wrong["err_msg"].startswith("prescribing_fixmedins_code:"), wrong["err_msg"]
    # when the fill names the centre, and the purchase comes without a prescriber
    fill = settle(clinic, member, filled, Decimal("100.00"), med_type="41",
                  prescribing_fixmedins_code=centre.fixmedins_code)
    purchase = settle(clinic, member, bought, Decimal("100.00"), med_type="41")
    # then the fill is rated at the centre: 100.00 × 0.60 = 60.00; the purchase is not covered: 0.00
    assert fill["infcode"] == 0 and purchase["infcode"] == 0, (fill["err_msg"], purchase["err_msg"])
    assert fill["output"]["setlinfo"]["hifp_pay"] == "60.00"
    assert purchase["output"]["setlinfo"]["hifp_pay"] == "0.00"
    recorded = Claim.objects.get(setl_id=fill["output"]["setlinfo"]["setl_id"])
    assert recorded.prescribing_provider_id == centre.fixmedins_code
    assert Claim.objects.get(setl_id=purchase["output"]["setlinfo"]["setl_id"]).reason == "pharmacy_not_covered"
