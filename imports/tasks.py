"""Celery entry point: thin, takes the job id (eager in the embedded default)."""
from celery import shared_task


@shared_task(name="imports.run_job")
def import_job_run_task(job_id: int) -> str:
    from .services import import_job_run

    return import_job_run(job_id=job_id).status
