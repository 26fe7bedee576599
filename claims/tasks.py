"""Celery tasks of the claims app: thin wrappers with explicit arguments around the services."""
from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from .batch import claims_settle_batch
from .requests import claim_request_parse


@shared_task(name="claims.tasks.settle_batch")
def settle_batch(*, rows: list[dict], user_id: int | None) -> dict:
    """Settle a file's visits (JSON rows as the API takes them) as ``user_id`` (None: the system).
    Answers per row ``{"setl_id", "status", "hifp_pay", "created"}`` or ``{"errors"}``."""
    by = get_user_model().objects.get(pk=user_id) if user_id is not None else None
    requests, results = [], [None] * len(rows)
    positions = []
    for index, row in enumerate(rows):
        try:
            requests.append(claim_request_parse(row))
            positions.append(index)
        except ValidationError as exc:
            results[index] = {"errors": exc.message_dict}
    for index, outcome in zip(positions, claims_settle_batch(requests=requests, by=by)):
        results[index] = ({"errors": outcome.errors} if outcome.errors else
                          {"setl_id": outcome.claim.setl_id, "status": outcome.claim.status,
                           "hifp_pay": str(outcome.claim.hifp_pay), "created": outcome.created})
    return {"settled": sum(1 for r in results if r.get("created")), "rows": results}
