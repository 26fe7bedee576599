"""CONTRACT.md read to the letter for "General rules", "Providers", "Members" and "Sign-ups": every
field the tables list, its type and format, the defaults, each error the contract names (400 on the
field, 404 for an unknown object), "a request that is refused changes nothing" (row counts before and
after), authentication (session and ``Token``, staff only) and the district scope, all from outside.

The scope's answers are the code's documented choice (members/views.py, claims/selectors.py,
budgets/README.md "Scope"): an object outside the caller's scope is not visible, answered as unknown
(404); a write into a region or district outside it is a 403."""
import re
from datetime import date

import pytest
from rest_framework.test import APIClient

from members.certno import make_certno
from tests.contract.world import GANZHOU, NANCHANG, NANYANG, ZIBO, paid
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
PROVIDERS, MEMBERS, SIGNUPS = "/api/v1/providers/", "/api/v1/members/", "/api/v1/signups/"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SHANGHAI_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$")
PROVIDER_FIELDS = {"fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind", "parent_code",
                   "status"}
MEMBER_FIELDS = {"certno", "psn_name", "admdvs", "insutype", "psn_type", "retired_on", "contribution_base", "poverty",
                 "inpatient_only", "district", "enrolled_on", "brdy", "gend"}
SIGNUP_FIELDS = {"certno", "admdvs", "fixmedins_code", "applied_on", "reason", "family_doctor", "effective_from"}


def _provider(code: str, **overrides) -> dict:
    return {"fixmedins_code": code, "fixmedins_name": f"机构{code}", "admdvs": NANYANG, "district": "411302",
            "dedc_hosp_lv": "1", "kind": "township", "parent_code": None, "status": "active", **overrides}


def _member(certno: str, **overrides) -> dict:
    return {"certno": certno, "psn_name": "王五", "admdvs": NANYANG, "insutype": "310", "psn_type": "1101",
            "retired_on": None, "contribution_base": "5000.00", "district": "411302", "enrolled_on": "2015-01-01",
            **overrides}


def _counts(client) -> tuple[int, int]:
    """(providers, members) a city-wide user sees: what a refusal must leave as it was."""
    return client.get(PROVIDERS).json()["count"], client.get(MEMBERS).json()["count"]


# --- Providers -----------------------------------------------------------------------------------

def test_a_provider_answers_every_field_of_the_table_as_strings_and_reads_back_by_its_code(world):
    # given a provider posted with the table's fields
    w = world(NANYANG)
    created = w.client.post(PROVIDERS, _provider("PL-1", dedc_hosp_lv="9"), format="json")
    # then 201 with every field of the table, the level kept as "9" and codes as strings
    assert created.status_code == 201, created.json()
    body = created.json()
    assert PROVIDER_FIELDS <= set(body)
    assert {k: body[k] for k in PROVIDER_FIELDS} == {
        "fixmedins_code": "PL-1", "fixmedins_name": "机构PL-1", "admdvs": NANYANG, "district": "411302",
        "dedc_hosp_lv": "9", "kind": "township", "parent_code": None, "status": "active"}
    # and GET and PATCH are on /providers/{fixmedins_code}/
    assert w.client.get(f"{PROVIDERS}PL-1/").json() == body
    patched = w.client.patch(f"{PROVIDERS}PL-1/", {"fixmedins_name": "新名"}, format="json")
    assert patched.status_code == 200 and patched.json()["fixmedins_name"] == "新名"


@pytest.mark.parametrize("field, value", [("dedc_hosp_lv", "4"), ("kind", "clinic"), ("status", "closed"),
                                          ("district", "4113"), ("admdvs", "ABCDEF"), ("fixmedins_name", "")])
