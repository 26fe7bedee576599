"""The writer's COPY (claims/rows.py ``_copy_rows``) stores exactly what an INSERT of the same rows
stores: its amounts go through ``_RepeatedNumericDumper`` (one encoding per value within a COPY),
so equal amounts of different exponents (1.0 and 1.00), a negative zero, negative amounts, NULLs,
unicode names and JSON with quotes and backslashes are written both ways and compared."""
from decimal import Decimal

import pytest
from django.db import connection

from claims import rows
from claims.models import Claim, ClaimItem
from claims.services import claims_settle_batch
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db

# Given amounts, as the items' ``amount`` (numeric(14, 2)): each the value PostgreSQL stores.
AMOUNTS = [
    (Decimal("1.0"), "1.00"), (Decimal("1.00"), "1.00"), (Decimal("1"), "1.00"),   # equal, three exponents
    (Decimal("-0.00"), "0.00"), (Decimal("0"), "0.00"), (Decimal("-12.34"), "-12.34"),
    (Decimal("123456789012.34"), "123456789012.34"), (Decimal("0.01"), "0.01"), (Decimal("-0.01"), "-0.01"),
    (Decimal("1E+2"), "100.00"), (Decimal("99.995"), "100.00"),   # rounded half up to the column's scale
]
NAMES = ["维生素C片", 'say "ahh"', "back\\slash", "tab\there", "new\nline", "美元$€"]


def _items(claim_id: int, count: int) -> list:
    record = rows.row_class(ClaimItem)
    return [record(claim_id=claim_id, code=f"C{n:03d}", name=NAMES[n % len(NAMES)], category="drug",
                   chrgitm_lv="01", amount=AMOUNTS[n % len(AMOUNTS)][0]) for n in range(count)]


def _stored(ids) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, amount::text FROM claims_claimitem WHERE id = ANY(%s) ORDER BY id", [list(ids)])
        return cursor.fetchall()


def test_given_items_when_written_by_copy_and_by_insert_then_the_same_values_are_stored():
    # given a claim to hang the items on, and more items than the INSERT path takes
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    claim = claims_settle_batch(requests=[request_for(member=member, provider=provider,
                                                      visit_at="2024-03-01T10:00")], by=None)[0].row
    count = rows.COPY_FROM_ROWS + 11 * len(NAMES)
    by_copy = _items(claim.id, count)
    # when written by the COPY (> COPY_FROM_ROWS rows) and, in slices of 50, by the INSERT
    rows.models_insert(ClaimItem, by_copy)
    by_insert = _items(claim.id, count)
    for start in range(0, count, rows.COPY_FROM_ROWS):
        rows.models_insert(ClaimItem, by_insert[start:start + rows.COPY_FROM_ROWS])
    # then both hold, row for row, the names as given and each amount at the column's scale
    expected = [(NAMES[n % len(NAMES)], AMOUNTS[n % len(AMOUNTS)][1]) for n in range(count)]
    assert _stored(item.id for item in by_copy) == expected
    assert _stored(item.id for item in by_insert) == expected


def test_given_a_file_sized_batch_when_written_by_copy_then_each_claim_reads_back_as_decided():
    # given more visits of one member than the INSERT path takes, some with an account and a
    # NULL-able exclusion, amounts that repeat and that do not
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    requests = [request_for(member=member, provider=provider, visit_at=f"2024-03-{1 + n // 24:02d}T{n % 24:02d}:00",
                            inscp=f"{1 + n % 7}.{n % 10}0", own="0.00") for n in range(rows.COPY_FROM_ROWS + 20)]
    # when they are settled as one batch (the claims written by the COPY)
    outcomes = claims_settle_batch(requests=requests, by=None)
    # then every stored claim holds its record's amounts, texts and JSON exactly
    amounts = [f.attname for f in Claim._meta.concrete_fields if f.get_internal_type() == "DecimalField"]
    stored = {c["setl_id"]: c for c in Claim.objects.filter(member=member).values()}
    assert len(stored) == len(outcomes)
    for outcome in outcomes:
        record = outcome.row
        row = stored[record.setl_id]
        assert [row[name] for name in amounts] == [getattr(record, name) for name in amounts]
        assert (row["steps"], row["inputs"], row["deltas"]) == (record.steps, record.inputs, record.deltas)
        assert (row["exclusion"], row["reason"], row["idempotency_key"]) == (record.exclusion, record.reason, None)
