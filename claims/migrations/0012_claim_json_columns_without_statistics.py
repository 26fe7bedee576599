from django.db import migrations

# ANALYZE leaves out the claim's three JSON columns (deltas, steps, inputs): no statement filters,
# joins or sorts on them (they are read whole, or one key of them is read out), so their statistics
# served no plan, while computing them was half of an ANALYZE of the table: autovacuum analyzes the
# claims table again each time it grew by a tenth, so while files are settled it runs every few
# minutes, beside the writers (issue 19; the server's CPU for ANALYZE claims_claim, 58 000 rows, a
# sample of 30 000: 1.23 s with them, 0.62-0.67 s without, twice each in one run).
JSON_COLUMNS = ("deltas", "steps", "inputs")


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0011_claim_null_keys_indexed_where_given'),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE claims_claim " + ", ".join(f"ALTER COLUMN {c} SET STATISTICS 0" for c in JSON_COLUMNS),
            reverse_sql="ALTER TABLE claims_claim " + ", ".join(f"ALTER COLUMN {c} SET STATISTICS -1"
                                                                for c in JSON_COLUMNS)),
    ]
