"""CONTRACT.md "Providers", "Members" and "Sign-ups" field by field, from outside: formats, the 400
that names its field and writes nothing, regional scope, and the sign-up rules of RULES.md "Sign-up
requests" at their edges."""
from datetime import date

import pytest

from members.certno import make_certno
from tests.contract.world import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, World

pytestmark = pytest.mark.django_db
PROVIDERS, MEMBERS, SIGNUPS = "/api/v1/providers/", "/api/v1/members/", "/api/v1/signups/"


def _provider_body(code: str, **overrides) -> dict:
    body = {"fixmedins_code": code, "fixmedins_name": f"机构{code}", "admdvs": NANYANG, "district": "411302",
            "dedc_hosp_lv": "1", "kind": "township", "parent_code": None, "status": "active"}
    return {**body, **overrides}


def _member_body(certno: str, **overrides) -> dict:
    body = {"certno": certno, "psn_name": "王五", "admdvs": NANYANG, "insutype": "310", "psn_type": "1101",
            "retired_on": None, "contribution_base": "5000.00", "district": "411302", "enrolled_on": "2015-01-01"}
    return {**body, **overrides}


def _count(client, path: str, **query) -> int:
    return client.get(path, query).json()["count"]


# --- Providers -----------------------------------------------------------------------------------

def test_an_unrated_provider_keeps_level_9_and_a_duplicate_code_is_refused_on_the_code(world):
    w = world(NANYANG)
    created = w.client.post(PROVIDERS, _provider_body("P-DUP-1", dedc_hosp_lv="9", kind="village",
                                                      parent_code=w.provider(level="1")), format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["dedc_hosp_lv"], created.json()["kind"]) == ("9", "village")
    again = w.client.post(PROVIDERS, _provider_body("P-DUP-1"), format="json")
    assert again.status_code == 400 and "fixmedins_code" in again.json()
    assert w.client.get(f"{PROVIDERS}P-DUP-1/").json()["kind"] == "village"       # unchanged


def test_an_out_of_area_provider_is_checked_by_its_city_prefix(world):
    # RULES.md "Out-of-area providers": admdvs a city-level code, district with the same first four digits
    w = world(NANYANG)
    ok = w.client.post(PROVIDERS, _provider_body("P-GZ-1", admdvs="440100", district="440106", kind="hospital",
                                                 dedc_hosp_lv="3"), format="json")
    assert ok.status_code == 201, ok.json()
    assert (ok.json()["admdvs"], ok.json()["district"]) == ("440100", "440106")
    wrong_city = w.client.post(PROVIDERS, _provider_body("P-GZ-2", admdvs="440100", district="441602"), format="json")
    province = w.client.post(PROVIDERS, _provider_body("P-GZ-3", admdvs="440000", district="440106"), format="json")
    assert wrong_city.status_code == 400 and "district" in wrong_city.json()
    assert province.status_code == 400 and "admdvs" in province.json()
    assert w.client.get(f"{PROVIDERS}P-GZ-2/").status_code == w.client.get(f"{PROVIDERS}P-GZ-3/").status_code == 404


@pytest.mark.parametrize("parent", ["hospital", "unknown", "other_region"])
def test_a_village_clinic_needs_a_centre_of_its_own_region_as_parent(world, parent):
    w = world(NANCHANG)
    code = {"hospital": lambda: w.provider(level="2", kind="hospital"), "unknown": lambda: "NO-SUCH-CENTRE",
            "other_region": lambda: World(w.client, GANZHOU).provider(kind="township")}[parent]()
    response = w.client.post(PROVIDERS, _provider_body("P-VIL-1", admdvs=NANCHANG, district="360102", kind="village",
                                                       parent_code=code), format="json")
    assert response.status_code == 400 and "parent_code" in response.json(), response.json()
    assert w.client.get(f"{PROVIDERS}P-VIL-1/").status_code == 404


def test_staff_of_one_region_neither_see_nor_touch_another_regions_rows(world):
    from rest_framework.test import APIClient

    from tests.factories import make_staff

    zibo = world(ZIBO)
    clinic, member = zibo.provider(), zibo.member()
    api_client = APIClient()
    api_client.force_authenticate(make_staff(admdvs=NANYANG))          # city-wide in Nanyang only
    assert api_client.get(f"{PROVIDERS}{clinic}/").status_code == 404
    assert api_client.patch(f"{PROVIDERS}{clinic}/", {"status": "suspended"}, format="json").status_code == 404
    assert api_client.get(f"{MEMBERS}{ZIBO}/{member}/").status_code == 404
    assert api_client.patch(f"{MEMBERS}{ZIBO}/{member}/", {"psn_name": "改"}, format="json").status_code == 404
    assert api_client.get(f"{MEMBERS}{ZIBO}/{member}/accumulators/?year=2024").status_code == 404
    assert _count(api_client, MEMBERS, admdvs=ZIBO) == 0 and _count(api_client, PROVIDERS) == 0
    posted = api_client.post(PROVIDERS, _provider_body("P-ZB-X", admdvs=ZIBO, district="370302"), format="json")
    assert posted.status_code == 403
    claim = World(api_client, ZIBO).claim_response(member, clinic, "2024-03-01T10:00:00+08:00")
    # a claim for a member out of scope is answered as for an unknown member (400 on certno): the
    # answer does not tell whether the person is enrolled elsewhere
    assert claim.status_code == 400 and "certno" in claim.json(), claim.json()
    # and nothing changed for Zibo's own staff
    assert zibo.client.get(f"{PROVIDERS}{clinic}/").json()["status"] == "active"
    assert zibo.accumulators(member, 2024)["fund_paid"] == "0.00"


