"""What one 2207 settlement costs the database: the claims engine's statements plus a fixed few of
the interface's own, whatever the member (no query per fee detail or per field)."""
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.national.conftest import clinic_world


def test_a_settlement_is_a_fixed_number_of_statements(db, api_client):
    # given a member already settled once this year (their accumulator row exists), a visit of 3 fee lines
    clinic, member = clinic_world(api_client, "411300")
    for lines in (1, 3):
        visit = clinic.visit_until_fees(member, amount=Decimal("10.00"))
        if lines == 3:
            more = [clinic.feedetail_2204(mdtrt_id=visit["mdtrt_id"], psn_no=visit["psn_no"], batch=visit["batch"],
                                          sn=str(n), code="XB01", amount=Decimal("5.00")) for n in (2, 3)]
            assert clinic.send(clinic.envelope("2204", {"feedetail": more}, insuplc="411300"))["infcode"] == 0
        total = Decimal("20.00") if lines == 3 else Decimal("10.00")  # 10.00 + 2 × 5.00
        message = clinic.envelope("2207", {"data": clinic.data_2207(
            psn_no=visit["psn_no"], member=member, mdtrt_id=visit["mdtrt_id"], batch=visit["batch"],
            medfee=total, inscp=total)}, insuplc="411300")
        # when it settles
        with CaptureQueriesContext(connection) as queries:
            assert clinic.send(message)["infcode"] == 0
    # then: token+account, replay+sign-in, visit, fee details, link, answer (6 of the interface), the
    # engine's (members, accumulator lock, providers, claim, accumulator, supervision tallies;
    # parameters cached; registrations only for an out-of-area or Nanchang visit), 2
    # savepoint statements each for the message and the engine, and the audit middleware's role check
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 17, "\n".join(s[:100] for s in statements)
