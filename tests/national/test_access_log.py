"""The national messages that read or write a person's data are in the personal-data access log
(个人信息保护法, staff.AccessLog), as the REST reads of personal data are."""
from decimal import Decimal

from staff.models import AccessLog
from tests.national.conftest import clinic_world

NANYANG = "411300"


def test_each_message_naming_a_person_is_logged_with_the_member(db, api_client):
    # given a signed-in Nanyang clinic (9001 names no one: nothing logged)
    clinic, member = clinic_world(api_client, NANYANG)
    assert not AccessLog.objects.exists()
    # when it runs a visit through 1101, 2201, 2203, 2204, then 2206, 2207, a replay of 2207, 2208, 3201
    visit = clinic.visit_until_fees(member, amount=Decimal("100.00"))
    common = dict(psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
                  medfee=Decimal("100.00"))
    assert clinic.send(clinic.envelope("2206", {"data": clinic.data_2206(**common)}, insuplc=NANYANG))["infcode"] == 0
    settlement = clinic.envelope("2207", {"data": clinic.data_2207(**common, inscp=Decimal("100.00"))}, insuplc=NANYANG)
    settled = clinic.send(settlement)
    assert clinic.send(settlement) == settled
    setl_id = settled["output"]["setlinfo"]["setl_id"]
    assert clinic.send(clinic.envelope("2208", {"data": clinic.data_2208(
        setl_id=setl_id, mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"])}, insuplc=NANYANG))["infcode"] == 0
    assert clinic.send(clinic.envelope("3201", {"data": clinic.data_3201(
        insutype=member.insutype, setl_optins=NANYANG, day="2024-03-04", medfee=Decimal(0), fund=Decimal(0),
        acct=Decimal(0), count=0)}))["infcode"] == 0
    # and a message refused (a psn_no that is not the visit's) — it answers nothing of anyone
    stranger = {**clinic.data_2206(**common), "psn_no": "4113000000000000"}
    refused = clinic.send(clinic.envelope("2206", {"data": stranger}, insuplc=NANYANG))
    assert refused["infcode"] == -1
    # then one entry per answered message, in order, by the clinic's account, naming the member
    entries = list(AccessLog.objects.order_by("id").values_list("user_id", "action", "what", "object_ids", "path"))
    infnos = [path.split("infno=")[1].split()[0] for *_, path in entries]
    assert infnos == ["1101", "2201", "2203", "2204", "2206", "2207", "2207", "2208", "3201"]
    assert {user for user, *_ in entries} == {clinic_user_id(clinic)}
    by_infno = dict(zip(infnos, entries))
    assert by_infno["1101"][1:4] == ("view", "members.Member", [str(member.pk)])
    assert by_infno["2204"][1:4] == ("view", "national.Visit", [str(member.pk)])
    assert entries[5][1:4] == ("view", "claims.Claim", [str(member.pk)])
    assert entries[6][4].endswith("(replay)")  # the first answer given again discloses it again
    assert by_infno["3201"][1:3] == ("list", "claims.Claim")


def clinic_user_id(clinic) -> int:
    from rest_framework.authtoken.models import Token

    return Token.objects.get(key=clinic.token).user_id


def test_the_entry_written_with_the_answer_is_the_one_access_log_writes(db):
    # given a user, and the entry both ways: access_log's own INSERT, and the statement the national
    # door sends inside the answer's record (staff.audit access_log_insert_sql)
    from django.db import connection

    from staff.audit import ACCESS_LOG_COLUMNS, access_log, access_log_insert_sql
    from tests.factories import make_staff

    user = make_staff()
    entry = dict(user=user, action="view", what="claims.Claim", object_ids=[7, 8], count=None,
                 path="/api/national/ infno=2207 msgid=X")
    access_log(**entry)
    sql, params = access_log_insert_sql(**entry)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    # then the two rows are the same, but for their ids and times
    fields = [f.name for f in AccessLog._meta.concrete_fields if f.name not in ("id", "at")]
    first, second = AccessLog.objects.order_by("id").values(*fields, "at")
    assert {k: v for k, v in first.items() if k != "at"} == {k: v for k, v in second.items() if k != "at"}
    assert second["at"] >= first["at"]
    assert first["object_ids"] == ["7", "8"] and first["count"] == 2
    # and every column of the model is in that statement (a new one must be added there too)
    assert set(ACCESS_LOG_COLUMNS) == {f.name for f in AccessLog._meta.concrete_fields if not f.primary_key}


def test_the_answer_is_the_envelope_whatever_the_client_accepts(db, api_client):
    # given a signed-in clinic whose client asks for HTML (national/views.py AnswerOnly)
    clinic, member = clinic_world(api_client, NANYANG)
    message = clinic.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": member.certno,
                                                 "psn_cert_type": "01", "certno": member.certno}})
    # when it sends a message
    response = api_client.post("/api/national/", message, format="json", HTTP_ACCEPT="text/html",
                               HTTP_AUTHORIZATION=f"Token {clinic.token}")
    # then it gets the national answer envelope as JSON (DRF's negotiation answered 406)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["infcode"] == 0 and response.json()["output"]["baseinfo"]["certno"] == member.certno
