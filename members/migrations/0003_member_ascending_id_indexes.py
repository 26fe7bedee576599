"""(admdvs, id), (district, id) and the poverty partial index ascending instead of (…, id DESC).

Why: new members get increasing ids. In a descending index each one is the new smallest key of its
(admdvs) or (district) group, inserted at the group's left edge, and a full page splits half and half,
so the index fills only about half its pages (5M members loaded over time: 275 MB each, against 150 MB
ascending). Ascending, new keys go to the right edge of their group, where PostgreSQL splits a full page
leaving it full. Measured (a second million of members COPYed into a table holding one million, backend
CPU per member, all indexes and foreign keys): 20.4-21.0 µs descending, 18.7-20.1 µs ascending; into an
empty table no difference is measurable. The pages lose nothing: PostgreSQL scans a btree backwards for
``WHERE admdvs = … ORDER BY id DESC LIMIT n`` (an "Index Scan Backward", no sort), checked with EXPLAIN
on 5M members and with ``bench/run.py admin`` before/after (imports/README.md).

Order of the operations: the new indexes are built first and the old ones dropped last. CREATE INDEX
blocks writes to the table while it builds; DROP INDEX blocks reads too, until the migration's
transaction commits, so it comes last to keep that window short.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0002_alter_member_admdvs_alter_member_district_and_more'),
        ('policy', '0002_seed_regions_and_parameters'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['district', 'id'], name='member_district_id_idx'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['admdvs', 'id'], name='member_region_id_idx'),
        ),
        migrations.AddIndex(
            model_name='member',
            index=models.Index(condition=models.Q(('poverty', True)), fields=['admdvs', 'id'],
                               name='member_poverty_id_idx'),
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='members_mem_distric_9d7563_idx',
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='members_mem_admdvs_788ff3_idx',
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='member_poverty_idx',
        ),
    ]
