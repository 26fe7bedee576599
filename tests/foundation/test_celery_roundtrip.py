"""A real round trip through Redis: a worker subprocess runs ``config.ping`` and the result comes back.

The worker listens on a queue of its own, so workers other people run on the same Redis never take
this test's message.
"""
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.redis
def test_given_worker_on_redis_when_ping_sent_then_result_comes_back():
    queue = f"foundation-ping-{uuid.uuid4().hex[:8]}"
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [str(celery), "-A", "config", "worker", "--pool=solo", "-c", "1", "-l", "warning", "-Q", queue,
         "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        result = app.send_task("config.ping", args=[41], queue=queue)
        assert result.get(timeout=90) == 42
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
