"""The claims waiting to be counted into supervision's tallies (``supervision.models.UntalliedClaim``):
the claims writer queues its new rows' ids here instead of counting them in the claim's transaction
(``supervision.tallies.tallies_catch_up`` counts them in). Nothing to backfill: the tallies of the
claims already recorded are complete, and the queue starts empty."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0007_member_month_tally'),
    ]

    operations = [
        migrations.CreateModel(
            name='UntalliedClaim',
            fields=[
                ('claim_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='结算记录')),
            ],
            options={
                'verbose_name': '待计入计数的结算',
                'verbose_name_plural': '待计入计数的结算',
            },
        ),
    ]
