"""Pharmacy fills 外配处方 and the second-reading corrections through the REST API.

RULES.md "Designated retail pharmacies"; CONTRACT.md claims ``prescribing_fixmedins_code``, members
``inpatient_only``. Numbers by hand from RULES.md, in the comments.
"""
import json
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account
from accounts.services import account_credit_month
from claims.models import Accumulator, Claim
from tests.accounts.conftest import employee
from tests.claims.helpers import body
from tests.factories import make_member, make_provider, make_signup
from tests.shared_folder import shared_path

pytestmark = pytest.mark.django_db
NANYANG, ZIBO, GANZHOU, NANCHANG, HEYUAN = "411300", "370300", "360700", "360100", "441600"
FIELD = "prescribing_fixmedins_code"

# The cases of the second reading that need no out-of-area provider or registration: the pharmacy
# fills (Nanyang) and the inpatient-only member (Ganzhou).
CASES = [c for c in json.loads(shared_path("policy", "examples", "claims-second-reading.json").read_text())["cases"]
         if not c["member"].get("registrations") and not any("admdvs" in p for p in c["providers"])]
VISIT_KEYS = ("benefit", "emergency", "referral", "channel", "exclusion", FIELD)


def _case_world(case: dict):
    admdvs = case["admdvs"]
    providers = {spec["code"]: make_provider(
        code=spec["code"], admdvs=admdvs, level=str(spec["level"]),
        kind=spec.get("kind") or ("township" if spec["level"] == 1 else "hospital")) for spec in case["providers"]}
    m = case["member"]
    member = make_member(certno=m["certno"], admdvs=admdvs, psn_type=m.get("psn_type"),
                         inpatient_only=m.get("inpatient_only", False))
    for s in case["signups"]:
        make_signup(member=member, provider=providers[s["provider"]],
                    effective_from=date.fromisoformat(s["effective_from"]), reason=s.get("reason", "first"))
    return member, providers


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_second_reading_case_through_the_api(case, api_client, city_admin):
    # given the case's providers, member and sign-ups
    member, providers = _case_world(case)
    api_client.force_authenticate(city_admin)
    for number, visit in enumerate(case["visits"]):
        # when each visit is posted in order
        extra = {k: visit[k] for k in VISIT_KEYS if k in visit}
        response = api_client.post("/api/v1/claims/", body(
            member=member, provider=providers[visit["provider"]], visit_at=visit["visit_at"],
            inscp=visit["inscp_scp_amt"], **extra), format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        # then the answer has exactly the expected figures, and echoes the prescription
        for field, expected in visit["expect"].items():
            assert data[field] == expected, (number, field, data)
        assert data[FIELD] == visit.get(FIELD)


@pytest.fixture
def nanyang(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    return (make_member(admdvs=NANYANG), make_provider(code="NY-H2", admdvs=NANYANG, level="2", kind="hospital"),
            make_provider(code="NY-PH", admdvs=NANYANG, level="1", kind="pharmacy"))


def test_nanyang_fill_shares_the_window_and_is_charged_to_the_pharmacy(api_client, nanyang):
    member, hospital, pharmacy = nanyang
    # given a visit at the L2 hospital: (200 − 30) × 55% = 93.50
    first = api_client.post("/api/v1/claims/", body(member=member, provider=hospital, visit_at="2024-05-01T09:00",
                                                    inscp="200.00"), format="json").json()
    # when its prescription is filled at 20:00 the same day: no deductible, 120 × 55% = 66.00
    filled = api_client.post("/api/v1/claims/", body(member=member, provider=pharmacy, visit_at="2024-05-01T20:00",
                                                     inscp="120.00", **{FIELD: "NY-H2"}), format="json")
    assert filled.status_code == 201, filled.content
    data = filled.json()
    assert (first["act_pay_dedc"], first["hifp_pay"]) == ("30.00", "93.50")
    assert (data["act_pay_dedc"], data["pool_prop_selfpay"], data["hifp_pay"]) == ("0.00", "0.5500", "66.00")
    assert (data["fixmedins_code"], data["charged_fixmedins_code"], data[FIELD]) == ("NY-PH", "NY-PH", "NY-H2")
    assert data["steps"][0]["rule"] == "prescription"
    # the record keeps the prescriber (column and inputs), the accumulator the shared window and fund
    claim = Claim.objects.get(setl_id=data["setl_id"])
    assert claim.prescribing_provider_id == "NY-H2" and claim.inputs["prescriber"]["level"] == "2"
    accumulator = Accumulator.objects.get(member=member, year=2024)
    assert accumulator.fund_paid == Decimal("159.50")  # 93.50 + 66.00
    assert accumulator.buckets == {"window:NY-H2:2024-05-01T09:00:00+08:00": "30.00"}
    # a reversal of the fill puts the accumulator back to the first visit alone
    reversal = api_client.post(f"/api/v1/claims/{data['setl_id']}/reverse/", format="json")
    assert reversal.status_code == 201 and reversal.json()["hifp_pay"] == "-66.00"
    assert Accumulator.objects.get(member=member, year=2024).fund_paid == Decimal("93.50")


def test_zibo_fill_counts_in_the_prescriber_level_bucket(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=ZIBO)
    l2 = make_provider(code="ZB-H2", admdvs=ZIBO, level="2", kind="hospital")
    pharmacy = make_provider(code="ZB-PH", admdvs=ZIBO, level="1", kind="pharmacy")
    # given an L2 visit of 400 (all deductible, standard 500), when an L2 prescription of 300 is filled:
    # deductible 500 − 400 = 100, (300 − 100) × 60% = 120.00
    api_client.post("/api/v1/claims/", body(member=member, provider=l2, visit_at="2024-02-01T10:00",
                                            inscp="400.00"), format="json")
    filled = api_client.post("/api/v1/claims/", body(member=member, provider=pharmacy, visit_at="2024-02-02T10:00",
                                                     inscp="300.00", **{FIELD: "ZB-H2"}), format="json").json()
    assert (filled["act_pay_dedc"], filled["hifp_pay"]) == ("100.00", "120.00")
    # then the year-to-date shows the L2 bucket complete and nothing at L1 (the pharmacy's own level)
    figures = api_client.get(f"/api/v1/members/{ZIBO}/{member.certno}/accumulators/?year=2024").json()
    assert figures["deductible_paid"] == {"1": "0.00", "2": "500.00", "3": "0.00"}
    assert figures["fund_paid"] == "120.00"


@pytest.mark.parametrize("case", ["not_a_pharmacy", "unknown", "prescriber_is_a_pharmacy", "other_region"])
def test_a_bad_prescription_is_a_400_naming_the_field_and_writes_nothing(api_client, nanyang, case):
    member, hospital, pharmacy = nanyang
    make_provider(code="NY-PH2", admdvs=NANYANG, level="1", kind="pharmacy")
    make_provider(code="ZB-H2", admdvs=ZIBO, level="2", kind="hospital")
    where, prescriber = {"not_a_pharmacy": (hospital, "NY-H2"), "unknown": (pharmacy, "NO-SUCH"),
                         "prescriber_is_a_pharmacy": (pharmacy, "NY-PH2"),
                         "other_region": (pharmacy, "ZB-H2")}[case]
    response = api_client.post("/api/v1/claims/", body(member=member, provider=where, visit_at="2024-05-01T10:00",
                                                       **{FIELD: prescriber}), format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [FIELD]
    assert not Claim.objects.exists() and not Accumulator.objects.filter(fund_paid__gt=0).exists()


def test_the_prescription_is_part_of_the_idempotent_content(api_client, nanyang):
    member, hospital, pharmacy = nanyang
    plain = body(member=member, provider=pharmacy, visit_at="2024-05-01T10:00", idempotency_key="ph-1")
    assert api_client.post("/api/v1/claims/", plain, format="json").json()["status"] == "not_covered"
    # the same key with a prescription added is other content: 409
    again = api_client.post("/api/v1/claims/", {**plain, FIELD: "NY-H2"}, format="json")
    assert again.status_code == 409 and Claim.objects.count() == 1


@pytest.mark.parametrize("admdvs", [NANCHANG, HEYUAN])
def test_nanchang_and_heyuan_pool_no_fill(api_client, city_admin, admdvs):
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=admdvs)
    centre = make_provider(admdvs=admdvs, level="1", kind="township")
    make_signup(member=member, provider=centre, effective_from=date(2024, 1, 1))
    pharmacy = make_provider(admdvs=admdvs, level="1", kind="pharmacy")
    data = api_client.post("/api/v1/claims/", body(member=member, provider=pharmacy, visit_at="2024-05-01T10:00",
                                                   **{FIELD: centre.fixmedins_code}), format="json").json()
    assert (data["status"], data["reason"], data["hifp_pay"]) == ("not_covered", "pharmacy_not_covered", "0.00")


def test_the_account_still_pays_the_share_of_an_unpooled_pharmacy_claim(api_client, city_admin):
    # given a Heyuan employee with 100.00 in the account (base 5 000 × 2%)
    member = employee(HEYUAN, base="5000.00")
    account_credit_month(admdvs=HEYUAN, period="2024-01", by=None)
    pharmacy = make_provider(admdvs=HEYUAN, level="1", kind="pharmacy")
    api_client.force_authenticate(city_admin)
    # when 80.00 of drugs are bought there: not pooled, the account pays the whole 80.00 share
    data = api_client.post("/api/v1/claims/", body(member=member, provider=pharmacy, visit_at="2024-02-03T10:00",
                                                   inscp="80.00", acct_used=True), format="json").json()
    assert (data["reason"], data["hifp_pay"], data["acct_pay"], data["psn_cash_pay"]) == (
        "pharmacy_not_covered", "0.00", "80.00", "0.00")
    assert Account.objects.get(member=member).balance == Decimal("20.00")


def test_ganzhou_inpatient_only_member_through_the_api(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    clinic = make_provider(admdvs=GANZHOU, level="1", kind="township")
    # given a member registered through the API as inpatient-only
    created = api_client.post("/api/v1/members/", {
        "certno": "360102197005010112", "psn_name": "李四", "admdvs": GANZHOU, "insutype": "310",
        "psn_type": "1101", "district": "360702", "enrolled_on": "2015-01-01", "inpatient_only": True},
        format="json")
    assert created.status_code == 201, created.content
    assert created.json()["inpatient_only"] is True
    # when a visit is posted: not covered (第三条), reason inpatient_only_scheme
    data = api_client.post("/api/v1/claims/", {
        "certno": "360102197005010112", "admdvs": GANZHOU, "fixmedins_code": clinic.fixmedins_code,
        "visit_at": "2024-02-01T10:00", "medfee_sumamt": "700.00", "inscp_scp_amt": "700.00"}, format="json").json()
    assert (data["status"], data["reason"], data["hifp_pay"]) == ("not_covered", "inpatient_only_scheme", "0.00")
    # when the flag is cleared by PATCH, the next visit is ordinary: (700 − 600) × 60% = 60.00
    patched = api_client.patch(f"/api/v1/members/{GANZHOU}/360102197005010112/", {"inpatient_only": False},
                               format="json")
    assert patched.status_code == 200 and patched.json()["inpatient_only"] is False
    again = api_client.post("/api/v1/claims/", {
        "certno": "360102197005010112", "admdvs": GANZHOU, "fixmedins_code": clinic.fixmedins_code,
        "visit_at": "2024-02-02T10:00", "medfee_sumamt": "700.00", "inscp_scp_amt": "700.00"}, format="json").json()
    assert (again["status"], again["hifp_pay"]) == ("settled", "60.00")


def test_inpatient_only_is_refused_for_a_resident(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    response = api_client.post("/api/v1/members/", {
        "certno": "360102197005010112", "psn_name": "王五", "admdvs": NANCHANG, "insutype": "390",
        "psn_type": "1501", "district": "360102", "enrolled_on": "2015-01-01", "inpatient_only": True},
        format="json")
    assert response.status_code == 400 and list(response.json()) == ["inpatient_only"]


def test_an_inpatient_only_member_gets_no_account_credit(api_client, city_admin):
    # given two Ganzhou employees with a base of 5 000, one inpatient-only
    ordinary, waived = employee(GANZHOU, base="5000.00"), employee(GANZHOU, base="5000.00")
    waived.inpatient_only = True
    waived.save(update_fields=["inpatient_only"])
    # when January is credited: only the ordinary member gets 5 000 × 2% = 100.00
    account_credit_month(admdvs=GANZHOU, period="2024-01", by=None)
    assert Account.objects.get(member=ordinary).balance == Decimal("100.00")
    assert not Account.objects.filter(member=waived).exists()


def test_a_prescriber_of_the_registration_destination_may_be_filled(api_client, city_admin):
    # given a Zibo member with a long-term registration to Guangzhou (440100) from 2024-01-01, a
    # Guangzhou L2 hospital, a Guangzhou pharmacy and a Zibo pharmacy
    from tests.factories import make_registration

    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=ZIBO)
    make_provider(code="GZ-H2", admdvs="440100", level="2", kind="hospital")
    make_provider(code="GZ-PH", admdvs="440100", level="1", kind="pharmacy")
    make_provider(code="ZB-PH", admdvs=ZIBO, level="1", kind="pharmacy")
    before = body(member=member, provider=make_provider(code="ZB-PH0", admdvs=ZIBO, level="1", kind="pharmacy"),
                  visit_at="2023-12-20T10:00", inscp="600.00", **{FIELD: "GZ-H2"})
    # when a Guangzhou prescription is filled before any registration: of another region, 400
    refused = api_client.post("/api/v1/claims/", before, format="json")
    assert refused.status_code == 400 and list(refused.json()) == [FIELD]
    make_registration(member=member, kind="long_term", dest_admdvs="440100", start_on=date(2024, 1, 1))
    # when it is filled in Guangzhou with the registration in force: out of area long_term, rated at
    # the L2 prescriber (Zibo 第六条: local rules at the same level): L2 deductible 500,
    # (600 − 500) × 60% = 60.00, charged to the Guangzhou pharmacy
    there = api_client.post("/api/v1/claims/", body(member=member, provider=_code("GZ-PH"), visit_at="2024-02-01T10:00",
                                                    inscp="600.00", **{FIELD: "GZ-H2"}), format="json").json()
    assert (there["out_of_area"], there["act_pay_dedc"], there["hifp_pay"], there["charged_fixmedins_code"]) == (
        "long_term", "500.00", "60.00", "GZ-PH")
    # and at home in Zibo too (the destination's prescriber is allowed): the L2 deductible is complete,
    # 100 × 60% = 60.00, not out of area (the pharmacy is local)
    home = api_client.post("/api/v1/claims/", body(member=member, provider=_code("ZB-PH"), visit_at="2024-02-02T10:00",
                                                   inscp="100.00", **{FIELD: "GZ-H2"}), format="json").json()
    assert (home["out_of_area"], home["act_pay_dedc"], home["hifp_pay"]) == ("none", "0.00", "60.00")


def _code(code: str):
    from providers.models import Provider

    return Provider.objects.get(fixmedins_code=code)


def test_marking_no_account_sets_the_member_flag_claims_read(api_client, city_admin):
    # given a Ganzhou employee recorded by the accounts service as inpatient-only (no account)
    from accounts.services import member_mark_no_account
    from members.models import Member, MemberChange

    member = employee(GANZHOU, base="5000.00")
    member_mark_no_account(member=member, since=date(2024, 1, 1), note="第三条")
    # then the member's flag is set (audited) and a visit is outside outpatient pooling
    assert Member.objects.get(pk=member.pk).inpatient_only is True
    assert MemberChange.objects.get(member=member, action="update").after == {"inpatient_only": True}
    clinic = make_provider(admdvs=GANZHOU, level="1", kind="township")
    api_client.force_authenticate(city_admin)
    data = api_client.post("/api/v1/claims/", body(member=member, provider=clinic, visit_at="2024-02-01T10:00",
                                                   inscp="700.00"), format="json").json()
    assert (data["status"], data["reason"]) == ("not_covered", "inpatient_only_scheme")
