"""Shared fixtures. Tests build their own data with the factories here; none depends on demo data."""
import pytest

from tests.factories import *  # noqa: F401,F403  (fixtures)


def pytest_collection_modifyitems(config, items):
    import os

    for item in items:
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))


@pytest.fixture(autouse=True)
def _seed_after_flush(request):
    """Transactional tests end with a flush; after a serialized_rollback one Django skips the
    post_migrate signal, leaving the next transactional test without content types, roles and the
    seeded regions. Re-send post_migrate then (every seed handler is idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames or (
        marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if transactional:
        from django.core.management.sql import emit_post_migrate_signal

        # After Django's own set-up of the test (a serialized_rollback test restores the seeded rows
        # first, with their original ids; seeding before it would clash with them).
        request.getfixturevalue("live_server" if "live_server" in request.fixturenames else "transactional_db")

        from policy.models import Region

        if not Region.objects.exists():
            emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    yield


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process in tests, also when REDIS_URL is set (CI): no worker is running for them.
    Tests marked ``redis`` start a real worker and keep the broker path."""
    if "redis" in request.keywords:
        yield
        return
    from config.celery import app

    # The app reads its settings with the CELERY_ namespace, so the namespaced keys are the ones to set.
    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    try:
        yield
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = saved
