"""Migration supervision 0009 (the queue replaced by the watermark), both ways, on claims it must not
lose nor count twice: those recorded before the watermark (``written_xid`` 0) and still queued, and one
queued by a writer that already stamped its transaction's id."""
from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from claims.models import Claim
from supervision.models import TalliedClaimAhead, TallyWatermark
from supervision.tallies import month_aggregates, tallies_catch_up
from tests.factories import make_member, make_provider
from tests.supervision import month_statement_reference as reference
from tests.supervision.helpers import make_claim

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
NY, MARCH = "411300", date(2024, 3, 1)
QUEUE, WATERMARK = ("supervision", "0008_untallied_claims"), ("supervision", "0009_tally_watermark")


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def _same_as_the_former_statement() -> list[tuple]:
    tallied = sorted(month_aggregates(admdvs=NY, month=MARCH, max_per_day=1, itemised=True))
    assert tallied == sorted(reference.month_aggregates(admdvs=NY, month=MARCH, max_per_day=1, itemised=True))
    return tallied


def test_given_queued_claims_when_migrated_to_the_watermark_and_back_then_each_counted_once():
    # Given the queue's schema, three Nanyang claims at one provider on 03-01 (m1 twice, m2 once),
    # written uncounted and queued; two recorded before the watermark's column (0), one by a writer
    # that stamped its transaction's id
    provider = make_provider(admdvs=NY, level="2")
    member_1, member_2 = make_member(admdvs=NY), make_member(admdvs=NY)
    _migrate(QUEUE)
    try:
        claims = [make_claim(member=m, provider=provider, day=MARCH, total="100.00", tally=False)
                  for m in (member_1, member_1, member_2)]
        Claim.objects.filter(pk__in=[c.pk for c in claims[:2]]).update(written_xid=0)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO supervision_untalliedclaim (claim_id) SELECT unnest(%s::bigint[])",
                           [[c.pk for c in claims]])
        # When migrated forwards
        _migrate(WATERMARK)
        # Then the three were counted by the migration: 3 visits (300.00), 2 members, one (member, day)
        # group over 1; the watermark is above them all (their transactions had ended), so a catch-up
        # counts none of them again
        assert TallyWatermark.objects.get().counted_below > claims[2].written_xid > 0
        assert not TalliedClaimAhead.objects.exists()
        assert tallies_catch_up() == 0
        ((provider_id, visits, total, *_rest, members, repeat_days),) = _same_as_the_former_statement()
        assert (provider_id, visits, str(total), members, repeat_days) == (provider.pk, 3, "300.00", 2, 1)
        # When a fourth claim (m2, 03-01) is written uncounted and the migration is taken back
        fourth = make_claim(member=member_2, provider=provider, day=MARCH, total="100.00", tally=False)
        _migrate(QUEUE)
        # Then the queue holds exactly the claim the watermark had not counted yet
        with connection.cursor() as cursor:
            cursor.execute("SELECT claim_id FROM supervision_untalliedclaim")
            assert cursor.fetchall() == [(fourth.pk,)]
    finally:
        _migrate(WATERMARK)
    # And forwards again, it is counted by the migration, once: 4 visits, 2 members, two groups over 1
    assert tallies_catch_up() == 0
    ((_provider, visits, *_rest, members, repeat_days),) = _same_as_the_former_statement()
    assert (visits, members, repeat_days) == (4, 2, 2)
