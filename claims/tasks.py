"""Celery tasks of the claims app: thin wrappers with explicit arguments (claims/files.py)."""
from __future__ import annotations

from celery import shared_task

from .files import claims_file_collect, claims_partition_settle


@shared_task(name="claims.tasks.settle_partition")
def settle_partition(*, rows: list[dict], positions: list[int], user_id: int | None) -> dict:
    return claims_partition_settle(rows=rows, positions=positions, user_id=user_id)


@shared_task(name="claims.tasks.settle_file_collect")
def settle_file_collect(partitions: list[dict], *, total: int) -> dict:
    return claims_file_collect(partitions, total=total)
