"""Hostile files, all-or-nothing, re-import, the command's exit codes, district scope."""
import resource
import time

import pytest
from django.core.management import call_command

from imports.models import ImportJob
from imports.services import import_file
from members.models import Member
from tests.factories import make_staff

from .helpers import MEMBER_HEADER, member_row, write_csv, write_xlsx, write_zip

pytestmark = pytest.mark.django_db


def refused(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED
    assert Member.objects.count() == 0
    return job.message


def test_not_a_spreadsheet(tmp_path):
    assert "二进制" in refused(tmp_path, "x.csv", b"\x7fELF\x00\x01\x02" * 100)


def test_old_xls(tmp_path):
    assert "xls" in refused(tmp_path, "x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)


def test_empty_file(tmp_path):
    assert "空" in refused(tmp_path, "x.csv", b"")


def test_zip_bomb_is_refused_before_reading(tmp_path):
    # given an xlsx-shaped zip whose sheet inflates 50 MB of zeros (ratio ~1000:1)
    path = write_zip(tmp_path / "bomb.xlsx", {"[Content_Types].xml": b"<Types/>",
                                              "xl/worksheets/sheet1.xml": b"\0" * (50 * 2**20)})
    started = time.perf_counter()
    job = import_file(kind="members", path=str(path))
    # then refused at once for its compression ratio
    assert job.status == ImportJob.Status.REFUSED and "压缩" in job.message
    assert time.perf_counter() - started < 5


def test_entity_expansion_xlsx_is_refused(tmp_path):
    # given a real xlsx whose shared strings carry a billion-laughs DTD
    path = write_xlsx(tmp_path / "ok.xlsx", MEMBER_HEADER, [member_row(1)])
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
    parts["xl/sharedStrings.xml"] = laughs
    bad = write_zip(tmp_path / "lol.xlsx", parts)
    job = import_file(kind="members", path=str(bad))
    assert job.status == ImportJob.Status.REFUSED and "DOCTYPE" in job.message


def test_junk_megabytes_are_refused_in_bounded_time_and_memory(tmp_path):
    # given 20 MB of text junk without line breaks (the bench runs 100 MB; same code path)
    path = tmp_path / "junk.csv"
    path.write_bytes(b"A" * (20 * 2**20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB


def test_one_bad_row_writes_nothing_at_all(tmp_path):
    # given 7000 good rows (more than one batch) and one bad row at the end
    from datetime import date, timedelta

    from .helpers import certno

    rows = []
    for i in range(7000):
        birth = date(1950, 1, 1) + timedelta(days=i // 900)
        rows.append(member_row(0, 身份证号=certno(i % 900, birth=birth)))
    rows.append(member_row(1, 县区="999999"))
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)))
    assert job.status == ImportJob.Status.REFUSED and job.error_count == 1
    assert job.errors[0]["row"] == 7002
    assert Member.objects.count() == 0
    # and the same file without the bad row goes in whole
    ok = import_file(kind="members", path=str(write_csv(tmp_path / "ok.csv", MEMBER_HEADER, rows[:-1])))
    assert ok.status == ImportJob.Status.DONE and Member.objects.count() == 7000


def test_importing_the_same_file_twice_writes_nothing_the_second_time(tmp_path):
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1), member_row(2)])
    assert import_file(kind="members", path=str(path)).status == ImportJob.Status.DONE
    second = import_file(kind="members", path=str(path))
    assert second.status == ImportJob.Status.DUPLICATE and "未写入" in second.message
    # and the same rows in another file are recognised by their natural key
    third = import_file(kind="members", path=str(write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER,
                                                            [member_row(1), member_row(2)])))
    assert third.status == ImportJob.Status.DONE and third.rows_skipped == 2 and third.rows_written == 0
    assert Member.objects.count() == 2


def test_a_stored_member_with_different_data_is_refused(tmp_path):
    import_file(kind="members", path=str(write_csv(tmp_path / "a.csv", MEMBER_HEADER, [member_row(1)])))
    job = import_file(kind="members", path=str(write_csv(tmp_path / "b.csv", MEMBER_HEADER,
                                                         [member_row(1, 姓名="别名")])))
    assert [(e["row"], e["rule"]) for e in job.errors] == [(2, "exists")]


def test_command_exit_codes(tmp_path, capsys):
    good = write_csv(tmp_path / "g.csv", MEMBER_HEADER, [member_row(1)])
    bad = write_csv(tmp_path / "b.csv", MEMBER_HEADER, [member_row(2, 县区="999999")])
    call_command("import_data", "members", str(good), "--dry-run")
    assert Member.objects.count() == 0
    call_command("import_data", "members", str(good))
    assert Member.objects.count() == 1
    with pytest.raises(SystemExit) as exited:
        call_command("import_data", "members", str(bad))
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "row 2 [县区]" in out and "refused" in out


def test_a_district_clerk_cannot_import_members_of_another_district(tmp_path):
    # given a clerk of 东湖区 (360102) and a file with one member in 西湖区 (360103)
    clerk = make_staff(admdvs="360100", districts=["360102"])
    rows = [member_row(1), member_row(2, 县区="360103")]
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)), by=clerk)
    assert [(e["row"], e["column"], e["rule"]) for e in job.errors] == [(3, "县区", "scope")]
    assert Member.objects.count() == 0
