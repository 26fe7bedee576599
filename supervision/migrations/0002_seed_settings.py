"""Seed each region's supervision thresholds (staff change them by adding a later version).

growth 30% and the 90th percentile follow the project brief; the sources (Nanyang 第二十二条(二),
Zibo 第十六条) name the indicators but set no figures. Absolute share ceilings are left empty.
"""
from datetime import date
from decimal import Decimal

from django.db import migrations

SEED = {"growth_threshold": Decimal("0.3000"), "peer_percentile": Decimal("0.9000"), "min_peers": 5,
        "max_visits_per_day": 2}


def forwards(apps, schema_editor):
    Region = apps.get_model("policy", "Region")
    Settings = apps.get_model("supervision", "SupervisionSettings")
    for region in Region.objects.all():
        if not Settings.objects.filter(region=region).exists():
            Settings.objects.create(region=region, effective_from=date(2020, 1, 1), note="初始值(项目约定)", **SEED)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial"), ("policy", "0002_seed_regions_and_parameters")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
