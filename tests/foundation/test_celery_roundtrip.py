"""A real round trip through Redis: a worker subprocess runs ``config.ping`` and the result comes back.

The worker listens on a queue of its own, so workers other people run on the same Redis never take
this test's message.
"""
import uuid

import pytest

from config.celery import app
from tests.celery_worker import celery_worker


@pytest.mark.redis
def test_given_worker_on_redis_when_ping_sent_then_result_comes_back():
    queue = f"foundation-ping-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue):
        result = app.send_task("config.ping", args=[41], queue=queue)
        assert result.get(timeout=90) == 42
