"""Validate the composite key of 0005 against the members already stored.

Why a migration of its own: VALIDATE CONSTRAINT scans members_member (millions of rows) holding only a
SHARE UPDATE EXCLUSIVE lock, which lets inserts and updates go on; in 0005's transaction the scan would
run under that migration's stronger lock (taken by ADD CONSTRAINT, held to its commit) and block writes
for as long. It fails, naming the first offending (admdvs, district), if a stored member's district
lies outside the member's region: fix those members (their district) and migrate again.
"""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0005_member_region_district_composite_fk'),
    ]

    # Nothing to undo: an unvalidated key would check the same new rows.
    operations = [migrations.RunSQL(["ALTER TABLE members_member VALIDATE CONSTRAINT member_region_district_fk"],
                                    migrations.RunSQL.noop, elidable=False)]
