"""PostgreSQL-only paths: COPY loading with its audit record (id runs), progress visible from another connection,
and a concurrent duplicate caught by the unique constraint (all-or-nothing still holds)."""
import pytest
from django.db import connections

from imports.models import ImportedMembers, ImportJob
from imports.services import import_job_create, import_job_run
from members.models import Member, MemberChange

from .helpers import MEMBER_HEADER, member_row, write_csv

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_copy_path_writes_members_and_audit_rows_and_reports_progress(tmp_path, monkeypatch):
    # given 12 000 rows (three batches of 5 000) and a probe reading the job from another connection
    from datetime import date, timedelta

    from .helpers import certno

    rows = [member_row(0, 身份证号=certno(i % 900, birth=date(1950, 1, 1) + timedelta(days=i // 900)),
                       姓名=f"名\t{i}" if i == 5 else f"名{i}") for i in range(12_000)]
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)
    job = import_job_create(kind="members", path=str(path), file_name="m.csv")
    seen = []
    from imports import pipeline

    real_run = pipeline.run

    def spying_run(**kwargs):
        progress = kwargs["progress"]

        def probe(outcome):
            progress(outcome)
            other = connections.create_connection("default")
            with other.cursor() as cursor:
                cursor.execute("SELECT rows_done FROM imports_importjob WHERE id = %s", [job.pk])
                seen.append(cursor.fetchone()[0])
            other.close()
        return real_run(**{**kwargs, "progress": probe})

    monkeypatch.setattr(pipeline, "run", spying_run)
    # when it runs
    done = import_job_run(job_id=job.pk)
    # then every row is written once, the three batches' ids recorded as one run of this job, and
    # progress was visible while it ran
    assert done.status == ImportJob.Status.DONE, done.message
    assert Member.objects.count() == 12_000
    first, last = Member.objects.order_by("id").first().pk, Member.objects.order_by("id").last().pk
    assert list(ImportedMembers.objects.values_list("job", "first_id", "last_id")) == [(job.pk, first, first + 11_999)]
    assert last == first + 11_999 and not MemberChange.objects.exists()
    assert Member.objects.get(certno=certno(5, birth=date(1950, 1, 1))).psn_name == "名\t5"
    assert seen == [5000, 10000, 12000]


@pytest.mark.parametrize("overrides,rule", [
    (dict(险种="310"), "insutype_region"),
    # a district of another region: a row error with its number, found before the database's composite
    # key (members_member (admdvs, district) → policy_district) would refuse it without one
    (dict(县区="411302"), "district_region"),
])
def test_a_bad_row_after_loaded_batches_rolls_everything_back(tmp_path, overrides, rule):
    # given two batches of good members, loaded before the bad last row is read
    from datetime import date, timedelta

    from .helpers import certno

    rows = [member_row(0, 身份证号=certno(i % 900, birth=date(1960, 1, 1) + timedelta(days=i // 900)))
            for i in range(11_000)] + [member_row(1, **overrides)]
    job = import_job_create(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)),
                            file_name="m.csv")
    # when it runs
    done = import_job_run(job_id=job.pk)
    # then the file is refused naming that row and rule, and nothing of it is written
    assert done.status == ImportJob.Status.REFUSED, done.message
    assert {e["row"] for e in done.errors} == {11_002}, done.errors[:3]
    assert rule in {e["rule"] for e in done.errors}, done.errors
    assert Member.objects.count() == 0 and MemberChange.objects.count() == 0 and ImportedMembers.objects.count() == 0


def test_a_conflict_in_an_early_batch_refuses_the_file_as_a_conflict(tmp_path, monkeypatch):
    # given a member already stored that the lookups are made to miss, in the first of three batches
    # (its COPY fails in the helper thread while the caller parses the second batch)
    from datetime import date, timedelta

    from imports import rows_members

    from .helpers import certno

    import_job_run(job_id=import_job_create(kind="members", path=str(write_csv(
        tmp_path / "a.csv", MEMBER_HEADER, [member_row(1)])), file_name="a.csv").pk)
    monkeypatch.setattr(rows_members, "existing_members", lambda **kwargs: {})
    rows = [member_row(1)] + [member_row(0, 身份证号=certno(i % 900, birth=date(1970, 1, 1) + timedelta(days=i // 900)))
                              for i in range(11_000)]
    job = import_job_create(kind="members", path=str(write_csv(tmp_path / "b.csv", MEMBER_HEADER, rows)),
                            file_name="b.csv")
    # when it runs
    done = import_job_run(job_id=job.pk)
    # then the cause (the unique violation) refuses the file, not the aborted transaction after it
    assert done.status == ImportJob.Status.REFUSED and "同时进行的登记冲突" in done.message, done.message
    assert "该身份证号已在本统筹区登记" in done.message  # member_certno_region_unique, named in Chinese
    assert Member.objects.count() == 1 and not ImportedMembers.objects.filter(job=job).exists()


def test_a_district_of_another_region_that_slips_past_the_checks_is_refused_by_the_batchs_copy(tmp_path, monkeypatch):
    # given an import whose snapshot of the districts is stale: it believes Nanyang's 411302 lies in
    # Nanchang (as if moved meanwhile), so its checks pass a Nanchang member there, in the first of
    # three batches
    from datetime import date, timedelta

    from imports import pipeline
    from imports.context import Context

    from .helpers import certno

    real_load = Context.load.__func__

    def stale_load(cls, *, scope):
        context = real_load(cls, scope=scope)
        context.district_region["411302"] = "360100"
        return context

    monkeypatch.setattr(Context, "load", classmethod(stale_load))
    rows = [member_row(1, 县区="411302")] + [
        member_row(0, 身份证号=certno(i % 900, birth=date(1975, 1, 1) + timedelta(days=i // 900)))
        for i in range(11_000)]
    job = import_job_create(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, rows)),
                            file_name="m.csv")
    batches_parsed = []
    real_run = pipeline.run

    def counting_run(**kwargs):
        progress = kwargs["progress"]

        def count(outcome):
            batches_parsed.append(outcome.rows_done)
            progress(outcome)
        return real_run(**{**kwargs, "progress": count})

    monkeypatch.setattr(pipeline, "run", counting_run)
    # when it runs
    done = import_job_run(job_id=job.pk)
    # then the (region, district) key refuses the first batch's COPY, at the end of that statement (a
    # per-statement trigger since members/migrations/0012), not at the commit after all three batches;
    # nothing is written
    assert done.status == ImportJob.Status.REFUSED, done.message
    assert "县区不属于该统筹区" in done.message, done.message  # member_region_district_fk
    assert len(batches_parsed) < 3, batches_parsed
    assert Member.objects.count() == 0 and not ImportedMembers.objects.filter(job=job).exists()


def test_stored_members_are_found_in_every_chunk_of_the_lookups_sent_ahead(tmp_path):
    # given 7 000 rows (a batch of 5 000, then 2 000; lookups sent ahead per 1 000 rows while the rest of
    # a batch is parsed, the last chunk looked up when the batch is checked), of which the rows at the
    # edges of those chunks are already stored
    from datetime import date, timedelta

    from .helpers import certno

    rows = [member_row(0, 身份证号=certno(i % 900, birth=date(1955, 1, 1) + timedelta(days=i // 900)), 姓名=f"名{i}")
            for i in range(7_000)]
    stored_at = [0, 999, 1_000, 2_500, 3_999, 4_000, 4_999, 5_000, 6_999]
    first = import_job_run(job_id=import_job_create(kind="members", path=str(write_csv(
        tmp_path / "a.csv", MEMBER_HEADER, [rows[i] for i in stored_at])), file_name="a.csv").pk)
    assert first.status == ImportJob.Status.DONE, first.message
    # when the whole file is imported
    done = import_job_run(job_id=import_job_create(kind="members", path=str(write_csv(
        tmp_path / "b.csv", MEMBER_HEADER, rows)), file_name="b.csv").pk)
    # then every stored row is skipped (found, identical) and only the others are written
    assert done.status == ImportJob.Status.DONE, done.message
    assert (done.rows_written, done.rows_skipped) == (7_000 - 9, 9)
    assert Member.objects.count() == 7_000
    # and when a file differs from the stored members in two rows, one of the first chunk sent ahead and
    # one of a batch's last (looked-up-when-checked) chunk, both are refused with their row numbers
    # (header = row 1, so list index i is row i + 2)
    changed = [list(row) for row in rows]
    for i in (999, 4_999):
        changed[i][MEMBER_HEADER.index("姓名")] = "改名"
    refused = import_job_run(job_id=import_job_create(kind="members", path=str(write_csv(
        tmp_path / "c.csv", MEMBER_HEADER, changed)), file_name="c.csv").pk)
    assert refused.status == ImportJob.Status.REFUSED, refused.message
    assert {(e["row"], e["rule"]) for e in refused.errors} == {(1_001, "exists"), (5_001, "exists")}
