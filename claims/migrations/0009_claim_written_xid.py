"""``Claim.written_xid``: the id of the transaction that wrote the claim (its DEFAULT), and a BRIN index
on it — supervision finds the claims to count by it (``supervision.tallies``), with no queue row per
claim.

In two steps, so that the table is not rewritten: a column added with a volatile DEFAULT would be
computed for every existing row (a rewrite of the whole table, under an exclusive lock). Added with
the constant 0 it is not (PostgreSQL keeps the value in the catalogue), and every existing claim reads
0: below any watermark, i.e. counted by then (supervision 0009 counts in what the queue still held).
Then the DEFAULT becomes the writing transaction's id, for the rows inserted from then on."""
import django.contrib.postgres.indexes
import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0008_claim_prescribing_provider'),
    ]

    operations = [
        migrations.AddField(
            model_name='claim',
            name='written_xid',
            field=models.BigIntegerField(db_default=0, editable=False, verbose_name='写入事务号'),
        ),
        migrations.AlterField(
            model_name='claim',
            name='written_xid',
            field=models.BigIntegerField(db_default=django.db.models.expressions.RawSQL('pg_current_xact_id()::text::bigint', [], output_field=models.BigIntegerField()), editable=False, verbose_name='写入事务号'),
        ),
        migrations.AddIndex(
            model_name='claim',
            index=django.contrib.postgres.indexes.BrinIndex(autosummarize=True, fields=['written_xid'], name='claim_written_xid_brin', pages_per_range=128),
        ),
    ]
