"""Celery application.

With ``REDIS_URL`` set, tasks go through Redis to a worker; without it the settings make Celery
run tasks eagerly in-process, so the embedded default needs no servers.

Worker:  celery -A config worker -l info
Beat:    celery -A config beat -l info   (run exactly one beat per deployment)
"""
import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ybjb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping")
def ping(value: int) -> int:
    """Round-trip check used by the broker test and by operators after a deploy."""
    return value + 1


@worker_process_init.connect
def _long_lived_objects_frozen(**_) -> None:
    # In each prefork child, once the application is loaded (Django and every app's modules, about
    # 125 000 objects): moved to the permanent generation, the garbage collector no longer walks
    # them in its full collections, as gunicorn.conf.py does for the web workers. A claims file's
    # partition then costs a few per cent less CPU (measured in bench/claims.py's batch).
    gc.freeze()
