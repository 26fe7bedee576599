"""The claims table's per-row economies (claims 0010 to 0012) keep what they replace: the idempotency keys'
partial unique index still refuses a second claim under a key and serves the replay's read; the
reversals' partial unique index still refuses a second reversal of a claim and serves the lookups of
a claim's reversal; the users' partial index serves a user's claims."""
import pytest
from django.db import IntegrityError, connection, transaction

from claims.models import Claim
from claims.services import claim_settle
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db


def _keyed_claim(key: str) -> Claim:
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    request = request_for(member=member, provider=provider, visit_at="2024-03-01T10:00").with_idempotency_key(key)
    claim, created = claim_settle(request=request, by=None)
    assert created
    return claim


def test_given_a_keyed_claim_when_another_row_is_written_under_its_key_then_the_database_refuses_it():
    # given a claim recorded under key K
    claim = _keyed_claim("K-0010-dup")
    # when a second row is written under K by hand (bypassing the settle step's replay)
    copy = {f.attname: getattr(claim, f.attname) for f in Claim._meta.concrete_fields
            if f.attname not in ("id", "setl_id", "written_xid")}
    # then the unique index refuses it, while rows without a key are never in each other's way
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(**{**copy, "setl_id": claim.setl_id[:-1] + "x"})
    for suffix in "yz":
        Claim.objects.create(**{**copy, "setl_id": claim.setl_id[:-1] + suffix, "idempotency_key": None})
    assert Claim.objects.filter(member_id=claim.member_id, idempotency_key__isnull=True).count() == 2


def test_given_keys_when_the_replay_reads_recorded_claims_then_it_uses_the_partial_index():
    # given a keyed claim, and the condition of the statement ledger_load sends for the requests' keys
    claim = _keyed_claim("K-0010-plan")
    sql = f"SELECT id FROM {Claim._meta.db_table} c WHERE c.idempotency_key = ANY(%s)"
    # when PostgreSQL plans it (a scan of the table forbidden: the table is tiny here)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, [["K-0010-plan", "K-other"]])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(sql, [["K-0010-plan", "K-other"]])
        found = [row[0] for row in cursor.fetchall()]
    # then the partial index answers it (the key = ANY(...) implies the key is not null), and finds the claim
    assert "claim_idempotency_key_unique" in plan
    assert found == [claim.pk]


def test_claims_rows_up_to_4_kb_are_stored_uncompressed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Claim._meta.db_table])
        assert "toast_tuple_target=4080" in cursor.fetchone()[0]


def test_the_claims_json_columns_are_left_out_of_analyze():
    # claims 0012: no plan uses their statistics; computing them was half of an ANALYZE of the table
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = %s::regclass "
                       "AND attname IN ('deltas', 'steps', 'inputs')", [Claim._meta.db_table])
        assert dict(cursor.fetchall()) == {"deltas": 0, "steps": 0, "inputs": 0}


def _plan(sql: str, params: list) -> str:
    # EXPLAIN with a scan of the table forbidden (the table is tiny here: PostgreSQL would read it whole).
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_given_a_reversed_claim_when_a_second_reversal_is_written_then_the_database_refuses_it():
    # given a claim and its reversal, and two claims that reverse nothing
    claim = _keyed_claim("K-0011-rev")
    copy = {f.attname: getattr(claim, f.attname) for f in Claim._meta.concrete_fields
            if f.attname not in ("id", "setl_id", "written_xid", "idempotency_key")}
    Claim.objects.create(**{**copy, "setl_id": claim.setl_id[:-1] + "r", "reverses_id": claim.pk})
    for suffix in "yz":
        Claim.objects.create(**{**copy, "setl_id": claim.setl_id[:-1] + suffix})
    # when a second row reversing the same claim is written by hand (bypassing claim_reverse's check)
    # then the unique index refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(**{**copy, "setl_id": claim.setl_id[:-1] + "s", "reverses_id": claim.pk})
    assert Claim.objects.filter(reverses_id=claim.pk).count() == 1


def test_given_the_reads_of_a_claims_reversal_when_planned_then_they_use_the_partial_unique_index():
    claim = _keyed_claim("K-0011-plan")
    table = Claim._meta.db_table
    # the reversed-by lookup (API, admin, claim_reverse) and a not-reversed anti-join (national settlement)
    # (without the model's default ordering, as ``claim.reversed_by`` reads it: ORDER BY id DESC lets
    # the planner walk the primary key backwards on a table this small)
    lookup = _plan(str(Claim.objects.filter(reverses_id=claim.pk).order_by().values("setl_id").query), [])
    anti_join = _plan(f"SELECT 1 FROM {table} s WHERE s.id = %s AND NOT EXISTS "
                      f"(SELECT 1 FROM {table} r WHERE r.reverses_id = s.id)", [claim.pk])
    assert "claim_reverses_unique" in lookup
    assert "claim_reverses_unique" in anti_join


def test_given_a_users_claims_when_looked_up_then_the_partial_index_serves_them():
    plan = _plan(f"SELECT id FROM {Claim._meta.db_table} WHERE created_by_id IN (%s, %s)", [1, 2])
    assert "claim_created_by_idx" in plan
