"""One claim's transaction in two round trips, over libpq's pipeline mode (PostgreSQL).

A claim outside any transaction is: the read that locks the member's accumulator row, the decision
in Python, and one write. Through ``transaction.atomic()`` that is four round trips (BEGIN, read,
write, COMMIT). Here it is two, in one implicit transaction:

1. the read, sent with a *flush request* and no Sync: PostgreSQL runs it and answers, and the
   transaction (with the row lock) stays open;
2. the write, sent with the pipeline's *Sync*: PostgreSQL runs it and commits. Any error rolls the
   whole implicit transaction back, so nothing is half written.

The lock is held from the read to the commit exactly as in an explicit transaction.

Why libpq directly, not psycopg's ``Connection.pipeline()``: psycopg's pipeline bookkeeping is
Python, and for a claim it cost twice the CPU of the statements' own dumping, sending and loading
(0.27 against 0.12 ms a claim, measured on the read and write of a claim). This module uses psycopg's
C parts only: ``PGconn`` (libpq), the ``Transformer`` that dumps parameters and loads rows with the
connection's adapters (Django's loaders included), and its non-blocking wait. Statements are
prepared on the server once per connection under names of our own.

Rules for code inside ``claim_pipeline``:
- statements go through ``ClaimPipeline.fetch`` (a read, answered now) or ``queue`` (a write,
  answered after the commit);
- nothing else may use the connection. A Django query inside the block (the ORM, a raw cursor)
  raises ``PipelineDeclined`` before it is sent, and the block is rolled back; the caller then does
  the work the ordinary way (``transaction.atomic()``).

Only for a connection in autocommit, outside ``transaction.atomic()`` and without execute wrappers
(``claim_pipeline_possible``). ``DEBUG`` / ``CaptureQueriesContext`` still see the statements: they
are added to the connection's query log.
"""
from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from typing import Callable

from django.db import DatabaseError

logger = logging.getLogger("django.db.backends")

import psycopg
from psycopg import errors as pg_errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.generators import fetch_many, send

_FATAL, _ABORTED, _SYNC = pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.PIPELINE_ABORTED, pq.ExecStatus.PIPELINE_SYNC

# The server's error when a statement prepared under our name no longer exists (a pooler's or a
# client's DISCARD ALL / DEALLOCATE): the names are forgotten and the claim goes the ordinary way.
_NO_SUCH_STATEMENT = "26000"


class PipelineDeclined(Exception):
    """The block needed something the pipeline does not do (a query of its own, a vanished prepared
    statement). It was rolled back with nothing written; do the work in ``transaction.atomic()``."""


