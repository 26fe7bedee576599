"""The member-month tally (``supervision.models.MemberMonthTally``): a claim's tally statement upserts
it instead of reading the member's day rows (see the model). All the tallies are then rebuilt from
the claims (``supervision.tallies.tallies_rebuild``; 0005 used to build them, before this table)."""
from django.db import migrations, models


def build(apps, schema_editor):
    from supervision.tallies import tallies_rebuild

    tallies_rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0006_drop_claim_month_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='MemberMonthTally',
            fields=[
                ('pk', models.CompositePrimaryKey('admdvs', 'month', 'provider_id', 'member_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('admdvs', models.CharField(max_length=6, verbose_name='统筹区')),
                ('month', models.DateField(help_text='当月1日', verbose_name='月份')),
                ('provider_id', models.BigIntegerField(verbose_name='就诊机构')),
                ('member_id', models.BigIntegerField(verbose_name='参保人')),
                ('days', models.IntegerField(verbose_name='就诊天数')),
            ],
            options={
                'verbose_name': '参保人月就诊天数',
                'verbose_name_plural': '参保人月就诊天数',
            },
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