def test_patches_that_break_a_rule_are_refused_on_the_field_and_change_nothing(world):
    w = world(NANCHANG)
    centre = w.provider()
    for patch, field in (({"dedc_hosp_lv": "5"}, "dedc_hosp_lv"), ({"admdvs": GANZHOU}, "admdvs"),
                         ({"kind": "village"}, "parent_code"), ({"district": "360702"}, "district")):
        response = w.client.patch(f"{PROVIDERS}{centre}/", patch, format="json")
        assert response.status_code == 400 and field in response.json(), (patch, response.json())
    read = w.client.get(f"{PROVIDERS}{centre}/").json()
    assert (read["dedc_hosp_lv"], read["admdvs"], read["kind"], read["district"]) == ("1", NANCHANG, "township",
                                                                                    "360102")
    member = w.member()
    refused = w.client.patch(f"{MEMBERS}{NANCHANG}/{member}/", {"insutype": "310"}, format="json")
    assert refused.status_code == 400 and "insutype" in refused.json()
    assert w.client.get(f"{MEMBERS}{NANCHANG}/{member}/").json()["insutype"] == "390"


def test_staff_of_another_region_can_neither_sign_up_a_member_nor_read_the_history(world):
    from rest_framework.test import APIClient

    from tests.factories import make_staff

    nanchang = world(NANCHANG)
    member, a, b = nanchang.member(), nanchang.provider(), nanchang.provider()
    assert nanchang.signup(member, a, applied_on="2024-01-02").status_code == 201
    outsider = APIClient()
    outsider.force_authenticate(make_staff(admdvs=NANYANG))
    response = World(outsider, NANCHANG).signup(member, b, applied_on="2024-03-04", reason="address_change")
    assert response.status_code in (400, 403, 404), response.json()
    assert outsider.get(SIGNUPS, {"admdvs": NANCHANG, "certno": member}).status_code == 404
    history = nanchang.client.get(SIGNUPS, {"admdvs": NANCHANG, "certno": member}).json()
    assert [row["fixmedins_code"] for row in history["results"]] == [a]


# --- Members -------------------------------------------------------------------------------------

def test_the_same_person_may_be_enrolled_in_two_regions_and_is_read_by_region_and_certno(world):
    # (admdvs, certno) is unique, not certno alone (CONTRACT.md "Members"); lower-case x is stored upper
    w = world(NANYANG)
    certno = next(c for c in (make_certno(area="411302", birth=date(1968, 2, 29), sequence=n) for n in range(1000))
                  if c.endswith("X"))
    first = w.client.post(MEMBERS, _member_body(certno.lower()), format="json")
    second = w.client.post(MEMBERS, _member_body(certno.lower(), admdvs=ZIBO, district="370302"), format="json")
    assert first.status_code == second.status_code == 201, (first.json(), second.json())
    assert (first.json()["brdy"], first.json()["certno"][-1]) == ("1968-02-29", "X")
    assert w.client.get(f"{MEMBERS}{ZIBO}/{certno.lower()}/").json()["admdvs"] == ZIBO
    assert w.client.post(MEMBERS, _member_body(certno), format="json").status_code == 400


@pytest.mark.parametrize("first17", ["41130219700230001", "41130220990101001", "41130218500101001"])
def test_a_certno_with_a_valid_check_digit_but_an_impossible_birth_date_is_refused(world, first17):
    # GB 11643: digits 7–14 are the birth date; 30 February, or a date outside any living person's
    from members.certno import check_digit

    w = world(NANYANG)
    response = w.client.post(MEMBERS, _member_body(first17 + check_digit(first17)), format="json")
    assert response.status_code == 400 and "certno" in response.json(), response.json()


@pytest.mark.parametrize("admdvs, district, insutype, psn_type, ok", [
    (NANYANG, "411302", "310", "1103", True),      # flexible worker 灵活就业
    (NANCHANG, "360102", "390", "1401", True),
    (NANCHANG, "360102", "390", "1601", True),
    (NANCHANG, "360102", "390", "1101", False),    # employed code in the resident scheme
    (NANCHANG, "360102", "310", "1101", False),    # not the region's scheme
    (HEYUAN, "441602", "390", "1501", False),
])
def test_psn_type_and_insutype_must_match_the_regions_scheme(world, admdvs, district, insutype, psn_type, ok):
    w = world(NANYANG)
    certno = make_certno(area="360102", birth=date(1980, 1, 1), sequence=77)
    response = w.client.post(MEMBERS, _member_body(certno, admdvs=admdvs, district=district, insutype=insutype,
                                                   psn_type=psn_type, contribution_base=None), format="json")
    if ok:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 400 and {"insutype", "psn_type"} & set(response.json()), response.json()
        assert w.client.get(f"{MEMBERS}{admdvs}/{certno}/").status_code == 404


