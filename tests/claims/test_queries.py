"""The hot path stays a fixed handful of statements (no N+1, one insert, one update)."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.services import claim_settle
from tests.claims.helpers import body, request_for
from tests.factories import make_member, make_provider, make_signup

pytestmark = pytest.mark.django_db


def statements(captured) -> list[str]:
    """The statements' verbs, savepoints left out."""
    return [q["sql"].split()[0].upper() for q in captured
            if "SAVEPOINT" not in q["sql"].upper()]


def test_settle_is_one_read_then_insert_update(city_admin):
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00"), by=city_admin)
    with CaptureQueriesContext(connection) as captured:
        claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-02T10:00",
                                         inscp="900.00"), by=city_admin)
    # member with its locked accumulator row (one statement), provider; the record; the accumulator
    # (nothing of supervision's: its tallies find the claim by its transaction's id, supervision/tallies.py)
    assert statements(captured) == ["SELECT", "SELECT", "INSERT", "UPDATE"]
    (update,) = [q["sql"] for q in captured if q["sql"].lstrip().startswith("UPDATE")]
    assert " ".join(update.split()).startswith("UPDATE claims_accumulator")


def test_first_claim_of_the_year_looks_up_creates_and_locks(city_admin):
    # given the region's parameters already read once (they are cached per process)
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    claim_settle(request=request_for(member=make_member(admdvs="370300"), provider=provider,
                                     visit_at="2024-03-01T10:00"), by=city_admin)
    member = make_member(admdvs="370300")
    with CaptureQueriesContext(connection) as captured:
        claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00"),
                     by=city_admin)
    # member with its row (none found); the member; the row created, locked; provider; record; the row
    assert statements(captured) == ["SELECT", "SELECT", "INSERT", "SELECT", "SELECT", "INSERT", "UPDATE"]


def test_signup_regions_read_the_history_in_one_statement(city_admin):
    member = make_member(admdvs="441600")
    provider = make_provider(admdvs="441600", level="2", kind="hospital")
    make_signup(member=member, provider=provider, effective_from=date(2024, 1, 1))
    claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-01T10:00"), by=city_admin)
    with CaptureQueriesContext(connection) as captured:
        claim_settle(request=request_for(member=member, provider=provider, visit_at="2024-03-02T10:00"),
                     by=city_admin)
    # member with its locked row, sign-up history with providers, provider; record; the row
    assert statements(captured) == ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"]


def test_list_endpoint_has_no_n_plus_one(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get("/api/v1/claims/").status_code == 200
        return len(captured)

    api_client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at="2024-03-01T10:00"),
                    format="json")
    one = list_queries()
    for day in range(2, 8):
        api_client.post("/api/v1/claims/", body(member=member, provider=provider,
                                                visit_at=f"2024-03-{day:02d}T10:00"), format="json")
    assert list_queries() == one
