"""Gunicorn settings, read from the working directory by ``gunicorn config.wsgi`` (README "Production";
the benchmarks start it the same way). Command-line flags (``-w``, ``-b``) and ``GUNICORN_CMD_ARGS``
override these.

Threads, not more processes: a request spends a good part of its wall time waiting for PostgreSQL
(its commit's WAL flush, the round trips), and with gunicorn's default sync worker the worker could
do nothing else meanwhile while the next clients waited in the listen queue; a slow flush held up
every request queued behind it. A gthread worker serves ``threads`` requests at once, so one thread
runs Python while the others wait on the database; the GIL keeps the Python part one at a time per
process, which is why the processes stay at about one per core.

No keep-alive by default: the connection is closed after each answer, so each request is accepted by
whichever worker is free. A kept-alive connection stays with the worker that accepted it, and with
a few busy clients one process (one GIL, one core) held most of them while the other idled: in the
claims benchmark (8 clients, 2 workers, ``bench/run.py claims --only http``) one worker did 60-90 %
of the work in most runs, and the p99 moved with that split. Measured on one database, alternated,
14 runs each: kept alive p99 34.3-46.9 ms (and 51.5 ms in a run before), 302-396 claims/s; closed
after each answer 37.4-42.5 ms, 344-383 claims/s, the two workers within 0.1 ms of CPU a claim of
each other in every run (a new loopback connection a request costs less than the imbalance did).
Behind a reverse proxy (nginx speaks HTTP/1.0 to its upstream by default, a connection a request)
this is what gunicorn sees anyway; the proxy keeps the clinics' own connections alive.
``GUNICORN_KEEPALIVE=<seconds>`` turns keep-alive back on.
"""
import gc
import os
import sys

workers = int(os.environ.get("GUNICORN_WORKERS", 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Seconds an idle keep-alive connection is held open for the client's next request; 0: none (above).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 0))


def post_fork(server, worker):
    # A thread whose database answer has arrived (or the worker's thread that accepts the next
    # request) waits for the GIL until the running thread blocks or the switch interval ends, 5 ms
    # by default; a request makes about ten round trips. 1 ms bounds each such wait; the extra
    # switches cost microseconds.
    sys.setswitchinterval(0.001)


def post_worker_init(worker):
    # The URLconf, and with it every app's urls and views (and DRF's parsers, authentication and
    # throttle classes they name), imported now rather than by the worker's first request: that
    # request took 0.6-0.8 s more for it (measured in-process on the shared bench machine: 0.11-0.16 s
    # with it done before), and every worker (re)start put one such answer in a clinic's queue.
    # Done before the freeze below, so these modules' objects are frozen too.
    from django.urls import get_resolver

    worker.log.debug("URLconf loaded: %d patterns", len(get_resolver().url_patterns))
    # The application is loaded (Django, DRF, every app's modules: about 140 000 objects). Moved to
    # the permanent generation, the garbage collector no longer walks them: a full collection among
    # them paused the worker, and every request in it, for 100-160 ms (one every few thousand
    # requests, measured in-process on the shared bench machine), and the young collections cost
    # a fifth less (0.13 against 0.17 ms a request).
    gc.freeze()
