"""The admin's template / upload → preview → confirm flow, exports, and a Hypothesis fuzz test."""
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, strategies as st

from imports.models import ImportedMembers, ImportJob
from imports.pipeline import run
from imports.resources import MemberResource
from imports.services import EVERYTHING
from members.models import Member, MemberChange
from tests.factories import make_staff

from .helpers import MEMBER_HEADER, member_row, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    user = make_staff(admdvs="360100", districts=["360102"], perms=["members.add_member", "members.view_member"])
    client.force_login(user)
    return user


def test_template_download_has_the_chinese_headers_and_an_example(client, clerk):
    response = client.get(reverse("admin:imports_importjob_template", args=["members"]))
    assert response.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == MEMBER_HEADER + ["只参加住院保险"] and rows[1][0] == "360102197005010112"


def test_upload_preview_then_confirm_imports_the_file(client, clerk, tmp_path):
    # given a clean file uploaded by a clerk
    data = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1), member_row(2)]).read_bytes()
    response = client.post(reverse("admin:imports_importjob_upload", args=["members"]),
                           {"file": SimpleUploadedFile("m.csv", data)})
    # then a dry-run job previews the rows and writes nothing
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and "确认导入" in preview.content.decode()
    assert "张1" in preview.content.decode()
    assert Member.objects.count() == 0
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PREVIEWED and job.dry_run
    # when confirmed
    done = client.post(reverse("admin:imports_importjob_confirm", args=[job.pk]))
    # then a second job imports it, visible in the job list
    assert done.status_code == 302
    assert Member.objects.count() == 2
    assert ImportJob.objects.filter(dry_run=False, status=ImportJob.Status.DONE).count() == 1
    listing = client.get(reverse("admin:imports_importjob_changelist"))
    assert listing.status_code == 200 and "m.csv" in listing.content.decode()


def test_upload_with_errors_lists_them_and_offers_no_confirm(client, clerk, tmp_path):
    data = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1), member_row(2, 县区="360103")]).read_bytes()
    response = client.post(reverse("admin:imports_importjob_upload", args=["members"]),
                           {"file": SimpleUploadedFile("m.csv", data)})
    page = client.get(response["Location"]).content.decode()
    assert "确认导入" not in page and "您的权限范围不包括县区 360103" in page
    job = ImportJob.objects.get()
    report = client.get(reverse("admin:imports_importjob_errors", args=[job.pk]))
    assert report.status_code == 200
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][0] == "行号" and rows[0][-1] == "错误说明" and rows[1][0] == 3
    # and confirming it anyway is refused
    client.post(reverse("admin:imports_importjob_confirm", args=[job.pk]))
    assert Member.objects.count() == 0


def test_staff_without_the_permission_cannot_upload(client, tmp_path):
    client.force_login(make_staff(admdvs="360100"))
    response = client.get(reverse("admin:imports_importjob_upload", args=["members"]))
    assert response.status_code == 403


def test_export_neutralises_formula_cells():
    member = Member(certno="360102197005010112", psn_name="=cmd|' /C calc'!A0", admdvs_id="360100",
                    insutype="390", psn_type="1501", district_id="360102")
    row = MemberResource().export_resource(member)
    assert row[1] == "'=cmd|' /C calc'!A0"
    assert MemberResource().export_resource(Member(psn_name="-93.50"))[1] == "-93.50"  # a signed amount stays
    for value in ("+1+cmd|x", "@SUM(A1)", "-x", "-1+1"):
        member.psn_name = value
        assert MemberResource().export_resource(member)[1] == "'" + value


# ---- fuzz -------------------------------------------------------------------------------------------

cell = st.one_of(st.text(max_size=25), st.sampled_from(["", "=1+1", "３６０１００", "360102", "2024-02-30", "-1",
                                                        "12.345", "是", "1e999", "NaN", "\x00", "２０２０-01-01"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 11), cell), max_size=8),
       as_xlsx=st.booleans())
