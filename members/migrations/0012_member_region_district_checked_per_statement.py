"""The (region, district) key of members checked once per statement, set-based, instead of once per row.

What it guarantees is unchanged (0005's composite foreign key): a member's (admdvs, district) is a row of
policy_district (region_id, code), i.e. the district exists and lies in the member's region, and such a
district cannot be deleted or re-keyed while members reference it. Refusals keep the key's name
(``member_region_district_fk``) and SQLSTATE 23503 (foreign_key_violation), so callers see the same
IntegrityError and ``config.labels`` the same label.

Why: PostgreSQL checks a foreign key with one query (SPI) and one row lock per inserted row, ~7 µs of the
~25 µs a bulk-imported member costs the database (the import's bound; imports/README.md). An AFTER ...
FOR EACH STATEMENT trigger with a transition table does the same per statement: the statement's distinct
(admdvs, district) pairs (a handful per COPY batch of 5 000 members) locked FOR KEY SHARE, as the foreign
key locks its referenced row, so a concurrent deletion of the district waits for this transaction, and
then any pair missing from policy_district refused. Measured on the same COPY: ~7.5 µs a member less.

Differences from the foreign key, on purpose or accepted:
- checked at the end of each statement, never deferred to the commit (the import switched the key to
  IMMEDIATE anyway; no writer stores a member before its district);
- a one-row INSERT or UPDATE pays the trigger's two small queries (~55 µs of backend time a statement,
  measured: registrations and admin edits are rare), instead of the key's one;
- the referenced side is an AFTER UPDATE OR DELETE row trigger on policy_district (districts are policy
  data, changed by migrations, never by the application); it sees the members committed when it runs (a
  member inserted concurrently holds the district's KEY SHARE lock, so the deletion waits for its
  commit); TRUNCATE of policy_district is not guarded (a foreign key would refuse it).
The triggers are raw SQL Django does not know, like 0005's key.
"""
from django.db import migrations

KEY = "member_region_district_fk"

CHECK_FUNCTION = f"""
CREATE FUNCTION member_region_district_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing record;
BEGIN
    -- The referenced districts locked as a foreign key locks them (in code order: no deadlock between
    -- two writers), so none of them can be deleted or re-keyed before this transaction ends.
    PERFORM 1 FROM policy_district d
     WHERE (d.region_id, d.code) IN (SELECT DISTINCT n.admdvs, n.district FROM new_members n)
     ORDER BY d.code FOR KEY SHARE OF d;
    SELECT p.admdvs, p.district INTO missing
      FROM (SELECT DISTINCT n.admdvs, n.district FROM new_members n) p
     WHERE NOT EXISTS (SELECT 1 FROM policy_district d WHERE d.region_id = p.admdvs AND d.code = p.district)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "members_member" violates foreign key constraint "{KEY}"'
              USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{KEY}', TABLE = 'members_member',
                    DETAIL = format('Key (admdvs, district)=(%s, %s) is not present in table "policy_district".',
                                    missing.admdvs, missing.district);
    END IF;
    RETURN NULL;
END
$$
"""

REFERENCED_FUNCTION = f"""
CREATE FUNCTION member_region_district_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR (OLD.region_id, OLD.code) IS DISTINCT FROM (NEW.region_id, NEW.code))
       AND EXISTS (SELECT 1 FROM members_member m WHERE m.district = OLD.code AND m.admdvs = OLD.region_id) THEN
        RAISE EXCEPTION 'update or delete on table "policy_district" violates foreign key constraint "{KEY}" on table "members_member"'
              USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{KEY}', TABLE = 'policy_district',
                    DETAIL = format('Key (region_id, code)=(%s, %s) is still referenced from table "members_member".',
                                    OLD.region_id, OLD.code);
    END IF;
    RETURN NULL;
END
$$
"""

FORWARD = [
    CHECK_FUNCTION,
    REFERENCED_FUNCTION,
    # Transition tables allow one event per trigger: one for INSERT (COPY included), one for UPDATE.
    "CREATE TRIGGER member_region_district_inserted AFTER INSERT ON members_member "
    "REFERENCING NEW TABLE AS new_members FOR EACH STATEMENT EXECUTE FUNCTION member_region_district_check()",
    "CREATE TRIGGER member_region_district_updated AFTER UPDATE ON members_member "
    "REFERENCING NEW TABLE AS new_members FOR EACH STATEMENT EXECUTE FUNCTION member_region_district_check()",
    "CREATE TRIGGER member_region_district_referenced AFTER UPDATE OR DELETE ON policy_district "
    "FOR EACH ROW EXECUTE FUNCTION member_region_district_referenced()",
    f"ALTER TABLE members_member DROP CONSTRAINT {KEY}",
]

BACKWARD = [
    f"ALTER TABLE members_member ADD CONSTRAINT {KEY} FOREIGN KEY (admdvs, district) "
    "REFERENCES policy_district (region_id, code) DEFERRABLE INITIALLY DEFERRED",
    "DROP TRIGGER member_region_district_referenced ON policy_district",
    "DROP TRIGGER member_region_district_updated ON members_member",
    "DROP TRIGGER member_region_district_inserted ON members_member",
    "DROP FUNCTION member_region_district_referenced()",
    "DROP FUNCTION member_region_district_check()",
]


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0011_member_codes_collate_c"),
        ("policy", "0003_district_region_code_unique"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD, elidable=False)]
