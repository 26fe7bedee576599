"""Indexes for the supervision statements on other apps' tables.

On ``claims_claim``, two partial indexes over the originals (not reversal rows), keyed by (admdvs,
calendar month, provider, …), which ``indicators_compute`` reads a region-month from with index-only
scans in provider order — no sort, and not the claims' heap (whose jsonb columns make it several times
wider). See ``supervision.month_index``.
  ``supervision_claim_amounts_idx``  (admdvs, month, provider) INCLUDE the day and the amounts summed;
  ``supervision_claim_people_idx``   (admdvs, month, provider, member, day).
The statistics object gives the planner the distribution of the month expression (a partial index's
expression statistics are not used for estimates); ANALYZE fills it at once.

On ``members_member``, ``supervision_member_left_idx``: the few members with a ``left_on`` date, which
``after_leaving_claims`` starts from (instead of reading every member).

They live here, not in ``claims``/``members``: they serve supervision's statements only, and a
RunPython operation keeps them out of those apps' model state (``makemigrations`` stays clean).
Built CONCURRENTLY (no lock against claim writes), hence a non-atomic migration.
"""
from django.db import migrations

MONTH = "date_trunc('month', visit_date::timestamp)"
ORIGINALS = "reverses_id IS NULL AND status <> 'reversal'"
STATISTICS = "supervision_claim_month_stats"
INDEXES = {  # name: (model, definition)
    "supervision_claim_amounts_idx": (
        # visit_date too: PostgreSQL scans index-only only when every column a condition uses is there
        "claims.Claim", f"(admdvs, ({MONTH}), provider_id) INCLUDE (visit_date, medfee_sumamt, fulamt_ownpay_amt, "
                        f"overlmt_selfpay, preselfpay_amt, hifp_pay, itemised_amount, exam_amount, "
                        f"out_of_catalogue_amount) WHERE {ORIGINALS}"),
    "supervision_claim_people_idx": (
        "claims.Claim", f"(admdvs, ({MONTH}), provider_id, member_id, visit_date) WHERE {ORIGINALS}"),
    "supervision_member_left_idx": ("members.Member", "(left_on) WHERE left_on IS NOT NULL"),
}


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name, (model, definition) in INDEXES.items():
            # A failed CONCURRENTLY build leaves an INVALID index behind: drop it so a retry builds anew.
            cursor.execute("SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                           "WHERE c.relname = %s AND NOT i.indisvalid", [name])
            if cursor.fetchone():
                cursor.execute(f"DROP INDEX CONCURRENTLY {name}")
            table = apps.get_model(model)._meta.db_table
            cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")
        claims = apps.get_model("claims.Claim")._meta.db_table
        cursor.execute(f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON ({MONTH}) FROM {claims}")
        cursor.execute(f"ANALYZE {claims}")


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
        for name in INDEXES:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("supervision", "0003_indicator_repeat_visit_days"),
        ("claims", "0005_claim_itemised_amount"),
        ("members", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