def test_fuzz_mutated_rows_never_crash_and_never_half_write(tmp_path_factory, mutations, as_xlsx):
    rows = [member_row(i) for i in range(5)]
    for row_index, column, value in mutations:
        if column < len(MEMBER_HEADER):
            rows[row_index][column] = value
        else:
            rows[row_index].append(value)
    folder = tmp_path_factory.mktemp("fuzz")
    before = Member.objects.count()
    try:
        path = write_xlsx(folder / "f.xlsx", MEMBER_HEADER, rows) if as_xlsx else \
            write_csv(folder / "f.csv", MEMBER_HEADER, rows)
    except Exception:  # openpyxl refuses some control characters: nothing to import then
        return
    outcome = run(path=str(path), kind="members", scope=EVERYTHING)
    after = Member.objects.count()
    assert after - before in (0, outcome.written) and (outcome.ok or after == before)
    MemberChange.objects.all().delete()
    ImportedMembers.objects.all().delete()
    Member.objects.all().delete()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), flips=st.integers(1, 40), truncate=st.booleans())
def test_fuzz_mutated_files_are_refused_cleanly(tmp_path_factory, seed, flips, truncate):
    folder = tmp_path_factory.mktemp("fuzzfile")
    source = write_xlsx(folder / "ok.xlsx", MEMBER_HEADER, [member_row(i) for i in range(3)]).read_bytes()
    data = bytearray(source)
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if truncate:
        data = data[: rng.randrange(1, len(data))]
    path = folder / "bad.xlsx"
    path.write_bytes(bytes(data))
    outcome = run(path=str(path), kind="members", scope=EVERYTHING)
    assert outcome.ok or Member.objects.count() == 0
    MemberChange.objects.all().delete()
    ImportedMembers.objects.all().delete()
    Member.objects.all().delete()


@settings(max_examples=300, deadline=None)
@given(mutations=st.lists(st.tuples(st.integers(0, 9), cell), max_size=4))
def test_fuzz_fast_path_never_accepts_what_the_full_check_refuses(mutations):
    # given a members handler and a mutated row
    from imports.context import Context
    from imports.rows_members import MemberRows

    ctx = Context.load(scope=EVERYTHING)
    # the file's columns (member_row has no inpatient_only column; with it mapped, every row was short
    # of it and the fast path refused them all, so nothing was compared)
    positions = {name: index for index, name in enumerate(MemberRows.fields[:len(MEMBER_HEADER)])}
    row = member_row(7)
    for column, value in mutations:
        row[column] = value
    fast = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False)
    try:
        accepted = fast._fast(2, row)
    except Exception:
        accepted = None
    # then whatever the fast path accepts, the full check accepts identically
    if accepted is not None:
        full = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False)
        assert full._checked(2, row) == (accepted, [])


def test_fuzz_fast_path_with_warm_caches_agrees_with_the_full_check():
    # given ONE members handler for every example, so the fast path's caches of accepted birth dates,
    # enrolment dates and code combinations (rows_members._fast) carry over from row to row as in a file
    from imports.context import Context
    from imports.rows_members import MemberRows

    ctx = Context.load(scope=EVERYTHING)
    # the file's columns (member_row has no inpatient_only column; with it mapped, every row was short
    # of it and the fast path refused them all, so nothing was compared)
    positions = {name: index for index, name in enumerate(MemberRows.fields[:len(MEMBER_HEADER)])}
    warm = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False)
    dates = st.sampled_from(["2020-01-01", "1980-01-01", "1979-12-31", "2099-01-01", "2020-02-30", "1899-12-31"])

    @settings(max_examples=300, deadline=None)
    @given(mutations=st.lists(st.tuples(st.integers(0, 9), st.one_of(cell, dates)), max_size=4),
           person=st.integers(0, 5))
    def check(mutations, person):
        row = member_row(person)
        for column, value in mutations:
            row[column] = value
        try:
            accepted = warm._fast(2, row)
        except Exception:
            accepted = None
        # then whatever the warm fast path accepts, a fresh full check accepts identically
        if accepted is not None:
            full = MemberRows(ctx=ctx, positions=positions, job_id=None, by=None, write=False)
            assert full._checked(2, row) == (accepted, [])
    check()
    assert warm.births and warm.enrolments and warm.codes_ok  # the caches were used
