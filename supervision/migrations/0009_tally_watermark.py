"""The tallies' watermark (``TallyWatermark``, ``TalliedClaimAhead``) in place of the queue
(``UntalliedClaim``): the claims to count are found by the id of the transaction that wrote them
(``claims.Claim.written_xid``, migration claims 0009), with no row per claim (``supervision.tallies``).

Forwards, under the tallies' lock: the queue's invariant was "every claim not queued is counted". In
one statement (one snapshot S): its xmin x, the queued ids and the claims at or above x. The queued
claims are counted in here (one statement per set, as a catch-up); then every claim S saw is counted,
so the watermark is x (the claims recorded before claims 0009 carry 0: below it) and the claims S saw
at or above x are listed ahead — as ``tallies_rebuild`` leaves them (the reasoning:
``supervision.tallies``). A claim S did not see is neither, and the next catch-up counts it.
Backwards: every claim the watermark does not count yet (at or above it, not listed ahead) is queued
again, so the queue's catch-up counts it; forwards again, those are counted in and the rest stay."""
from django.db import migrations, models


# No transaction id reaches it: the queued claims are counted in without being listed ahead one by
# one; the claims at or above the watermark are listed all together after.
NEVER = 2 ** 63 - 1


def queue_counted_in(apps, schema_editor):
    from supervision.tallies import CATCH_UP_SET, SNAPSHOT_XMIN, claim_tallies_add

    claim = apps.get_model("claims", "Claim")._meta.db_table
    queue = apps.get_model("supervision", "UntalliedClaim")._meta.db_table
    month = apps.get_model("supervision", "ProviderMonthTally")._meta.db_table
    ahead = apps.get_model("supervision", "TalliedClaimAhead")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {month} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT {SNAPSHOT_XMIN}, ARRAY(SELECT q.claim_id FROM {queue} q ORDER BY q.claim_id), "
                       f"ARRAY(SELECT c.id FROM {claim} c WHERE c.written_xid >= {SNAPSHOT_XMIN})")
        snapshot_xmin, queued, seen_above = cursor.fetchone()
    apps.get_model("supervision", "TallyWatermark").objects.create(id=1, counted_below=snapshot_xmin)
    for start in range(0, len(queued), CATCH_UP_SET):
        claim_tallies_add(claim_ids=queued[start:start + CATCH_UP_SET], remember_from=NEVER, apps=apps)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ahead} (claim_id, written_xid) SELECT c.id, c.written_xid FROM {claim} c "
                       f"WHERE c.id = ANY(%s)", [seen_above])


def uncounted_queued(apps, schema_editor):
    claim = apps.get_model("claims", "Claim")._meta.db_table
    queue = apps.get_model("supervision", "UntalliedClaim")._meta.db_table
    watermark = apps.get_model("supervision", "TallyWatermark")._meta.db_table
    ahead = apps.get_model("supervision", "TalliedClaimAhead")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {queue} (claim_id) SELECT c.id FROM {claim} c "
                       f"WHERE c.written_xid >= COALESCE((SELECT counted_below FROM {watermark}), 1) "
                       f"AND NOT EXISTS (SELECT 1 FROM {ahead} a WHERE a.claim_id = c.id)")


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0009_claim_written_xid'),
        ('supervision', '0008_untallied_claims'),
    ]

    operations = [
        migrations.CreateModel(
            name='TalliedClaimAhead',
            fields=[
                ('claim_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='结算记录')),
                ('written_xid', models.BigIntegerField(verbose_name='写入事务号')),
            ],
            options={
                'verbose_name': '已提前计入的结算',
                'verbose_name_plural': '已提前计入的结算',
            },
        ),
        migrations.CreateModel(
            name='TallyWatermark',
            fields=[
                ('id', models.SmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('counted_below', models.BigIntegerField(verbose_name='已计入的事务号下限')),
            ],
            options={
                'verbose_name': '监测计数水位',
                'verbose_name_plural': '监测计数水位',
            },
        ),
        migrations.AddConstraint(
            model_name='tallywatermark',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='tallywatermark_single_row'),
        ),
        migrations.RunPython(queue_counted_in, uncounted_queued),
        migrations.DeleteModel(
            name='UntalliedClaim',
        ),
    ]
