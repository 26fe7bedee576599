"""Celery tasks of the claims app: thin wrappers with explicit arguments (claims/files.py)."""
from __future__ import annotations

from celery import shared_task

from .files import claims_partition_settle, rows_unpack


@shared_task(name="claims.tasks.settle_partition")
def settle_partition(*, positions: list[int], user_id: int | None, packed_rows: dict | None = None,
                     rows: list[dict] | None = None) -> dict:
    # ``packed_rows`` (files.rows_pack) through a broker; ``rows`` when eager (and from a message
    # an earlier version queued before a deploy).
    return claims_partition_settle(rows=rows_unpack(packed_rows) if packed_rows is not None else rows,
                                   positions=positions, user_id=user_id)

