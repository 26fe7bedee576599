"""Supervision's tallies counted off the claim's path (issue 24): the claims writer only queues its new
claims (``supervision.models.UntalliedClaim``); a month read in its own snapshot counts the queue in
first, under the tallies' lock taken before the snapshot, and a claim another connection writes
meanwhile neither waits for it nor slips into its figures."""
import threading
from datetime import date

import pytest
from django.db import connection

from claims.services import claim_settle, claims_settle_batch
from supervision import sql
from supervision.models import UntalliedClaim
from supervision.tallies import month_aggregates
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider

# committed rows: the month's snapshot and the other connection must see them as a server would
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ZIBO, MARCH = "370300", date(2024, 3, 1)


def _march(max_per_day: int = 1) -> tuple:
    """(visits, distinct members, repeat-visit days over ``max_per_day``) of the provider's March."""
    (row,) = month_aggregates(admdvs=ZIBO, month=MARCH, max_per_day=max_per_day, itemised=True)
    return row[1], row[9], row[10]


def test_given_queued_claims_when_the_month_is_read_in_its_snapshot_then_counted_and_a_later_claim_waits():
    # Given Zibo provider p and m1 visiting it twice on 03-01, settled by the claims writer: queued
    member_1, member_2 = make_member(admdvs=ZIBO), make_member(admdvs=ZIBO)
    provider = make_provider(admdvs=ZIBO, level="2", kind="hospital")
    claims_settle_batch(requests=[request_for(member=member_1, provider=provider, visit_at="2024-03-01T09:00"),
                                  request_for(member=member_1, provider=provider, visit_at="2024-03-01T15:00")],
                        by=None)
    assert UntalliedClaim.objects.count() == 2
    errors = []

    def m2_visits_on_03_02() -> None:   # another connection, while the month's snapshot is open
        try:
            claim_settle(request=request_for(member=member_2, provider=provider, visit_at="2024-03-02T10:00"),
                         by=None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    # When the month is read in its snapshot, and m2's visit is settled meanwhile
    with sql.month_snapshot():
        assert not UntalliedClaim.objects.exists()   # the queue was counted in before the snapshot
        other = threading.Thread(target=m2_visits_on_03_02)
        other.start()
        other.join(timeout=30)
        assert not other.is_alive() and not errors   # the writer did not wait for the month's lock
        # Then the snapshot's figures: 2 visits, 1 member, one (member, day) group over 1 visit
        assert _march() == (2, 1, 1)
    # And m2's visit waited in the queue; the next read counts it: 3 visits, 2 members, still 1 day
    assert list(UntalliedClaim.objects.values_list("claim_id", flat=True)) != []
    assert _march() == (3, 2, 1)
    assert _march(max_per_day=0) == (3, 2, 2)   # over 0: both (member, day) groups
    assert not UntalliedClaim.objects.exists()
