"""Celery application.

With ``REDIS_URL`` set, tasks go through Redis to a worker; without it the settings make Celery
run tasks eagerly in-process, so the embedded default needs no servers.

Worker:  celery -A config worker -l info
Beat:    celery -A config beat -l info   (run exactly one beat per deployment)
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ybjb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping(value: int) -> int:
    """Round-trip check used by the broker test and by operators after a deploy."""
    return value + 1
