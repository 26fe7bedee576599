"""A unique constraint on District (region, code), the target of members' composite foreign key.

Why: ``members_member`` (admdvs, district) references ``policy_district`` (region_id, code) in one key
(members/migrations/0005), which PostgreSQL accepts only towards columns under a unique constraint of
exactly those columns. ``code`` is already the primary key, so nothing new is refused; the table holds
a few hundred rows, so building the index is instant.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('policy', '0002_seed_regions_and_parameters'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='district',
            constraint=models.UniqueConstraint(fields=('region', 'code'), name='district_region_code_unique'),
        ),
    ]
