"""The audit record of imported members: runs of the ids an import created (imports.ImportedMembers),
exact when other sessions draw from the sequence meanwhile, and shown on the member's page."""
from datetime import date, timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse

from imports import loaders
from imports.loaders import IdRuns
from imports.models import ImportedMembers, ImportJob
from imports.selectors import member_import_origin
from imports.services import import_file
from members.models import Member, MemberChange
from members.services import member_create
from tests.factories import make_staff

from .helpers import MEMBER_HEADER, certno, member_row, write_csv


def test_id_runs_join_consecutive_ids_and_split_at_holes():
    # given the ids of four batches, one with holes, the last one handed out before the third
    runs = IdRuns()
    runs.add_range(10, 14)
    runs.add([15, 16, 18, 19])
    runs.add_range(25, 30)
    runs.add([20])
    # when merged, then each run holds only ids that were added, adjacent runs joined
    assert runs.merged() == [(10, 16), (18, 20), (25, 30)]


def test_an_id_given_twice_is_an_error_not_a_wider_run():
    runs = IdRuns()
    runs.add_range(1, 5)
    runs.add([5])
    with pytest.raises(ValueError, match="member id 5 given twice"):
        runs.merged()


@pytest.mark.django_db
def test_imported_members_point_to_their_job_and_a_registered_one_to_none(tmp_path):
    # given a clerk's import of two members, then one member registered by hand
    clerk = make_staff(admdvs="360100", districts=["360102"])
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER,
                                                         [member_row(1), member_row(2)])), by=clerk)
    by_hand = member_create(admdvs="360100", certno=certno(3), psn_name="王三", insutype="390", psn_type="1501",
                            district="360102", enrolled_on=date(2020, 1, 1), by=clerk)
    # when their origin is asked
    imported = [member_import_origin(Member.objects.get(certno=certno(n)).pk) for n in (1, 2)]
    # then both imported members name the job, the clerk and the job's start; the registered one none
    assert job.status == ImportJob.Status.DONE
    assert [(o.job_id, o.loaded_by_id, o.count) for o in imported] == [(job.pk, clerk.pk, 2)] * 2
    assert job.started_at <= imported[0].loaded_at <= job.finished_at
    assert member_import_origin(by_hand.pk) is None
    assert list(MemberChange.objects.values_list("member_id", "action")) == [(by_hand.pk, "create")]


@pytest.mark.django_db
def test_per_member_change_rows_are_still_written_when_asked_for(tmp_path, settings):
    # given the per-member audit rows switched on
    settings.IMPORTS_MEMBER_AUDIT_ROWS = True
    # when a member is imported
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1)])))
    # then it has both the MemberChange row and the run
    member = Member.objects.get()
    assert list(MemberChange.objects.values_list("member_id", "action", "after")) == [
        (member.pk, "import", {"import_job": job.pk})]
    assert list(ImportedMembers.objects.values_list("job", "first_id", "last_id")) == [(job.pk, member.pk, member.pk)]


@pytest.mark.django_db
def test_a_refused_file_leaves_no_run(tmp_path):
    rows = [member_row(1), member_row(2, 险种="310")]
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)))
    assert job.status == ImportJob.Status.REFUSED and not ImportedMembers.objects.exists()


def _rows(count: int) -> list[list]:
    return [member_row(0, 身份证号=certno(i % 900, birth=date(1950, 1, 1) + timedelta(days=i // 900)))
            for i in range(count)]


def _sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('members_member', 'id')")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_id_drawn_by_another_session_between_batches_splits_the_run(tmp_path, monkeypatch):
    # given another session that draws one id from the members' sequence just before the second
    # batch's sweep (as a registration at the same moment would)
    sequence, drawn = _sequence(), []
    real_reserve = loaders.MemberLoader._reserve_ids

    def reserve(self, count):
        if self.ids.runs:
            other = connections.create_connection("default")
            with other.cursor() as cursor:
                cursor.execute("SELECT nextval(%s::regclass)", [sequence])
                drawn.append(cursor.fetchone()[0])
            other.close()
        return real_reserve(self, count)

    monkeypatch.setattr(loaders.MemberLoader, "_reserve_ids", reserve)
    # when 6 000 members (two batches) are imported
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, _rows(6000))))
    # then two runs of exactly the members' ids, with the other session's id between them
    assert job.status == ImportJob.Status.DONE, job.message
    ids = sorted(Member.objects.values_list("id", flat=True))
    first = ids[0]
    assert drawn == [first + 5000]
    assert ids == list(range(first, first + 5000)) + list(range(first + 5001, first + 6001))
    assert list(ImportedMembers.objects.filter(job=job).values_list("first_id", "last_id")) == [
        (first, first + 4999), (first + 5001, first + 6000)]
    assert member_import_origin(first + 5000) is None
    assert member_import_origin(first + 4999).job_id == member_import_origin(first + 5001).job_id == job.pk


@pytest.mark.django_db
def test_a_sweep_with_holes_records_only_the_ids_it_was_given(tmp_path):
    # given a sequence that hands out every second id (what a sweep sees when another session's
    # nextval calls interleave with it)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SEQUENCE {_sequence()} INCREMENT BY 2")  # rolled back with the test
    # when three members are imported
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER,
                                                         [member_row(1), member_row(2), member_row(3)])))
    # then each member is a run of its own, and the ids between them belong to none
    ids = sorted(Member.objects.values_list("id", flat=True))
    assert job.status == ImportJob.Status.DONE and ids == [ids[0], ids[0] + 2, ids[0] + 4]
    assert list(ImportedMembers.objects.values_list("first_id", "last_id")) == [(i, i) for i in ids]
    assert [member_import_origin(i) is None for i in range(ids[0], ids[0] + 5)] == [False, True, False, True, False]


@pytest.mark.django_db
def test_the_member_page_shows_the_import_it_came_from(client, tmp_path):
    # given a member imported by a clerk from "花名册.csv"
    clerk = make_staff(username="clerk_a", admdvs="360100", districts=["360102"],
                       perms=["members.view_member", "members.change_member"])
    path = write_csv(tmp_path / "花名册.csv", MEMBER_HEADER, [member_row(1)])
    job = import_file(kind="members", path=str(path), by=clerk)
    member = Member.objects.get()
    # when the clerk opens the member's page
    client.force_login(clerk)
    page = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    # then the import is listed: job, file, hash, user
    assert "导入来源" in page
    assert f'href="{reverse("admin:imports_importjob_preview", args=[job.pk])}">#{job.pk}</a>' in page
    assert "花名册.csv" in page and job.sha256 in page and "clerk_a" in page


@pytest.mark.django_db
def test_a_member_registered_by_hand_has_no_import_on_its_page(client):
    clerk = make_staff(admdvs="360100", districts=["360102"], perms=["members.view_member"])
    member = member_create(admdvs="360100", certno=certno(4), psn_name="李四", insutype="390", psn_type="1501",
                           district="360102", enrolled_on=date(2020, 1, 1), by=clerk)
    client.force_login(clerk)
    page = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert "导入来源" not in page and "李四" in page
