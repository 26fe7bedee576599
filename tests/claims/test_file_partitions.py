"""A file of visits is cut into partitions sized from the file (several per worker, whole members),
and the writer's cheaper row preparation writes what the model's own preparation would."""
import random
from datetime import datetime

import pytest
from django.db import connection

from claims.files import (PARTITION_ROWS_MAX, PARTITION_ROWS_MIN, PARTITIONS_AIMED, claims_file_partitions,
                          claims_file_signatures, partition_rows_for)
from claims.models import Claim
from claims.services import claims_settle_batch
from staff.scope import CERTNO_IN_TEXT, mask_certno, mask_certnos_in
from tests.claims.test_services import visits, world


def test_given_files_of_several_sizes_then_partitions_aim_at_eight_within_bounds():
    # 6 000 rows / 8 = 750; 20 000 / 8 = 2 500 -> the upper bound 2 000; 1 000 / 8 = 125 -> the lower
    # bound 250; 6 001 / 8 = 750.125 -> 751 (rounded up, so never more than 8 partitions of the size)
    assert PARTITIONS_AIMED == 8 and (PARTITION_ROWS_MIN, PARTITION_ROWS_MAX) == (250, 2000)
    assert [partition_rows_for(n) for n in (6000, 20000, 1000, 6001, 0)] == [750, 2000, 250, 751, 250]


def test_given_a_file_of_members_then_each_member_is_whole_in_one_partition():
    # given 60 members with 1 to 30 visits each, shuffled (1 000 to 1 800 rows)
    rand = random.Random(5)
    rows = [{"admdvs": "370300", "certno": f"37030219700101{m:04d}", "visit": v}
            for m in range(60) for v in range(rand.randint(1, 30))]
    rand.shuffle(rows)
    # when cut at the size for the file
    size = partition_rows_for(len(rows))
    partitions = claims_file_partitions(rows, partition_rows=size)
    # then every row is in exactly one partition, no member is split, and every partition but the
    # last reaches the size (whole members, so it may pass it by at most one member's 30 visits)
    assert sorted(p for part in partitions for p in part) == list(range(len(rows)))
    owner = {}
    for number, part in enumerate(partitions):
        for position in part:
            assert owner.setdefault(rows[position]["certno"], number) == number
    assert all(size <= len(part) < size + 30 for part in partitions[:-1])
    assert len(partitions) <= PARTITIONS_AIMED + 1


@pytest.mark.django_db
def test_given_a_file_then_the_partitions_messages_show_counts_not_id_numbers():
    # given 600 rows of 3 members (a partition each at 250 rows)
    rows = [{"admdvs": "370300", "certno": f"37030219700101{m:04d}", "visit": v} for m in range(3) for v in range(200)]
    # when the partitions' messages are made
    signatures = claims_file_signatures(rows=rows, user_id=7, partition_rows=PARTITION_ROWS_MIN, queue="files")
    # then what their headers show of the arguments is a count (Celery's default repr would carry the
    # ID numbers into worker logs and events), and they go to the queue asked for
    assert [s.options["kwargsrepr"] for s in signatures] == ["{rows: 400, user_id: 7}", "{rows: 200, user_id: 7}"]
    assert all(s.options["queue"] == "files" for s in signatures)
    assert not any("370302" in s.options["kwargsrepr"] for s in signatures)


def test_a_claim_written_by_insert_reads_back_as_it_was_built(city_admin):
    # given 3 visits of one Nanchang member (below the COPY threshold: one INSERT statement, each
    # value prepared by the writer's row maker: pre_save only for the date fields, get_db_prep_save
    # only for the non-plain types)
    member, providers = world("360100")
    outcomes = claims_settle_batch(requests=visits(member, providers, 3, count=3), by=city_admin)
    # then every column read back equals the built instance's, created_at included (auto_now_add,
    # set by its pre_save on the instance as Model.save would)
    names = [f.attname for f in Claim._meta.concrete_fields if f.attname != "written_xid"]
    stored = {c.pk: c for c in Claim.objects.filter(member=member)}
    assert len(stored) == 3
    for outcome in outcomes:
        built = outcome.claim
        assert built.created_at is not None
        assert {n: getattr(stored[built.pk], n) for n in names} == {n: getattr(built, n) for n in names}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE member_id = %s AND created_at IS NULL", [member.pk])
        assert cursor.fetchone() == (0,)


