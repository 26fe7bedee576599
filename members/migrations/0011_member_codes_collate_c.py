"""certno, admdvs and district compared byte by byte (COLLATE "C") instead of through the database's
locale.

Why: every insert into members_member compares these codes in four btree indexes (the (certno, admdvs)
unique one, (admdvs, id), (district, id), the poverty partial index); under a libc locale such as
C.UTF-8 each comparison is a strcoll() call, under "C" a memcmp. Measured on the bulk import's floor (a
binary COPY of 1M members into an empty table, backend CPU, imports/README.md): ~4 µs of ~25 µs a
member. The codes are ASCII digits (and a final X for certno), for which the locale's order and the
byte order agree, so no lookup, ordering or uniqueness changes; comparisons with other tables' columns
of the default collation take the column's "C" (an explicit collation wins over the default).

certno through the model (``db_collation``); admdvs and district are ForeignKeys, whose column Django
types after the target field, so their collation is raw SQL and Django's state does not record it (a
later AlterField of them must keep it). The ALTERs rebuild the indexes on these columns under an ACCESS
EXCLUSIVE lock on members_member: a migration for a maintenance window on millions of members.
"""
from django.db import migrations, models

TO_C = ('ALTER TABLE members_member ALTER COLUMN admdvs TYPE varchar(6) COLLATE "C", '
        'ALTER COLUMN district TYPE varchar(6) COLLATE "C"')
TO_DEFAULT = ('ALTER TABLE members_member ALTER COLUMN admdvs TYPE varchar(6) COLLATE "default", '
              'ALTER COLUMN district TYPE varchar(6) COLLATE "default"')


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0010_member_certno_normalised_check"),
    ]

    operations = [
        migrations.AlterField(
            model_name="member",
            name="certno",
            field=models.CharField(db_collation="C", max_length=18, verbose_name="身份证号"),
        ),
        migrations.RunSQL([TO_C], [TO_DEFAULT], elidable=False),
    ]
