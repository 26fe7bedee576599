"""Supervision's tallies counted off the claim's path by a watermark of transaction ids (issue 24,
``supervision.tallies``): the claims writer writes nothing of supervision's; a catch-up counts what it
sees above the watermark, once, including a claim whose transaction took its id before claims that
committed earlier; a month read in its own snapshot counts everything it sees, and a claim another
connection writes meanwhile neither waits for it nor slips into its figures. Committed transactions
on two connections, as a server runs them."""
import io
import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from claims.models import Claim
from claims.services import claim_settle, claims_settle_batch
from supervision import sql
from supervision.models import MemberDayTally, ProviderMonthTally, TalliedClaimAhead, TallyWatermark, VisitsPerDayTally
from supervision.tallies import month_aggregates, tallies_catch_up
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider
from tests.supervision import month_statement_reference as reference

# committed rows: the month's snapshot and the other connection must see them as a server would
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ZIBO, MARCH = "370300", date(2024, 3, 1)


def _march(max_per_day: int = 1) -> tuple:
    """(visits, distinct members, repeat-visit days over ``max_per_day``) of the provider's March."""
    (row,) = month_aggregates(admdvs=ZIBO, month=MARCH, max_per_day=max_per_day, itemised=True)
    return row[1], row[9], row[10]


def _tally_rows() -> tuple[set, set, set]:
    return (set(MemberDayTally.objects.exclude(visits=0).values_list()),
            set(VisitsPerDayTally.objects.exclude(member_days=0).values_list()),
            set(ProviderMonthTally.objects.exclude(visits=0).values_list()))


def _on_another_connection(work, errors: list) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_given_new_claims_when_the_month_is_read_in_its_snapshot_then_counted_and_a_later_claim_waits():
    # Given Zibo provider p and m1 visiting it twice on 03-01, settled (committed) by the claims writer
    member_1, member_2 = make_member(admdvs=ZIBO), make_member(admdvs=ZIBO)
    provider = make_provider(admdvs=ZIBO, level="2", kind="hospital")
    claims_settle_batch(requests=[request_for(member=member_1, provider=provider, visit_at="2024-03-01T09:00"),
                                  request_for(member=member_1, provider=provider, visit_at="2024-03-01T15:00")],
                        by=None)
    assert not ProviderMonthTally.objects.exists()   # the writer counted nothing itself
    errors: list = []

    # When the month is read in its snapshot, and m2's visit is settled meanwhile on another connection
    with sql.month_snapshot():
        other = _on_another_connection(lambda: claim_settle(
            request=request_for(member=member_2, provider=provider, visit_at="2024-03-02T10:00"), by=None), errors)
        other.join(timeout=30)
        assert not other.is_alive() and not errors   # the writer did not wait for the month's lock
        # Then the snapshot's figures: 2 visits, 1 member, one (member, day) group over 1 visit
        assert _march() == (2, 1, 1)
    # And m2's visit is counted by the next read: 3 visits, 2 members, still 1 day; over 0: both groups
    assert _march() == (3, 2, 1)
    assert _march(max_per_day=0) == (3, 2, 2)
    assert tallies_catch_up() == 0


def test_given_a_transaction_that_took_its_id_before_a_later_claim_when_it_commits_last_then_counted_once():
    # Given transaction A on another connection, which takes its id (a) and then waits, and member m2's
    # visit settled and committed on this connection after that (its id b > a)
    member_a, member_b = make_member(admdvs=ZIBO), make_member(admdvs=ZIBO)
    provider = make_provider(admdvs=ZIBO, level="2", kind="hospital")
    has_id, go_on = threading.Event(), threading.Event()
    xid_a: list[int] = []
    errors: list = []

    def transaction_a() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()::text::bigint")
                xid_a.append(cursor.fetchone()[0])
            has_id.set()
            assert go_on.wait(timeout=30)
            claim_settle(request=request_for(member=member_a, provider=provider, visit_at="2024-03-01T09:00"),
                         by=None)

    other = _on_another_connection(transaction_a, errors)
    assert has_id.wait(timeout=30)
    try:
        claim_b, _ = claim_settle(request=request_for(member=member_b, provider=provider,
                                                      visit_at="2024-03-02T10:00"), by=None)
        # When a catch-up runs while A is open
        assert tallies_catch_up() == 1
    finally:
        go_on.set()   # A settles its visit and commits, after b, below what the catch-up saw
        other.join(timeout=30)
    assert not other.is_alive() and not errors
    claim_a = Claim.objects.get(member=member_a)
    claim_b.refresh_from_db()
    assert claim_a.written_xid == xid_a[0] < claim_b.written_xid
    # Then the watermark stayed at or below a (A was running: the catch-up's xmin), b is listed as
    # counted ahead of it, and the next catch-up counts A's claim, once
    assert TallyWatermark.objects.get().counted_below <= xid_a[0]
    assert list(TalliedClaimAhead.objects.values_list("claim_id", flat=True)) == [claim_b.pk]
    assert tallies_catch_up() == 1
    assert tallies_catch_up() == 0
    # 2 visits, 2 members, no (member, day) group over 1 visit: each claim counted exactly once
    assert _march() == (2, 2, 0)
    assert sorted(month_aggregates(admdvs=ZIBO, month=MARCH, max_per_day=0, itemised=True)) == sorted(
        reference.month_aggregates(admdvs=ZIBO, month=MARCH, max_per_day=0, itemised=True))
    # And the tallies are those a rebuild from scratch gives; after it, a catch-up counts nothing again
    counted_in = _tally_rows()
    call_command("supervision_tallies_rebuild", stdout=io.StringIO())
    assert _tally_rows() == counted_in
    assert tallies_catch_up() == 0
    assert _march() == (2, 2, 0)
    # and, A having ended, the next catch-up's watermark is above both claims: the list empties
    claim_settle(request=request_for(member=member_b, provider=provider, visit_at="2024-03-03T10:00"), by=None)
    assert tallies_catch_up() == 1
    assert TallyWatermark.objects.get().counted_below > claim_b.written_xid
    assert not TalliedClaimAhead.objects.filter(claim_id__in=[claim_a.pk, claim_b.pk]).exists()
    assert _march() == (3, 2, 0)
