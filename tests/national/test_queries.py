"""What one 2207 settlement costs the database: the claims engine's statements plus a fixed few of
the interface's own, whatever the member (no query per fee detail or per field), against a REST
claim of the same visit and lines."""
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from rest_framework.authtoken.models import Token

from tests.factories import make_member, make_staff
from tests.national.client import OMEPRAZOLE
from tests.national.conftest import clinic_world

DRUG = ("药", "01", "09")  # the optional catalogue extension: as the REST claim's lines below


def test_a_settlement_is_a_fixed_number_of_statements(db, api_client):
    # given a member already settled once this year (their accumulator row exists), a visit of 3 fee
    # lines with the catalogue extension (the claim's items, as the REST claim's)
    clinic, member = clinic_world(api_client, "411300")
    for lines in (1, 3):
        visit = clinic.visit_until_fees(member, amount=Decimal("10.00"), catalogue=OMEPRAZOLE)
        if lines == 3:
            more = [clinic.feedetail_2204(mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"], batch=visit["batch"],
                                          sn=str(n), code="XB01", amount=Decimal("5.00"), catalogue=DRUG)
                    for n in (2, 3)]
            assert clinic.send(clinic.envelope("2204", {"feedetail": more}, insuplc="411300"))["infcode"] == 0
        total = Decimal("20.00") if lines == 3 else Decimal("10.00")  # 10.00 + 2 × 5.00
        message = clinic.envelope("2207", {"data": clinic.data_2207(
            psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
            medfee=total, inscp=total)}, insuplc="411300")
        # when it settles
        with CaptureQueriesContext(connection) as queries:
            assert clinic.send(message)["infcode"] == 0
    # then: token+account+provider's centre with the replay check, sign-in, visit, member and fee
    # details (one statement: the visit read rides on the token's, read before the transaction); the
    # engine's (accumulator lock, claim, its items, the accumulator: the member and the provider are
    # not read again, the door read them with the visit and the token (claims/store.py LedgerKnown);
    # supervision counts the claim later, by its transaction's id; parameters cached; registrations
    # only for an out-of-area or Nanchang visit) inside the message's transaction without a
    # savepoint of its own; link+answer+access log (one statement); and the transaction's 2 (here
    # the test's savepoint, in production BEGIN / COMMIT)
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 8, "\n".join(s[:100] for s in statements)

    # when a REST claim of another member with the same three lines is settled
    other = make_member(admdvs="411300")
    token = Token.objects.create(user=make_staff(all_regions=True, superuser=True))
    body = {"admdvs": "411300", "certno": other.certno, "fixmedins_code": clinic.provider.fixmedins_code,
            "visit_at": "2024-03-04T09:30:00+08:00", "medfee_sumamt": "20.00", "inscp_scp_amt": "20.00",
            "fee_details": [{"code": "XB01", "name": "药", "category": "drug", "chrgitm_lv": "01", "amount": a}
                            for a in ("10.00", "5.00", "5.00")]}
    api_client.post("/api/v1/claims/", {**body, "visit_at": "2024-03-01T09:30:00+08:00"}, format="json",
                    HTTP_AUTHORIZATION=f"Token {token.key}")  # the member's accumulator row exists, as above
    with CaptureQueriesContext(connection) as rest:
        assert api_client.post("/api/v1/claims/", body, format="json",
                               HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 201
    # then the national door costs as many statements as the REST door: its visit read rides on the
    # token's and spares the engine's provider read and its member read, which on the REST door rides
    # on the accumulator lock (claims/store.py ``_members_locked``) (-2), and the link goes with the
    # answer and the access log (+1); the transaction is the same
    rest_statements = [q["sql"] for q in rest.captured_queries]
    assert len(statements) == len(rest_statements), "\n".join(s[:100] for s in rest_statements)
