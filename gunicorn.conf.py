"""Gunicorn settings, read from the working directory by ``gunicorn config.wsgi`` (README "Production";
the benchmarks start it the same way). Command-line flags (``-w``, ``-b``) override these.

Threads, not more processes: a request spends most of its wall time waiting for PostgreSQL (its
commit's fsync, the round trips), and with gunicorn's default sync worker a worker's core sat idle
meanwhile while the next client waited in the listen queue. A gthread worker serves ``threads``
requests at once, so one thread runs Python while the others wait on the database; the GIL keeps
the Python part one at a time per process, which is why the processes stay at about one per core.
The gthread worker also keeps a client's connection open between requests (HTTP/1.1 keep-alive, as
a clinic system's client does); the sync worker closed it after every answer.
"""
import os

workers = int(os.environ.get("GUNICORN_WORKERS", 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Seconds an idle keep-alive connection is held open for the client's next request.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