def claim_pipeline_possible(connection) -> bool:
    """PostgreSQL with libpq's pipeline mode, in autocommit, outside ``transaction.atomic()`` (whose
    statements must stay in its transaction) and without execute wrappers (which must see every
    statement as it is sent)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or connection.execute_wrappers:
        return False
    if not connection.get_autocommit():
        return False
    return psycopg.Pipeline.is_supported()


class ClaimPipeline:
    """An open implicit transaction on one connection (see the module's docstring)."""

    def __init__(self, connection):
        self.connection = connection
        self.raw = connection.connection
        self.pgconn = self.raw.pgconn
        self.state = _state_for(connection, self.raw)
        self.expected: list[Callable | None] = []  # per command sent and not yet answered: its result handler
        self.preparing: list[str] = []  # statements whose Parse is among them
        self.logged = connection.queries_logged

    # -- statements ----------------------------------------------------------------------------
    def fetch(self, sql: str, params: list) -> list[tuple]:
        """Run a read now (a round trip) and return its rows; the transaction stays open."""
        rows: list[list[tuple]] = []
        started = time.monotonic()
        self._send(sql, params, lambda result: rows.append(self._rows(result)))
        self.pgconn.send_flush_request()
        self._answers()
        self._log(sql, params, time.monotonic() - started)
        return rows[0]

    def queue(self, sql: str, params: list, on_rows: Callable[[list[tuple]], None] | None = None) -> None:
        """Send a write with the commit; ``on_rows`` gets its rows (RETURNING) once committed."""
        self._send(sql, params, (lambda result: on_rows(self._rows(result))) if on_rows else None)
        self._log(sql, params, 0.0)

    def commit(self) -> None:
        """The Sync: PostgreSQL commits the implicit transaction (or, after an error, has rolled it
        back and the error is raised here). Leaves pipeline mode either way."""
        self.pgconn.pipeline_sync()
        self._answers(until_sync=True)

    def rollback(self) -> None:
        """ROLLBACK and Sync, read every answer, leave pipeline mode. Never raises: on a broken
        connection it is closed (Django opens a new one when next asked)."""
        try:
            self.expected = [None] * len(self.expected)  # a write already sent is answered, not reported
            self.pgconn.send_query_params(b"ROLLBACK", None)
            self.expected.append(None)
            self.pgconn.pipeline_sync()
            self._answers(until_sync=True, raise_errors=False)
        except Exception:  # the connection is unusable in an unknown pipeline state
            logger.warning("claims pipeline: connection closed after a failed rollback", exc_info=True)
            self.connection.close()

    # -- wire ----------------------------------------------------------------------------------
    def _send(self, sql: str, params: list, handler: Callable | None) -> None:
        prepared = self.state.prepared
        name = prepared.get(sql)
        if name is None:
            # Prepared in the same round trip as its first use: the server answers the Parse first.
            name = prepared[sql] = self.state.next_name()
            self.preparing.append(sql)
            self.pgconn.send_prepare(name, _dollar_placeholders(sql).encode())
            self.expected.append(None)
        # Parameters as text, their types inferred by the server when it prepared the statement:
        # valid for every column type whatever Python type a value comes in.
        values = self.state.transformer.dump_sequence(params, [PyFormat.TEXT] * len(params))
        self.pgconn.send_query_prepared(name, values)
        self.expected.append(handler)

    def _answers(self, *, until_sync: bool = False, raise_errors: bool = True) -> None:
        """Flush, then read one answer per command sent (and the Sync's, which also leaves pipeline
        mode); the first error is raised after every answer is read, so the connection is left in
        step with the server."""
        raw, pgconn = self.raw, self.pgconn
        error = None
        raw.wait(send(pgconn))
        expected, self.expected = self.expected, []
        for handler in expected:
            results = raw.wait(fetch_many(pgconn))
            result = results[-1] if results else None
            if result is None or result.status == _ABORTED:
                continue
            if result.status == _FATAL:
                error = error or pg_errors.error_from_result(result, encoding=raw.info.encoding)
            elif handler is not None:
                handler(result)
        if until_sync:
            results = raw.wait(fetch_many(pgconn))
            if not results or results[-1].status != _SYNC:
                raise pg_errors.InternalError("claims pipeline out of step with the server")
            pgconn.exit_pipeline_mode()
        preparing, self.preparing = self.preparing, []
        if error is not None:
            if error.sqlstate == _NO_SUCH_STATEMENT:
                self.state.prepared.clear()  # gone on the server: prepared again under new names
            else:
                for sql in preparing:  # a Parse that failed or was skipped left no statement
                    self.state.prepared.pop(sql, None)
            if raise_errors:
                raise error

    def _rows(self, result) -> list[tuple]:
        transformer = self.state.transformer
        transformer.set_pgresult(result)
        return transformer.load_rows(0, result.ntuples, tuple)

    def _log(self, sql: str, params: list, duration: float) -> None:
        if self.logged:
            self.connection.queries_log.append({"sql": sql, "time": f"{duration:.3f}"})
            logger.debug("(%.3f) %s; args=%s; alias=%s", duration, sql, params, self.connection.alias)


@contextmanager
def claim_pipeline(connection):
    """The block's statements in one implicit transaction, committed when the block ends (or
    rolled back whole, on an exception). Check ``claim_pipeline_possible`` first. Database errors
    come out as Django's; ``PipelineDeclined`` when the block must be done the ordinary way."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        pipeline = ClaimPipeline(connection)
        pipeline.pgconn.enter_pipeline_mode()
    connection._claims_pipeline = pipeline
    # Anything else that would use the connection meanwhile is stopped before it is sent.
    connection.execute_wrappers.append(_decline)
    try:
        try:
            with connection.wrap_database_errors:
                yield pipeline
        except BaseException as exc:
            pipeline.rollback()
            _declined_if_vanished(exc)
            raise
        try:
            with connection.wrap_database_errors:
                pipeline.commit()
        except BaseException as exc:
            if pipeline.pgconn.pipeline_status:  # a failure on the wire before the Sync's answer
                pipeline.rollback()
            _declined_if_vanished(exc)
            raise
    finally:
        connection.execute_wrappers.remove(_decline)
        connection._claims_pipeline = None


def _declined_if_vanished(exc: BaseException) -> None:
    if isinstance(exc, DatabaseError) and getattr(exc.__cause__, "sqlstate", None) == _NO_SUCH_STATEMENT:
        raise PipelineDeclined("a prepared statement of the claims pipeline vanished") from exc


def active_pipeline(connection) -> ClaimPipeline | None:
    return getattr(connection, "_claims_pipeline", None)


def _decline(execute, sql, params, many, context):
    raise PipelineDeclined(f"a query inside the claims pipeline: {sql[:80]}")


class _ConnectionState:
    """What a connection keeps between claims: its prepared statements' names and its Transformer."""

    __slots__ = ("raw", "prepared", "transformer", "count")

    def __init__(self, raw):
        self.raw, self.prepared, self.transformer, self.count = raw, {}, Transformer(raw), 0

    def next_name(self) -> bytes:
        # Never reused on the connection, so a name forgotten here can never collide with one
        # the server still has.
        self.count += 1
        return f"_claims_{self.count}".encode()


def _state_for(connection, raw) -> _ConnectionState:
    """Made again when Django has reconnected (a new raw connection has none of the statements)."""
    state = getattr(connection, "_claims_pipeline_state", None)
    if state is None or state.raw is not raw:
        state = connection._claims_pipeline_state = _ConnectionState(raw)
    return state


_PLACEHOLDER = re.compile(r"%(s|%)")
_DOLLARS: dict[str, str] = {}


def _dollar_placeholders(sql: str) -> str:
    """Django's ``%s`` placeholders as the server's ``$1, $2...`` (``%%`` is a literal %)."""
    converted = _DOLLARS.get(sql)
    if converted is None:
        count = 0

        def number(match):
            nonlocal count
            if match.group(1) == "%":
                return "%"
            count += 1
            return f"${count}"

        converted = _DOLLARS[sql] = _PLACEHOLDER.sub(number, sql)
    return converted
