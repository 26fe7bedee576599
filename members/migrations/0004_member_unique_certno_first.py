"""The (region, certno) unique index with certno first, replacing the single-column certno index.

Why: every bulk-imported member is an insert into each index of ``members_member``, ~1 µs of the
database's time apiece. Members are looked up by certno alone (admin search, the claims list, the
API's certno filter) and by (region, certno) (imports, claims, registration); a unique index on
(certno, admdvs) answers both, as the old (admdvs, certno) one answered only the second. Uniqueness is
the same (a set of columns); ``ON CONFLICT (admdvs, certno)`` still finds it (inference ignores order).

The new index is built before the old ones are dropped (see 0003 for why in that order).
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0003_member_ascending_id_indexes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='member',
            constraint=models.UniqueConstraint(fields=('certno', 'admdvs'), name='member_certno_region_unique'),
        ),
        migrations.RemoveConstraint(
            model_name='member',
            name='member_region_certno_unique',
        ),
        migrations.RemoveIndex(
            model_name='member',
            name='members_mem_certno_20cecb_idx',
        ),
    ]
