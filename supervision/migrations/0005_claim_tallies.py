"""Supervision's tallies (``supervision.tallies``): the counted claims' figures per (member, day), per
visits-a-day count and per provider-month, kept by the claims writer from now on; built here from
the claims already recorded (set-based, ``tallies_rebuild``) so that a database is right after migrate."""
from django.db import migrations, models


def build(apps, schema_editor):
    """Nothing any more: migration 0007 adds the last tally table and builds them all (the rebuild
    reads every tally model, and 0007's is not there yet at this point of the history)."""


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0004_supervision_indexes'),
        ('claims', '0006_claim_fewer_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='MemberDayTally',
            fields=[
                ('pk', models.CompositePrimaryKey('admdvs', 'provider_id', 'member_id', 'visit_date', blank=True, editable=False, primary_key=True, serialize=False)),
                ('admdvs', models.CharField(max_length=6, verbose_name='统筹区')),
                ('provider_id', models.BigIntegerField(verbose_name='就诊机构')),
                ('member_id', models.BigIntegerField(verbose_name='参保人')),
                ('visit_date', models.DateField(verbose_name='就诊日期')),
                ('visits', models.IntegerField(verbose_name='就诊次数')),
            ],
            options={
                'verbose_name': '参保人日就诊计数',
                'verbose_name_plural': '参保人日就诊计数',
            },
        ),
        migrations.CreateModel(
            name='ProviderMonthTally',
            fields=[
                ('pk', models.CompositePrimaryKey('admdvs', 'month', 'provider_id', 'member_shard', blank=True, editable=False, primary_key=True, serialize=False)),
                ('admdvs', models.CharField(max_length=6, verbose_name='统筹区')),
                ('month', models.DateField(help_text='当月1日', verbose_name='月份')),
                ('provider_id', models.BigIntegerField(verbose_name='就诊机构')),
                ('member_shard', models.SmallIntegerField(help_text='member_id % 16', verbose_name='参保人分片')),
                ('visits', models.BigIntegerField(verbose_name='就诊人次')),
                ('members', models.BigIntegerField(verbose_name='就诊人数')),
                ('medfee_sumamt', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='医疗费总额')),
                ('selfpaid_amt', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='自费自付金额')),
                ('hifp_pay', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='统筹基金支付')),
                ('itemised_claims', models.BigIntegerField(verbose_name='有明细的结算数')),
                ('itemised_amount', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='明细金额合计')),
                ('exam_amount', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='检查费')),
                ('out_of_catalogue_amount', models.DecimalField(decimal_places=2, max_digits=18, verbose_name='目录外(丙类)金额')),
            ],
            options={
                'verbose_name': '机构月度计数',
                'verbose_name_plural': '机构月度计数',
            },
        ),
        migrations.CreateModel(
            name='VisitsPerDayTally',
            fields=[
                ('pk', models.CompositePrimaryKey('admdvs', 'month', 'provider_id', 'member_shard', 'visits_per_day', blank=True, editable=False, primary_key=True, serialize=False)),
                ('admdvs', models.CharField(max_length=6, verbose_name='统筹区')),
                ('month', models.DateField(help_text='当月1日', verbose_name='月份')),
                ('provider_id', models.BigIntegerField(verbose_name='就诊机构')),
                ('member_shard', models.SmallIntegerField(help_text='member_id % 16', verbose_name='参保人分片')),
                ('visits_per_day', models.IntegerField(verbose_name='当日就诊次数')),
                ('member_days', models.BigIntegerField(verbose_name='(人,日)组数')),
            ],
            options={
                'verbose_name': '日就诊次数分布',
                'verbose_name_plural': '日就诊次数分布',
            },
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
