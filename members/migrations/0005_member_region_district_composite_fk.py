"""One composite foreign key (admdvs, district) → policy_district (region_id, code) instead of the two
single-column keys admdvs → policy_region and district → policy_district.

Why: each foreign key costs the database a query and a row lock per inserted member; the two were ~6 µs
of the ~17 µs a bulk-imported member costs PostgreSQL, the bound of the import (issue #5,
imports/README.md). One key probes the district's (region_id, code) unique index once and checks more
than both did: that the district exists *and* belongs to the member's region. The region key becomes
redundant: the district row's own key guarantees its region exists.

Django 5.2 has no composite foreign keys, so the ForeignKey fields keep ``db_constraint=False`` (the ORM
still joins and filters on them) and the key is raw SQL. ``DEFERRABLE INITIALLY DEFERRED`` like Django's
own keys, so transactions that Django orders freely (fixtures, deletions) behave as before, and the
import's ``SET CONSTRAINTS … IMMEDIATE`` (imports/loaders.py, which finds the loaded tables' keys in
pg_constraint) still applies.

``NOT VALID`` here, validated in 0006, a separate migration and so a separate transaction: this one takes
strong locks on members_member until its commit (SHARE ROW EXCLUSIVE to add the key, ACCESS EXCLUSIVE to
drop the old ones), so it must stay a catalogue change of milliseconds; the scan of millions of existing
members happens in 0006 under VALIDATE's SHARE UPDATE EXCLUSIVE lock, which lets registrations and
imports go on. Meanwhile the key already checks every new or changed row.

Beware: Django does not know this constraint. A later AlterField of members_member.admdvs/district or of
policy_district.code/region (type, column name) must drop it first and add it again.
"""
from django.db import migrations, models

NAME = "member_region_district_fk"

ADD_KEY = (f"ALTER TABLE members_member ADD CONSTRAINT {NAME} FOREIGN KEY (admdvs, district) "
           "REFERENCES policy_district (region_id, code) DEFERRABLE INITIALLY DEFERRED NOT VALID")
DROP_KEY = f"ALTER TABLE members_member DROP CONSTRAINT IF EXISTS {NAME}"


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0004_member_unique_certno_first'),
        ('policy', '0003_district_region_code_unique'),
    ]

    operations = [
        # The composite key first, then the old ones dropped: in one transaction, so no commit ever sees
        # members_member without a key on district. Reversed, the composite key goes and the two
        # single-column keys come back (validated, as Django adds them).
        migrations.RunSQL([ADD_KEY], [DROP_KEY], elidable=False),
        migrations.AlterField(
            model_name='member',
            name='admdvs',
            field=models.ForeignKey(db_column='admdvs', db_constraint=False, db_index=False,
                                    on_delete=models.deletion.PROTECT, related_name='members', to='policy.region',
                                    verbose_name='统筹区'),
        ),
        migrations.AlterField(
            model_name='member',
            name='district',
            field=models.ForeignKey(db_column='district', db_constraint=False, db_index=False,
                                    on_delete=models.deletion.PROTECT, related_name='members',
                                    to='policy.district', verbose_name='县区'),
        ),
    ]
