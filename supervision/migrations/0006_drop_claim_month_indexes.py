"""The two month indexes on ``claims_claim`` (and their statistics object) that migration 0004 built for
the month statement go: the month run reads supervision's tallies now (0005, ``supervision.tallies``),
and each index cost every claim written an index entry (the amounts one, nine columns wide). The
members' ``supervision_member_left_idx`` stays (``after_leaving_claims`` starts from it).
Non-atomic: dropped (and, backwards, built) CONCURRENTLY, without a lock against claim writes."""
import importlib

from django.db import migrations

BUILT = importlib.import_module("supervision.migrations.0004_supervision_indexes")
CLAIM_INDEXES = ("supervision_claim_amounts_idx", "supervision_claim_people_idx")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP STATISTICS IF EXISTS {BUILT.STATISTICS}")
        for name in CLAIM_INDEXES:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def build(apps, schema_editor):
    BUILT.create(apps, schema_editor)   # IF NOT EXISTS: the member index that stayed is left as it is


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("supervision", "0005_claim_tallies")]

    operations = [migrations.RunPython(drop, build)]
