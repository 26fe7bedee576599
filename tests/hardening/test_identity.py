"""Findings 1 and 10: one person, one record (one normalisation of certnos and codes on every path),
and the lax inputs (enrolment in 9999, leaving before birth, a name of zero-width spaces, ``2_0.00``)."""
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.parsing import ParseError, code_normalise, money_parse
from members.certno import make_certno
from members.models import Member
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db
CERTNO = make_certno(area="360102", birth=date(1980, 1, 1), sequence=11)
FULL_WIDTH = CERTNO.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"})   # ３６０１…
ARABIC_INDIC = CERTNO[:-1].translate({ord(str(d)): 0x0660 + d for d in range(10)}) + CERTNO[-1]


def member_body(certno: str, **extra) -> dict:
    return {"certno": certno, "psn_name": "李四", "admdvs": "360100", "insutype": "390", "psn_type": "1501",
            "district": "360102", "enrolled_on": "2020-01-01", **extra}


@pytest.fixture
def admin_client(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    return api_client


def test_a_full_width_certno_is_the_same_person_as_the_ascii_one(admin_client):
    # given a member registered with ASCII digits
    assert admin_client.post("/api/v1/members/", member_body(CERTNO), format="json").status_code == 201
    # when the same person is registered again with full-width digits (an IME's), or Arabic-Indic ones
    again = admin_client.post("/api/v1/members/", member_body(FULL_WIDTH), format="json")
    arabic = admin_client.post("/api/v1/members/", member_body(ARABIC_INDIC), format="json")
    # then both are refused and there is still one record, stored in ASCII
    assert again.status_code == 400 and "certno" in again.json()
    assert arabic.status_code == 400 and "certno" in arabic.json()
    assert list(Member.objects.values_list("certno", flat=True)) == [CERTNO]


def test_a_full_width_certno_finds_the_member_everywhere(admin_client):
    # given a member
    member = make_member(certno=CERTNO, admdvs="360100")
    provider = make_provider(admdvs="360100")
    # when a claim, a lookup and a filter use the full-width spelling
    claim = admin_client.post("/api/v1/claims/", {
        "certno": FULL_WIDTH, "admdvs": "３６０１００", "fixmedins_code": provider.fixmedins_code,
        "visit_at": "2024-03-01T10:00:00+08:00", "medfee_sumamt": "10.00", "inscp_scp_amt": "10.00"}, format="json")
    detail = admin_client.get(f"/api/v1/members/360100/{FULL_WIDTH}/")
    listed = admin_client.get("/api/v1/members/", {"certno": FULL_WIDTH})
    # then each one reaches the same record
    assert claim.status_code == 201, claim.content
    assert claim.json()["certno"] == CERTNO
    assert detail.status_code == 200 and detail.json()["certno"] == member.certno
    assert [m["certno"] for m in listed.json()["results"]] == [CERTNO]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=24) | st.sampled_from([FULL_WIDTH, ARABIC_INDIC, " " + CERTNO.lower() + "\u200b",
                                                 CERTNO[:-1] + "ｘ", "\ufeff" + CERTNO]))
def test_any_unicode_certno_is_refused_or_is_the_same_record(admin_client, raw):
    # given one registered member (each example starts from that one record)
    Member.objects.filter(certno=CERTNO).exists() or make_member(certno=CERTNO, admdvs="360100")
    # when any text is posted as a new member's certno
    response = admin_client.post("/api/v1/members/", member_body(raw), format="json")
    # then it is refused, or it was a valid certno of another person, stored as ASCII digits (and X)
    assert response.status_code in (201, 400), response.content
    stored = set(Member.objects.values_list("certno", flat=True))
    assert all(c.isascii() and c[:17].isdigit() and len(c) == 18 for c in stored)
    if response.status_code == 201:
        assert code_normalise(raw) in stored and code_normalise(raw) != CERTNO
        Member.objects.filter(certno=code_normalise(raw)).delete()
    assert Member.objects.filter(certno=CERTNO).count() == 1


@pytest.mark.parametrize("field, value", [
    ("enrolled_on", "9999-12-31"), ("enrolled_on", "0001-01-01"), ("psn_name", "\u200b\u200b\u200b"),
    ("contribution_base", "2_0.00"), ("contribution_base", "1e400"), ("contribution_base", "9" * 200),
    ("contribution_base", "12.345"), ("psn_type", "１５０１x"), ("district", "٣٦٠١٠٢"),
])
def test_lax_inputs_are_refused_with_the_field(admin_client, field, value):
    # when a member is registered with one bad value
    response = admin_client.post("/api/v1/members/", member_body(CERTNO, **{field: value}), format="json")
    # then 400 naming that field, nothing written
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Member.objects.exists()


def test_leaving_before_birth_or_enrolment_is_refused(admin_client):
    # given a member born 1980-01-01, enrolled 2015-01-01
    make_member(certno=CERTNO, admdvs="360100", enrolled_on=date(2015, 1, 1))
    url = f"/api/v1/members/360100/{CERTNO}/"
    # when the leaving date is before birth, then before enrolment
    before_birth = admin_client.patch(url, {"status": "left", "left_on": "1970-01-01"}, format="json")
    before_enrolment = admin_client.patch(url, {"status": "left", "left_on": "2010-01-01"}, format="json")
    # then both are refused on left_on and the member is unchanged
    assert before_birth.status_code == 400 and "left_on" in before_birth.json()
    assert before_enrolment.status_code == 400 and "left_on" in before_enrolment.json()
    assert Member.objects.get().status == "active"


@pytest.mark.parametrize("text, expected", [
    ("12", "12.00"), ("12.5", "12.50"), ("１２.５０", "12.50"), (" 0.01 ", "0.01"),
])
def test_the_money_parser_reads_plain_amounts(text, expected):
    assert str(money_parse(text)) == expected


@pytest.mark.parametrize("text", ["2_0.00", "1e2", "1E400", "NaN", "Infinity", "+5", "1,000", "0x10", "12.345",
                                  "9" * 200, "-1", "", "1.2.3", "٣"])
def test_the_money_parser_refuses_everything_else(text):
    with pytest.raises(ParseError):
        money_parse(text)