def test_inpatient_only_is_an_employee_option_and_amounts_are_2_decimal_strings(world):
    w = world(NANCHANG)
    resident = make_certno(area="360102", birth=date(1990, 1, 1), sequence=5)
    refused = w.client.post(MEMBERS, _member_body(resident, admdvs=NANCHANG, district="360102", insutype="390",
                                                  psn_type="1501", contribution_base=None, inpatient_only=True),
                            format="json")
    assert refused.status_code == 400 and "inpatient_only" in refused.json()
    employee = make_certno(area="360702", birth=date(1975, 1, 1), sequence=6)
    made = w.client.post(MEMBERS, _member_body(employee, admdvs=GANZHOU, district="360702", contribution_base=4321,
                                               inpatient_only=True), format="json")
    assert made.status_code == 201, made.json()
    assert (made.json()["contribution_base"], made.json()["inpatient_only"]) == ("4321.00", True)


# --- Sign-ups ------------------------------------------------------------------------------------

@pytest.mark.parametrize("admdvs, kind, level, allowed", [
    (NANCHANG, "eldercare", "1", True),
    (NANCHANG, "community", "1", True),
    (NANCHANG, "hospital", "2", False),     # Nanchang: township, community or eldercare clinic only
    (NANCHANG, "county_tcm", "2", False),   # reached by referral, not signed with
    (HEYUAN, "hospital", "3", True),        # Heyuan: any level
    (HEYUAN, "pharmacy", "1", False),
])
def test_which_providers_a_member_may_sign_up_with(world, admdvs, kind, level, allowed):
    w = world(admdvs)
    member, provider = w.member(), w.provider(level=level, kind=kind)
    response = w.signup(member, provider, applied_on="2024-03-04")
    if allowed:
        assert response.status_code == 201 and response.json()["effective_from"] == "2024-03-04", response.json()
    else:
        assert response.status_code == 400 and "fixmedins_code" in response.json(), response.json()
        assert w.client.get(SIGNUPS, {"admdvs": admdvs, "certno": member}).json()["count"] == 0


@pytest.mark.parametrize("admdvs", [NANCHANG, HEYUAN])
def test_refused_requests_say_why_and_leave_the_history_alone(world, admdvs):
    w = world(admdvs)
    member, a, b = w.member(), w.provider(), w.provider()
    # a provider of another region, a suspended provider, and a reason that does not apply yet
    other = World(w.client, NANYANG if admdvs == NANCHANG else ZIBO).provider()
    assert "fixmedins_code" in w.signup(member, other, applied_on="2024-01-02").json()
    suspended = w.provider(status="suspended")
    assert "fixmedins_code" in w.signup(member, suspended, applied_on="2024-01-02").json()
    for reason in ("address_change", "provider_suspended", "annual"):
        assert "reason" in w.signup(member, a, applied_on="2024-10-08", reason=reason).json()
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    # a second `first`, and `provider_suspended` while A is active, are refused with the reason
    assert "reason" in w.signup(member, b, applied_on="2024-02-01").json()
    assert "reason" in w.signup(member, b, applied_on="2024-02-01", reason="provider_suspended").json()
    history = w.client.get(SIGNUPS, {"admdvs": admdvs, "certno": member}).json()
    assert [(row["fixmedins_code"], row["reason"]) for row in history["results"]] == [(a, "first")]


@pytest.mark.parametrize("admdvs", [NANCHANG, HEYUAN])
def test_requests_made_on_31_december_take_effect_on_1_january(world, admdvs):
    # annual in the window → 1 January next; address_change → the 1st of the next month, also 1 January
    w = world(admdvs)
    one, two = w.member(), w.member()
    a, b = w.provider(), w.provider()
    for member in (one, two):
        assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    annual = w.signup(one, b, applied_on="2024-12-31", reason="annual")
    moved = w.signup(two, b, applied_on="2024-12-31", reason="address_change")
    assert annual.json()["effective_from"] == moved.json()["effective_from"] == "2025-01-01"
    # then on 31 December both are still covered at A only, on 1 January at B only
    for member in (one, two):
        assert w.claim(member, a, "2024-12-31T20:00:00+08:00", "10.00")["status"] == "settled"
        assert w.claim(member, b, "2024-12-31T21:00:00+08:00", "10.00")["reason"] == "not_signed_provider"
        assert w.claim(member, b, "2025-01-01T08:00:00+08:00", "10.00")["status"] == "settled"
        assert w.claim(member, a, "2025-01-01T09:00:00+08:00", "10.00")["reason"] == "not_signed_provider"


def test_a_family_doctor_agreement_is_refused_where_the_region_has_none(world):
    w = world(HEYUAN)
    member, clinic = w.member(), w.provider()
    response = w.signup(member, clinic, applied_on="2024-03-04", family_doctor=True)
    assert response.status_code == 400 and "family_doctor" in response.json()
