"""The tallies' watermark (``TallyWatermark``, ``TalliedClaimAhead``) in place of the queue
(``UntalliedClaim``): the claims to count are found by the id of the transaction that wrote them
(``claims.Claim.written_xid``, migration claims 0009), with no row per claim (``supervision.tallies``).

Forwards: the watermark starts at 1 — every claim recorded before claims 0009 carries 0, below it,
so counted: those the tallies hold, and those still queued, which are counted in here (one statement
per set, under the tallies' lock, as a catch-up). A queued claim already written with its transaction
id (by a writer still running the code of the queue) is listed ahead, so no catch-up counts it again.
Backwards: every claim the watermark does not count yet (at or above it, not listed ahead) is queued
again, so the queue's catch-up counts it."""
from django.db import migrations, models


def queue_counted_in(apps, schema_editor):
    from supervision.tallies import CATCH_UP_SET, NO_WATERMARK, claim_tallies_add

    watermark = apps.get_model("supervision", "TallyWatermark")
    queue = apps.get_model("supervision", "UntalliedClaim")._meta.db_table
    month = apps.get_model("supervision", "ProviderMonthTally")._meta.db_table
    watermark.objects.create(id=1, counted_below=NO_WATERMARK)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {month} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT claim_id FROM {queue} ORDER BY claim_id")
        claim_ids = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(claim_ids), CATCH_UP_SET):
        claim_tallies_add(claim_ids=claim_ids[start:start + CATCH_UP_SET], apps=apps)


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
