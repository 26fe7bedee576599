"""Seed the five regions, their districts and the parameter sets RULES.md gives.

Used by the data migration (with historical models) and safe to call again: existing rows are kept.
"""
import csv
import json
from pathlib import Path

from policy.rules import REGIONS

DISTRICTS_CSV = Path(__file__).with_name("data") / "districts.csv"


def _jsonable(values):
    # The seed is written with Python literals; store exactly what a staff member would type.
    return json.loads(json.dumps(values, default=str))


def seed_policy(Region, District, ParameterSet) -> None:
    for admdvs, module in REGIONS.items():
        Region.objects.get_or_create(admdvs=admdvs, defaults={
            "name": module.NAME, "insutype": module.INSUTYPE, "has_signup": module.HAS_SIGNUP})
    with DISTRICTS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            District.objects.get_or_create(code=row["district"], defaults={
                "region_id": row["admdvs"], "name": row["name"]})
    for admdvs, module in REGIONS.items():
        for item in module.SEED:
            if not ParameterSet.objects.filter(region_id=admdvs, effective_from=item["effective_from"]).exists():
                ParameterSet.objects.create(region_id=admdvs, effective_from=item["effective_from"],
                                            effective_to=item["effective_to"], note=item["note"],
                                            values=_jsonable(item["values"]))
