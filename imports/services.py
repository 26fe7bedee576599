"""Import jobs: ``import_job_create`` stores the file and its hash, ``import_job_run`` runs the pipeline
and records the outcome (progress, errors, the error report), ``import_file`` does both for the command.

The same file (kind + SHA-256) is written at most once: a second import of it is recorded as a
``duplicate`` job and writes nothing. Progress is written through a second database connection, so
it is visible while the import's own transaction is still open.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager

from django.core.files.base import ContentFile, File
from django.db import connection, connections
from django.utils import timezone

from staff.audit import audit_bulk
from staff.scope import Scope, scope_for_user

from . import pipeline
from .models import ImportJob
from .report import error_masked, error_report_xlsx, preview_masked

EVERYTHING = Scope(everything=True, regions=frozenset(), districts=frozenset())


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def import_job_create(*, kind: str, path: str, file_name: str, by=None, dry_run: bool = False,
                      store: bool = True) -> ImportJob:
    """A job for the file at ``path`` (copied into storage when ``store``: the admin's confirm step and
    a Celery worker read it from there)."""
    if kind not in ImportJob.Kind.values:
        raise ValueError(f"unknown import kind {kind!r}")
    job = ImportJob(kind=kind, file_name=os.path.basename(file_name)[:255], sha256=file_sha256(path),
                    size=os.path.getsize(path), dry_run=dry_run, created_by=by if getattr(by, "pk", None) else None)
    if store:
        with open(path, "rb") as handle:
            job.file.save(job.file_name or "upload", File(handle), save=False)
    job.save()
    return job


def import_job_confirm(*, job: ImportJob, by=None) -> ImportJob:
    """The real import of a previewed file (same stored file, a new job)."""
    confirmed = ImportJob(kind=job.kind, file_name=job.file_name, file=job.file.name, sha256=job.sha256,
                          size=job.size, dry_run=False, created_by=by if getattr(by, "pk", None) else None)
    confirmed.save()
    return confirmed


def _earlier_import(job: ImportJob) -> ImportJob | None:
    return (ImportJob.objects.filter(kind=job.kind, sha256=job.sha256, status=ImportJob.Status.DONE)
            .exclude(pk=job.pk).order_by("id").first())


@contextmanager
def _job_file(job: ImportJob, path: str | None):
    if path:
        yield path
        return
    suffix = os.path.splitext(job.file_name)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle, job.file.open("rb") as stored:
        while chunk := stored.read(1024 * 1024):
            handle.write(chunk)
        handle.flush()
        yield handle.name


def _progress_writer(job: ImportJob):
    """A callback writing rows_done/errors through a separate autocommit connection."""
    if connection.in_atomic_block:
        # Inside an outer transaction (tests) the job row is invisible to another connection.
        return None, None
    side = connections.create_connection("default")

    def write(outcome: pipeline.Outcome) -> None:
        with side.cursor() as cursor:
            cursor.execute("UPDATE imports_importjob SET rows_done = %s, error_count = %s, rows_total = %s "
                           "WHERE id = %s", [outcome.rows_done, outcome.error_count, outcome.rows_total or 0, job.pk])
    return write, side


def import_job_run(*, job_id: int, path: str | None = None, by=None) -> ImportJob:
    """Run a job (from the task, the command or the admin). ``by`` defaults to the job's creator."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    user = by or job.created_by
    scope = scope_for_user(user) if user is not None else EVERYTHING
    if not job.dry_run:
        earlier = _earlier_import(job)
        if earlier is not None:
            job.status = ImportJob.Status.DUPLICATE
            job.message = (f"该文件已于 {timezone.localtime(earlier.finished_at):%Y-%m-%d %H:%M} "
                           f"导入（任务 #{earlier.pk}），本次未写入任何数据")
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "message", "finished_at"])
            return job
    job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    progress, side = _progress_writer(job)
    try:
        with _job_file(job, path) as local:
            outcome = pipeline.run(path=local, kind=job.kind, scope=scope, by=user, job_id=job.pk,
                                   dry_run=job.dry_run, progress=progress)
    except Exception as exc:  # an unexpected failure: recorded on the job (nothing was written)
        job.status, job.message, job.finished_at = ImportJob.Status.FAILED, f"导入出错：{exc!r}", timezone.now()
        job.save()
        raise
    finally:
        if side is not None:
            side.close()
    return _record(job, outcome)


def _record(job: ImportJob, outcome: pipeline.Outcome) -> ImportJob:
    job.rows_total = outcome.rows_total or outcome.rows_done
    job.rows_done = outcome.rows_done
    job.rows_written = outcome.written if outcome.ok else 0
    job.rows_skipped = outcome.skipped
    job.error_count = outcome.error_count
    # What the job keeps shows certnos masked (the clerk finds a row by its number): the job's page
    # and its error report reach everyone who may see the job, not only who may see full IDs.
    job.errors = [error_masked(e.as_dict()) for e in outcome.errors[:pipeline.MAX_ERRORS_KEPT]]
    job.preview = [preview_masked(record) for record in outcome.preview]
    job.rows_per_second = outcome.rows_per_second
    job.finished_at = timezone.now()
    if outcome.error_count:
        report = error_report_xlsx(header=outcome.header, errors=outcome.errors, failed_rows=outcome.failed_rows)
        job.error_report.save(f"errors-{job.pk}.xlsx", ContentFile(report), save=False)
    if outcome.refused:
        job.status, job.message = ImportJob.Status.REFUSED, f"文件被拒绝：{outcome.refused}"
    elif outcome.error_count:
        job.status = ImportJob.Status.REFUSED
        job.message = f"{outcome.error_count} 处错误（{len(outcome.failed_rows)} 行），整个文件未写入"
    elif job.dry_run:
        job.status = ImportJob.Status.PREVIEWED
        job.message = (f"预检通过：将写入 {outcome.written} 行，已存在跳过 {outcome.skipped} 行")
    else:
        job.status = ImportJob.Status.DONE
        job.message = f"已写入 {outcome.written} 行，已存在跳过 {outcome.skipped} 行"
        audit_bulk(action="import", model_label=f"imports.{job.kind}", count=outcome.written, user=job.created_by,
                   channel="import", summary={"job": job.pk, "file": job.file_name, "sha256": job.sha256,
                                              "written": outcome.written, "skipped": outcome.skipped})
    if outcome.summary:
        job.message += f"；{outcome.summary}"
    job.save()
    return job


def import_file(*, kind: str, path: str, by=None, dry_run: bool = False, store: bool = False) -> ImportJob:
    """Create and run a job for a local file in this process (the management command, tests)."""
    job = import_job_create(kind=kind, path=path, file_name=path, by=by, dry_run=dry_run, store=store)
    return import_job_run(job_id=job.pk, path=path, by=by)