def test_a_provider_with_a_bad_value_is_a_400_naming_the_field_and_writes_nothing(world, field, value):
    w = world(NANYANG)
    before = _counts(w.client)
    response = w.client.post(PROVIDERS, _provider("PL-BAD", **{field: value}), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert _counts(w.client) == before
    assert w.client.get(f"{PROVIDERS}PL-BAD/").status_code == 404


@pytest.mark.parametrize("field", sorted(PROVIDER_FIELDS - {"parent_code", "status"}))
def test_a_provider_without_a_required_field_is_a_400_naming_it(world, field):
    w = world(NANYANG)
    body = _provider("PL-MISS")
    del body[field]
    response = w.client.post(PROVIDERS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_status_defaults_to_active_and_unknown_providers_are_404(world):
    w = world(NANYANG)
    body = _provider("PL-DEF")
    del body["status"], body["parent_code"]
    created = w.client.post(PROVIDERS, body, format="json")
    assert created.status_code == 201 and (created.json()["status"], created.json()["parent_code"]) == (
        "active", None)
    assert w.client.get(f"{PROVIDERS}NO-SUCH/").status_code == 404
    assert w.client.patch(f"{PROVIDERS}NO-SUCH/", {"status": "suspended"}, format="json").status_code == 404


def test_ganzhou_unrated_level_9_is_treated_as_level_1(world):
    # given an L1 and an L9 clinic in Ganzhou (L1: 60%, annual deductible 600 shared by both levels)
    w = world(GANZHOU)
    one, nine = w.member(), w.member()
    l1, l9 = w.provider(level="1"), w.provider(level="9")
    # then the same visit at each is settled alike: (700 − 600) × 0.60 = 60.00
    assert paid(w.claim(one, l1, "2024-03-01T10:00:00+08:00", "700.00")) == ("600.00", "0.6000", "60.00", None)
    assert paid(w.claim(nine, l9, "2024-03-01T10:00:00+08:00", "700.00")) == ("600.00", "0.6000", "60.00", None)


# --- Members -------------------------------------------------------------------------------------

def test_a_member_answers_every_field_with_dates_money_and_booleans_in_the_contracts_formats(world):
    # given a male employee (17th digit odd) with the money sent as a JSON number and the defaults left out
    w = world(NANYANG)
    certno = make_certno(area="411302", birth=date(1966, 12, 31), sequence=11)
    body = _member(certno, contribution_base=4321.5, retired_on="2024-06-30", psn_type="1201")
    created = w.client.post(MEMBERS, body, format="json")
    # then every field of the table, money a 2-decimal string, dates YYYY-MM-DD, poverty/inpatient_only false
    assert created.status_code == 201, created.json()
    data = created.json()
    assert MEMBER_FIELDS <= set(data)
    assert (data["contribution_base"], data["retired_on"], data["enrolled_on"]) == ("4321.50", "2024-06-30",
                                                                                     "2015-01-01")
    assert (data["poverty"], data["inpatient_only"]) == (False, False)
    # and brdy/gend derived from the certno: born 1966-12-31, gend "1" male
    assert (data["brdy"], data["gend"]) == ("1966-12-31", "1")
    assert all(DATE.match(data[f]) for f in ("brdy", "enrolled_on", "retired_on"))
    # and GET /members/{admdvs}/{certno}/ reads the same
    assert w.client.get(f"{MEMBERS}{NANYANG}/{certno}/").json() == data


def test_a_female_member_is_gend_2_and_a_resident_has_no_contribution_base(world):
    w = world(NANCHANG)
    certno = make_certno(area="360102", birth=date(2001, 2, 3), sequence=12)
    created = w.client.post(MEMBERS, _member(certno, admdvs=NANCHANG, district="360102", insutype="390",
                                             psn_type="1501", contribution_base=None), format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["gend"], created.json()["brdy"], created.json()["contribution_base"]) == (
        "2", "2001-02-03", None)


def test_a_lower_case_x_is_stored_upper_case_and_found_by_either_spelling(world):
    w = world(NANYANG)
    certno = next(c for c in (make_certno(area="411302", birth=date(1980, 1, 1), sequence=n) for n in range(1000))
                  if c.endswith("X"))
    created = w.client.post(MEMBERS, _member(certno.lower()), format="json")
    assert created.status_code == 201 and created.json()["certno"] == certno, created.json()
    assert w.client.get(f"{MEMBERS}{NANYANG}/{certno.lower()}/").json()["certno"] == certno
    patched = w.client.patch(f"{MEMBERS}{NANYANG}/{certno.lower()}/", {"psn_name": "改名"}, format="json")
    assert patched.status_code == 200 and patched.json()["certno"] == certno
    assert w.client.get(MEMBERS, {"certno": certno}).json()["count"] == 1


@pytest.mark.parametrize("field, value", [("brdy", "1966-12-31"), ("gend", "1")])
def test_brdy_and_gend_are_read_only_a_client_sending_them_gets_a_400_on_the_field(world, field, value):
    # (the code's documented choice, members/serializers.py: derived fields are refused, not ignored)
    w = world(NANYANG)
    certno = make_certno(area="411302", birth=date(1970, 1, 1), sequence=21)
    before = _counts(w.client)
    refused = w.client.post(MEMBERS, {**_member(certno), field: value}, format="json")
    assert refused.status_code == 400 and field in refused.json(), refused.json()
    assert _counts(w.client) == before
    # and on PATCH too: the member keeps what the certno says
    assert w.client.post(MEMBERS, _member(certno), format="json").status_code == 201
    patch = w.client.patch(f"{MEMBERS}{NANYANG}/{certno}/", {field: value, "psn_name": "改"}, format="json")
    assert patch.status_code == 400 and field in patch.json()
    read = w.client.get(f"{MEMBERS}{NANYANG}/{certno}/").json()
    assert (read["brdy"], read["gend"], read["psn_name"]) == ("1970-01-01", "1", "王五")


@pytest.mark.parametrize("field, value", [
    ("certno", "411302197001010011"),       # check digit wrong (GB 11643)
    ("certno", "41130219700101001"),        # 17 characters
    ("contribution_base", "12.345"),        # more than 2 decimals
    ("contribution_base", 12.345),          # the same as a JSON number
    ("contribution_base", "-1.00"),
    ("contribution_base", "1e3"),
    ("enrolled_on", "2015/01/01"),          # not YYYY-MM-DD
    ("retired_on", "2024-02-30"),
    ("insutype", "320"),
    ("poverty", "maybe"),
    ("district", "41130"),
    ("psn_name", ""),
])
def test_a_member_with_a_bad_value_is_a_400_naming_the_field_and_writes_nothing(world, field, value):
    w = world(NANYANG)
    certno = make_certno(area="411302", birth=date(1970, 1, 1), sequence=31)
    before = _counts(w.client)
    response = w.client.post(MEMBERS, {**_member(certno), field: value}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert _counts(w.client) == before


def test_a_refused_member_patch_changes_nothing_and_unknown_members_are_404(world):
    w = world(ZIBO)
    member = w.member()
    before = w.client.get(f"{MEMBERS}{ZIBO}/{member}/").json()
    for patch, field in (({"contribution_base": "1.001", "psn_name": "改"}, "contribution_base"),
                         ({"retired_on": "2024-13-01", "poverty": True}, "retired_on")):
        response = w.client.patch(f"{MEMBERS}{ZIBO}/{member}/", patch, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    assert w.client.get(f"{MEMBERS}{ZIBO}/{member}/").json() == before
    # and an unknown member (or a known one under another region) is a 404 on GET, PATCH and accumulators
    for admdvs, certno in ((ZIBO, make_certno(area="370302", birth=date(1970, 1, 1), sequence=999)),
                           (NANYANG, member)):
        assert w.client.get(f"{MEMBERS}{admdvs}/{certno}/").status_code == 404
        assert w.client.patch(f"{MEMBERS}{admdvs}/{certno}/", {"psn_name": "改"}, format="json").status_code == 404
        assert w.client.get(f"{MEMBERS}{admdvs}/{certno}/accumulators/?year=2024").status_code == 404


# --- Sign-ups ------------------------------------------------------------------------------------

def test_a_signup_answers_the_tables_fields_family_doctor_defaults_to_false(world):
    w = world(NANCHANG)
    member, centre = w.member(), w.provider()
    response = w.client.post(SIGNUPS, {"certno": member, "admdvs": NANCHANG, "fixmedins_code": centre,
                                       "applied_on": "2024-03-04", "reason": "first"}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert SIGNUP_FIELDS <= set(data)
    assert {k: data[k] for k in SIGNUP_FIELDS} == {
        "certno": member, "admdvs": NANCHANG, "fixmedins_code": centre, "applied_on": "2024-03-04",
        "reason": "first", "family_doctor": False, "effective_from": "2024-03-04"}
    history = w.client.get(SIGNUPS, {"admdvs": NANCHANG, "certno": member})
    assert history.status_code == 200
    assert [{k: row[k] for k in SIGNUP_FIELDS} for row in history.json()["results"]] == [
        {k: data[k] for k in SIGNUP_FIELDS}]


@pytest.mark.parametrize("change, field", [
    ({"effective_from": "2024-03-04"}, "effective_from"),     # read-only
    ({"reason": "moved"}, "reason"),
    ({"applied_on": "04/03/2024"}, "applied_on"),
    ({"family_doctor": "perhaps"}, "family_doctor"),
    ({"fixmedins_code": "NO-SUCH"}, "fixmedins_code"),
    ({"certno": "360102197005019999"}, "certno"),             # bad check digit / no such member
    ({"admdvs": None}, "admdvs"),
])
def test_a_refused_signup_is_a_400_naming_the_field_and_writes_nothing(world, change, field):
    w = world(NANCHANG)
    member, centre = w.member(), w.provider()
    body = {"certno": member, "admdvs": NANCHANG, "fixmedins_code": centre, "applied_on": "2024-03-04",
            "reason": "first", **change}
    response = w.client.post(SIGNUPS, {k: v for k, v in body.items() if v is not None}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert w.client.get(SIGNUPS, {"admdvs": NANCHANG, "certno": member}).json()["count"] == 0


def test_the_history_of_an_unknown_member_is_404_and_a_query_without_the_member_a_400(world):
    w = world(NANCHANG)
    unknown = make_certno(area="360102", birth=date(1970, 1, 1), sequence=998)
    assert w.client.get(SIGNUPS, {"admdvs": NANCHANG, "certno": unknown}).status_code == 404
    missing = w.client.get(SIGNUPS, {"admdvs": NANCHANG})
    assert missing.status_code == 400 and "certno" in missing.json()


# --- Authentication and scope --------------------------------------------------------------------

def test_session_and_token_authenticate_staff_and_nothing_else_does(world):
    from rest_framework.authtoken.models import Token

    w = world(NANYANG)
    clinic = w.provider()
    staff = make_staff(username="letter-staff", all_regions=True)
    # a Django session (its cookie: force_login, the axes backend wanting the login page's request)
    # and an ``Authorization: Token <key>`` both read and write
    session = APIClient()
    session.force_login(staff)
    assert session.get(f"{PROVIDERS}{clinic}/").status_code == 200
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    assert token.get(f"{PROVIDERS}{clinic}/").status_code == 200
    assert token.post(PROVIDERS, _provider("PL-TOK"), format="json").status_code == 201
    # and nobody else: anonymous, a bad token, a user who is not staff, a staff user who left
    non_staff = make_staff(username="letter-user", all_regions=True)
    non_staff.is_staff = False
    non_staff.save()
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=non_staff).key}")
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    left = make_staff(username="letter-left", all_regions=True)
    left_token = Token.objects.create(user=left).key
    left.is_active = False
    left.save()
    inactive = APIClient()
    inactive.credentials(HTTP_AUTHORIZATION=f"Token {left_token}")
    before = _counts(w.client)
    for client in (APIClient(), wrong, outsider, inactive):
        for path in (PROVIDERS, f"{PROVIDERS}{clinic}/", MEMBERS, "/api/v1/claims/", "/api/v1/settlement-runs/"):
            assert client.get(path).status_code in (401, 403), path
        assert client.post(PROVIDERS, _provider("PL-NO"), format="json").status_code in (401, 403)
    assert _counts(w.client) == before


def test_district_staff_see_their_districts_only_and_objects_outside_are_404_everywhere(world):
    # given a Nanyang member and clinic in 411302 and another pair in 411303, and a staff user of 411302
    w = world(NANYANG)
    inside, here = w.member(), w.provider()
    far_clinic = w.client.post(PROVIDERS, _provider("PL-FAR", district="411303"), format="json").json()
    far_certno = make_certno(area="411303", birth=date(1970, 1, 1), sequence=41)
    assert w.client.post(MEMBERS, _member(far_certno, district="411303"), format="json").status_code == 201
    far_claim = w.claim(far_certno, far_clinic["fixmedins_code"], "2024-03-01T10:00:00+08:00")
    near_claim = w.claim(inside, here, "2024-03-01T10:00:00+08:00")
    local = APIClient()
    local.force_authenticate(make_staff(admdvs=NANYANG, districts=["411302"]))
    # then what is inside is visible
    assert local.get(f"{MEMBERS}{NANYANG}/{inside}/").status_code == 200
    assert local.get(f"/api/v1/claims/{near_claim['setl_id']}/").status_code == 200
    # and what is outside is answered as unknown (404) on every read and on reverse/PATCH
    assert local.get(f"{MEMBERS}{NANYANG}/{far_certno}/").status_code == 404
    assert local.get(f"{MEMBERS}{NANYANG}/{far_certno}/accumulators/?year=2024").status_code == 404
    assert local.patch(f"{MEMBERS}{NANYANG}/{far_certno}/", {"psn_name": "改"}, format="json").status_code == 404
    assert local.get(f"{PROVIDERS}PL-FAR/").status_code == 404
    assert local.get(f"/api/v1/claims/{far_claim['setl_id']}/").status_code == 404
    assert local.post(f"/api/v1/claims/{far_claim['setl_id']}/reverse/").status_code == 404
    assert local.get(SIGNUPS, {"admdvs": NANYANG, "certno": far_certno}).status_code == 404
    listed = {row["setl_id"] for row in local.get("/api/v1/claims/").json()["results"]}
    assert listed == {near_claim["setl_id"]}
    # (certnos masked for staff without ``staff.view_full_certno``: the project's extra rule)
    assert [row["certno"][-4:] for row in local.get(MEMBERS).json()["results"]] == [inside[-4:]]
    # and a write into the district outside is a 403 that writes nothing
    before = _counts(w.client)
    other = make_certno(area="411303", birth=date(1970, 1, 1), sequence=42)
    assert local.post(MEMBERS, _member(other, district="411303"), format="json").status_code == 403
    assert local.post(PROVIDERS, _provider("PL-FAR2", district="411303"), format="json").status_code == 403
    assert local.patch(f"{MEMBERS}{NANYANG}/{inside}/", {"district": "411303"}, format="json").status_code == 403
    assert _counts(w.client) == before
    assert w.client.get(f"{MEMBERS}{NANYANG}/{inside}/").json()["district"] == "411302"
    # and the far claim is not reversed
    assert w.client.get(f"/api/v1/claims/{far_claim['setl_id']}/").json()["reversed_by"] is None


def test_times_are_iso_8601_with_the_shanghai_offset_and_dates_plain(world):
    w = world(NANCHANG)
    member, centre = w.member(), w.provider()
    signup = w.signup(member, centre, applied_on="2024-01-02").json()
    claim = w.claim(member, centre, "2024-02-29T18:30:00Z")       # 02:30 on 1 March in Shanghai
    assert claim["visit_at"] == "2024-03-01T02:30:00+08:00" and claim["visit_date"] == "2024-03-01"
    assert SHANGHAI_TIME.match(claim["created_at"]) and SHANGHAI_TIME.match(signup["created_at"])
    # and a visit time without an offset is read in Asia/Shanghai
    naive = w.claim(member, centre, "2024-03-02T08:00:00")
    assert naive["visit_at"] == "2024-03-02T08:00:00+08:00"
