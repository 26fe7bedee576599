"""Refuse UPDATE and DELETE of account entries in the database itself (append-only ledger).

The model and queryset guards stop the ORM; this trigger also stops raw SQL and other clients.
"""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'accounts_accountentry is append-only: % refused (write a correcting entry)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS accounts_entry_append_only ON accounts_accountentry;
CREATE TRIGGER accounts_entry_append_only BEFORE UPDATE OR DELETE ON accounts_accountentry
    FOR EACH ROW EXECUTE FUNCTION accounts_entry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_entry_append_only ON accounts_accountentry;
DROP FUNCTION IF EXISTS accounts_entry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    # Each script as one list item: sent whole, not split into statements (the function body's $$ quoting).
    operations = [migrations.RunSQL([CREATE], [DROP])]
