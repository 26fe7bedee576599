"""The fast members path: its checks equal the full ones, and the PostgreSQL load (binary COPY, lookups
and ids on a side connection, per-statement foreign keys, statistics) stores exactly the rows, refuses a
concurrent duplicate whole, and leaves nothing behind."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from imports.context import Context
from imports.models import ImportedMembers, ImportJob
from imports.rows_members import MemberRows, certno_check_char
from imports.services import EVERYTHING, import_file
from members.certno import check_digit
from members.models import Member, MemberChange
from tests.factories import make_staff

from .helpers import MEMBER_HEADER, certno, member_row, write_csv


def test_the_base_13_check_character_equals_gb_11643_for_any_digits():
    rng = random.Random(11643)
    samples = ["0" * 17, "9" * 17, "36010219700501011", "11010519491231002"]
    samples += ["".join(rng.choice("0123456789") for _ in range(17)) for _ in range(20_000)]
    assert [certno_check_char(s) for s in samples] == [check_digit(s) for s in samples]


# Rows the fast path must leave to the full check (or accept exactly as it would).
EDGE_ROWS = [
    dict(人员类别="15²³"),              # str.isdigit() is True; NFKC makes it 1523
    dict(参保日期="2020-W01-1"),         # date.fromisoformat takes week dates since Python 3.11
    dict(参保日期="2020-01-1 "),
    dict(身份证号=" " + certno(3) + "\u3000"),
    dict(缴费基数="+12.5", 统筹区="411300", 险种="310", 人员类别="1101", 县区="411302"),
    dict(缴费基数="1_000", 统筹区="411300", 险种="310", 人员类别="1101", 县区="411302"),
    dict(缴费基数=" 12.5 ", 统筹区="411300", 险种="310", 人员类别="1101", 县区="411302"),
    dict(缴费基数="sNaN", 统筹区="411300", 险种="310", 人员类别="1101", 县区="411302"),
    dict(姓名="Ｚｈａｎｇ　三"),
    dict(建档立卡贫困人口="YES"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("overrides", EDGE_ROWS)
def test_the_fast_path_accepts_a_row_only_as_the_full_check_does(overrides):
    positions = {name: index for index, name in enumerate(MemberRows.fields)}
    ctx = Context.load(scope=EVERYTHING)
    row = member_row(3, **overrides)
    try:
        fast = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False)._fast(2, row)
    except (ValueError, ArithmeticError):
        fast = None
    full = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False)._checked(2, row)
    if fast is not None:
        assert full == (fast, [])
    # and the batch API gives the full check's answer either way
    batch = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False).parse_batch([(2, row)])
    assert batch == (([full[0]], []) if full[0] else ([], [(2, row, full[1])]))


@pytest.mark.django_db
def test_a_week_date_and_a_superscript_code_get_the_full_checks_answers():
    positions = {name: index for index, name in enumerate(MemberRows.fields)}
    handler = MemberRows(ctx=Context.load(scope=EVERYTHING), positions=positions, job_id=None, by=None, write=False)
    records, failures = handler.parse_batch([(2, member_row(1, 参保日期="2020-W01-1")),
                                             (3, member_row(2, 人员类别="15²³"))])
    assert [(n, [(e.column, e.rule) for e in errors]) for n, _, errors in failures] == [(2, [("参保日期", "invalid")])]
    assert [r[5] for r in records] == ["1523"]


# ---- PostgreSQL load ------------------------------------------------------------------------------

AMOUNTS = ["", "0", "0.01", "0.1", "1", "12.5", "9999.99", "10000", "10000.5", "123456789.01", "9999999999.99"]


@pytest.mark.django_db
def test_binary_copy_stores_every_value_exactly(tmp_path):
    # given employees with every shape of amount, retirement dates, and names COPY text would escape
    names = ["王\t五", "back\\slash", "新\n行", "\\N", "😀 表情", "Ｚｈａｎｇ"]
    rows = []
    for i, amount in enumerate(AMOUNTS):
        rows.append(member_row(0, 身份证号=certno(i, area="411302"), 统筹区="411300", 险种="310", 县区="411302",
                               人员类别="1201" if i % 2 else "1101", 退休办理日期="2019-06-30" if i % 2 else "",
                               缴费基数=amount, 建档立卡贫困人口="是" if i % 3 else "否", 姓名=names[i % len(names)]))
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)))
    assert job.status == ImportJob.Status.DONE, job.errors
    # then each stored member is the row, typed exactly
    stored = {m.certno: m for m in Member.objects.all()}
    for i, amount in enumerate(AMOUNTS):
        member = stored[certno(i, area="411302")]
        assert member.contribution_base == (Decimal(amount).quantize(Decimal("0.01")) if amount else None), amount
        assert member.retired_on == (date(2019, 6, 30) if i % 2 else None)
        assert member.poverty is bool(i % 3) and member.psn_name == names[i % len(names)].replace("Ｚｈａｎｇ", "Zhang")
        assert (member.status, member.chronic_diseases, member.brdy, member.gend) == ("active", [], date(1980, 1, 1),
                                                                                    "1" if i % 2 else "2")
        assert member.created_at == member.updated_at == Member.objects.order_by("id").first().created_at


@pytest.mark.django_db
def test_foreign_keys_are_deferred_again_after_an_import_inside_a_transaction(tmp_path):
    import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1)])))
    # a dangling reference is only checked at the commit again (it is gone before that)
    with transaction.atomic():
        change = MemberChange.objects.create(member_id=10**12, action="probe")
        change.delete()


def _rows(count: int, *, start: date = date(1950, 1, 1)) -> list[list]:
    return [member_row(0, 身份证号=certno(i % 900, birth=start + timedelta(days=i // 900))) for i in range(count)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_side_connection_lookups_skip_identical_members_and_refuse_changed_ones(tmp_path):
    # given 6 000 members imported by a clerk (two batches; lookups and ids on the side connection)
    clerk = make_staff(admdvs="360100")
    rows = _rows(6000)
    first = import_file(kind="members", path=str(write_csv(tmp_path / "a.csv", MEMBER_HEADER, rows)), by=clerk)
    assert first.status == ImportJob.Status.DONE and first.rows_written == 6000
    ids = sorted(Member.objects.values_list("id", flat=True))
    assert list(ImportedMembers.objects.filter(job=first).values_list("first_id", "last_id", "loaded_by")) == [
        (ids[0], ids[-1], clerk.pk)]
    assert ids[-1] - ids[0] == 5999  # the two batches' sweeps were consecutive: one run
    # when the same rows come again in another file, plus one new member (previewed first)
    path = str(write_csv(tmp_path / "b.csv", MEMBER_HEADER, rows + [member_row(901)]))
    preview = import_file(kind="members", path=path, dry_run=True)
    assert (preview.status, preview.rows_written, preview.rows_skipped) == (ImportJob.Status.PREVIEWED, 1, 6000)
    assert Member.objects.count() == 6000  # a dry run writes nothing
    again = import_file(kind="members", path=path)
    # then the known ones are skipped and only the new one is written
    assert (again.status, again.rows_written, again.rows_skipped) == (ImportJob.Status.DONE, 1, 6000)
    # and a stored member with different data refuses the whole file, naming its row
    changed = rows[:5000] + [member_row(902)] + [rows[5000][:1] + ["别名"] + rows[5000][2:]]
    refused = import_file(kind="members", path=str(write_csv(tmp_path / "c.csv", MEMBER_HEADER, changed)))
    assert [(e["row"], e["rule"]) for e in refused.errors] == [(5003, "exists")]
    assert Member.objects.count() == 6001 and not Member.objects.filter(certno=certno(902)).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_member_registered_concurrently_refuses_the_file_whole(tmp_path, monkeypatch):
    # given a member registered after the file's lookups ran (the lookup is made to miss it)
    from imports import rows_members

    import_file(kind="members", path=str(write_csv(tmp_path / "a.csv", MEMBER_HEADER, [member_row(1)])))
    monkeypatch.setattr(rows_members, "existing_members", lambda **kwargs: {})
    rows = _rows(7000) + [member_row(1)]
    # when the file is imported, the database's unique constraint refuses the load in the COPY thread
    job = import_file(kind="members", path=str(write_csv(tmp_path / "b.csv", MEMBER_HEADER, rows)))
    # then the file is refused whole, as a conflict to retry, and nothing of it was written
    assert job.status == ImportJob.Status.REFUSED and "同时进行的登记冲突" in job.message
    assert Member.objects.count() == 1 and not ImportedMembers.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_statistics_that_say_empty_are_refreshed_inside_the_import(tmp_path):
    # given statistics taken of the empty table (what autovacuum records while an import is running)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'members_member'::regclass")
        assert cursor.fetchone()[0] < 1
    # when 6 000 members are imported
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, _rows(6000))))
    # then the import counted its own rows before planning its lookups and foreign-key checks
    assert job.status == ImportJob.Status.DONE
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'members_member'::regclass")
        assert cursor.fetchone()[0] >= 5000



@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_a_side_connection_the_import_connection_does_the_lookups(tmp_path, monkeypatch):
    # given the database refuses a second connection
    from django.db import OperationalError

    from imports import rows_members

    class NoSlot:
        def ensure_connection(self):
            raise OperationalError("too many clients already")

        def close(self):
            pass

    class Connections:
        @staticmethod
        def create_connection(alias):
            return NoSlot()

    import_file(kind="members", path=str(write_csv(tmp_path / "a.csv", MEMBER_HEADER, [member_row(1)])))
    monkeypatch.setattr(rows_members, "connections", Connections())
    # when a file with a known member and 6 000 new ones is imported
    job = import_file(kind="members", path=str(write_csv(tmp_path / "b.csv", MEMBER_HEADER,
                                                         [member_row(1)] + _rows(6000))))
    # then it goes through on the one connection, the known member skipped
    assert (job.status, job.rows_written, job.rows_skipped) == (ImportJob.Status.DONE, 6000, 1)


def test_codes_are_passed_as_one_array_literal_only_when_nothing_needs_quoting():
    from imports.context import array_literal

    assert array_literal(["360100", "36010219400101000X"]) == "{360100,36010219400101000X}"
    for values in (["NULL"], ["1,2"], [""], ["3601 00"], ["３６"], ["a"]):
        assert array_literal(values) == values  # psycopg's own adaptation quotes them
