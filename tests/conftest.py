"""Shared fixtures. Tests build their own data with the factories here; none depends on demo data."""
import pytest
from django.db import connection

from tests.factories import *  # noqa: F401,F403  (fixtures)


def pytest_collection_modifyitems(config, items):
    import os

    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(pytest.mark.skip(reason="needs Redis (set REDIS_URL)"))