class _Text(str):
    """A str subclass (Django's SafeString is one): masked like any text."""


def _mask_reference(value):
    # The masking as it was written before its inline fast path: one call per value.
    if isinstance(value, str):
        return value if len(value) < 18 else CERTNO_IN_TEXT.sub(lambda m: mask_certno(m.group(0)), value)
    if isinstance(value, dict):
        return {key: _mask_reference(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_reference(item) for item in value]
    return value


def test_given_nested_json_with_certnos_then_the_fast_masking_equals_the_reference():
    # given random nested JSON-like values holding certnos, short and long text, numbers, None
    rand = random.Random(11)
    certno = "360102197005010112"
    leaves = [certno, f"his-{certno}-1", "H36010200001", "short", 12, 1.5, True, None, "",
              _Text(certno), datetime(2024, 1, 1).isoformat(), "x" * 40, f"{certno}X", f"a{certno}"]

    def value(depth):
        kind = rand.randint(0, 3 if depth < 4 else 0)
        if kind == 0:
            return rand.choice(leaves)
        if kind == 1:
            return {f"k{i}": value(depth + 1) for i in range(rand.randint(0, 5))}
        if kind == 2:
            return [value(depth + 1) for _ in range(rand.randint(0, 5))]
        return tuple(value(depth + 1) for _ in range(rand.randint(0, 3)))
    # then both maskings give the same value (the certno itself masked to 360102********0112)
    assert mask_certnos_in({"certno": certno}) == {"certno": "360102********0112"}
    for _ in range(300):
        sample = value(0)
        assert mask_certnos_in(sample) == _mask_reference(sample)


def test_partition_answers_through_the_brokers_json_collect_as_named_rows(city_admin):
    from kombu.utils.json import dumps, loads

    from claims.files import claims_file_collect, claims_partition_settle

    # given a partition with a settled row and a refused row (amounts that do not add up)
    member, providers = world("370300")
    good = {"admdvs": "370300", "certno": member.certno, "fixmedins_code": providers[0].fixmedins_code,
            "visit_at": "2024-02-01T10:00", "medfee_sumamt": "100.00", "inscp_scp_amt": "100.00"}
    partition = claims_partition_settle(rows=[{**good, "medfee_sumamt": "99.00"}, good], positions=[1, 0],
                                        user_id=city_admin.pk)
    # when its answer crosses the broker (kombu's JSON, as on the workers) and is collected
    answer = claims_file_collect([loads(dumps(partition))], total=2)
    # then each row is named field by field, in file order, as eager (no JSON) collects it
    claim = Claim.objects.get(member=member)
    assert answer["rows"][0] == {"setl_id": claim.setl_id, "status": claim.status,
                                 "hifp_pay": str(claim.hifp_pay), "created": True}
    assert "medfee_sumamt" in answer["rows"][1]["errors"] and answer["settled"] == 1
    assert claims_file_collect([partition], total=2) == answer


def test_packed_rows_unpack_as_the_brokers_json_would_carry_the_rows():
    from kombu.utils.json import dumps, loads

    from claims.files import rows_pack, rows_unpack

    # given rows of two key orders, nested values, a dict with a non-text key, and rows that are no dicts
    rows = [{"a": "1", "b": None}, {"a": "2", "b": [1, {"x": 2}]}, {"b": 1, "a": 2}, {1: "x"}, {1: "y", "z": 2},
            ["list"], "text", None, {}, {"a": "3", "b": 4}]
    # when packed, sent through kombu's JSON and unpacked
    packed = rows_pack(rows)
    carried = rows_unpack(loads(dumps(packed)))
    # then they are what the rows themselves would have become, keys in the same order; eager, the rows
    assert carried == loads(dumps(rows))
    assert [list(row) for row in carried if isinstance(row, dict)] == [
        list(row) for row in loads(dumps(rows)) if isinstance(row, dict)]
    assert rows_unpack(packed) == rows
    # and each key order is sent once
    assert packed["keys"] == [["a", "b"], ["b", "a"], []]


def test_an_empty_file_answers_no_rows():
    from claims.files import claims_file_settle

    # given a file without rows, when it is settled, then it answers nothing settled and no rows
    assert claims_file_settle(rows=[], user_id=None).get(timeout=10) == {
        "settled": 0, "rows": [], "failed_partitions": []}
