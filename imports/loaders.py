"""Set-based writes of validated members, inside the caller's transaction (a refusal rolls them back).

Per batch (``MemberLoader``): ids reserved from the table's sequence, one binary COPY of the members
straight into ``members_member``. The import's audit record of its members is a few
``imports.ImportedMembers`` rows, the runs of consecutive ids it created (usually one per file),
written by ``finish()``; one ``MemberChange`` per member only with ``IMPORTS_MEMBER_AUDIT_ROWS``.

Where a member's time goes (measured, imports/README.md): the COPY (heap, its indexes most of the rest);
the (region, district) key is checked once per COPY statement by a trigger (members/migrations/0012),
not once per row, and the codes compare byte by byte (COLLATE "C", 0011). That is the bound; Python's
work runs beside it: the COPY of batch N runs in a helper thread while the caller parses batch N+1 on the
other core.
"""
from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg.adapt import Dumper
from psycopg.copy import FileWriter
from psycopg.pq import Format

from config.sequences import ids_draw
from members.models import Member

from .models import ImportedMembers

MEMBER_COLUMNS = ("admdvs", "certno", "psn_name", "insutype", "psn_type", "retired_on", "contribution_base",
                  "poverty", "district", "enrolled_on", "brdy", "gend", "inpatient_only")
_COPY_MEMBERS = (f"COPY members_member (id, {', '.join(MEMBER_COLUMNS)}, status, chronic_diseases, created_at, "
                 "updated_at) FROM STDIN WITH (FORMAT binary)")
# The columns' types, in that order, for psycopg's binary dumpers: a binary COPY field must be in its
# column's own format, which a Python value does not say (an int could be int2, int4 or int8). Binary, so
# the server stores each field as sent instead of parsing dates, amounts and timestamps from text.
_COPY_TYPES = ("int8", "varchar", "varchar", "varchar", "varchar", "varchar", "date", "numeric", "bool",
               "varchar", "date", "date", "varchar", "bool", "varchar", "jsonb", "timestamptz", "timestamptz")


class _JsonbText(Dumper):
    """JSON text sent as jsonb as it is (binary jsonb: format version 1, then the text). The members'
    empty list of chronic diseases is text already: psycopg's own jsonb dumper would run json.dumps on
    it once a row, which measured as much as all the other fields' encoding together."""

    format = Format.BINARY
    oid = psycopg.adapters.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()


# The audit rows of a batch, from the ids just loaded: one statement, whatever the batch size.
_AUDIT_ROWS = ("INSERT INTO members_memberchange (member_id, changed_at, changed_by_id, action, before, after) "
               "SELECT unnest(%s::bigint[]), %s, %s, 'import', '{}'::jsonb, %s::jsonb")


def audit_rows_enabled() -> bool:
    """Also one ``MemberChange`` ("import", with the job id) per imported member (off by default).

    The ``ImportedMembers`` runs already say, for every imported member, which job (file, hash), who
    and when, and the member's page shows it; the per-member row adds nothing to that and cost ~7 µs of
    the database's ~26 µs a member (the row, its two indexes, its foreign-key check)."""
    return getattr(settings, "IMPORTS_MEMBER_AUDIT_ROWS", False)


def _audit(job_id) -> dict:
    return {"import_job": job_id}


class IdRuns:
    """The ids this import gave its members, as runs of consecutive integers ``[first, last]``.

    Exact by construction: a run is only ever made of ids that were handed to us, so an id drawn by
    another session in between (sequences are shared and not transactional) splits the run."""

    def __init__(self):
        self.runs: list[list[int]] = []

    def add_range(self, first: int, last: int) -> None:
        """Ids ``first`` to ``last``, all ours (a sweep that came back without holes)."""
        if self.runs and self.runs[-1][1] + 1 == first:
            self.runs[-1][1] = last  # the next batch's sweep followed ours directly
        else:
            self.runs.append([first, last])

    def add(self, ids: list[int]) -> None:
        """Ids in increasing order, possibly with holes."""
        for member_id in ids:
            if self.runs and self.runs[-1][1] + 1 == member_id:
                self.runs[-1][1] = member_id
            else:
                self.runs.append([member_id, member_id])

    def merged(self) -> list[tuple[int, int]]:
        """The runs in id order, adjacent ones joined (batches need not come in id order)."""
        merged: list[list[int]] = []
        for first, last in sorted(self.runs):
            if merged and first <= merged[-1][1]:
                raise ValueError(f"member id {first} given twice in one import")
            if merged and merged[-1][1] + 1 == first:
                merged[-1][1] = last
            else:
                merged.append([first, last])
        return [(first, last) for first, last in merged]


def record_ranges(runs: IdRuns, *, job_id, by_id, at) -> int:
    """The import's audit record of its members: one ``ImportedMembers`` row per run of ids."""
    rows = [ImportedMembers(job_id=job_id, first_id=first, last_id=last, loaded_at=at, loaded_by_id=by_id)
            for first, last in runs.merged()]
    ImportedMembers.objects.bulk_create(rows)
    return len(rows)


class MemberLoader:
    """COPY per batch in a helper thread on the import's connection (same transaction), overlapping
    PostgreSQL's work with the caller's parsing of the next batch. At most one batch is in flight;
    ``drain()`` waits for it and re-raises its failure as Django's exception (a unique violation from
    a concurrent registration is an ``IntegrityError``, which refuses the file whole)."""

    def __init__(self, *, job_id, by):
        self.job_id, self.by_id = job_id, getattr(by, "pk", None)
        # An autocommit connection the ids may be reserved on (set by the caller when it has one), so
        # the import's own connection only ever loads.
        self.side = None
        self.written = 0
        self.audit = json.dumps(_audit(job_id))
        self.audit_rows = audit_rows_enabled()
        self.now = timezone.now()
        # status, chronic_diseases, created_at, updated_at: every row of one import carries the same
        # timestamps (the job's start), as one statement would.
        self.tail = (Member.Status.ACTIVE.value, "[]", self.now, self.now)
        self.constraints: str | None = None  # foreign keys switched to per-statement checks
        self.pool: ThreadPoolExecutor | None = None
        self.pending = None
        self.ids = IdRuns()

    def _reserve_ids(self, count: int) -> list[int]:
        """``count`` fresh ids. Sequences are not transactional, so the side connection may hand them
        out while the import's own connection is busy loading the previous batch."""
        if self.side is None:
            self.drain()  # the import's connection is free for this query
        source = self.side if self.side is not None else connection
        with source.cursor() as cursor:
            ids = ids_draw(cursor, table=Member._meta.db_table, column="id", count=count)
        if isinstance(ids, range):
            self.ids.add_range(ids.start, ids.stop - 1)
            return list(ids)
        self.ids.add(ids)
        return ids

    def add(self, records: list[tuple]) -> int:
        ids = self._reserve_ids(len(records))
        payload = self._encoded(ids, records)
        self.drain()
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-copy")
        self.pending = self.pool.submit(self._write, connection.connection, payload, ids)
        self.written += len(records)
        return len(records)

    def _encoded(self, ids: list[int], records: list[tuple]) -> bytes:
        """The batch in COPY's binary format, encoded by psycopg here, in the caller's thread, so the
        helper thread only sends bytes and hardly takes the GIL from the caller parsing the next batch
        (encoding in the helper thread made the xlsx import 4–6 % slower: imports/README.md). The cursor
        only lends its adapters and the connection's encoding: it runs nothing, so the COPY in flight on
        the same connection is not disturbed."""
        tail = self.tail
        buffer = io.BytesIO()
        with connection.connection.cursor() as encoder:
            # by type only (no Python class): for the jsonb column set_types names, nothing else
            encoder.adapters.register_dumper(None, _JsonbText)
            with psycopg.Copy(encoder, binary=True, writer=FileWriter(buffer)) as copy:
                copy.set_types(_COPY_TYPES)
                for member_id, record in zip(ids, records):
                    # a record is (row number, then the MEMBER_COLUMNS' values)
                    copy.write_row((member_id, *record[1:], *tail))
        return buffer.getvalue()

    def drain(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            with connection.wrap_database_errors:
                pending.result()  # re-raises a failed COPY in the caller, as django.db's exception

    def close(self) -> None:
        """Waits for the batch in flight (whatever happens, before the transaction ends)."""
        try:
            self.drain()
        finally:
            if self.pool is not None:
                self.pool.shutdown()
                self.pool = None

    def finish(self) -> int:
        """After the last batch of a clean file: the audit record of the members (their id runs), and
        the foreign keys back to their declared (deferred) mode, which only matters when an enclosing
        transaction goes on."""
        self.close()
        if self.constraints:
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {self.constraints} DEFERRED")
        record_ranges(self.ids, job_id=self.job_id, by_id=self.by_id, at=self.now)
        return self.written

    def _write(self, raw_connection, payload: bytes, ids: list[int]) -> None:
        with raw_connection.cursor() as raw:
            if self.constraints is None:
                self.constraints = _checked_per_statement(raw)
            with raw.copy(_COPY_MEMBERS) as copy:
                copy.write(payload)
            _planner_statistics(raw)
            if self.audit_rows:
                raw.execute(_AUDIT_ROWS, ["{" + ",".join(map(str, ids)) + "}", self.now, self.by_id, self.audit])


def _checked_per_statement(cursor) -> str:
    """Foreign keys of the loaded tables checked at the end of each statement, not at the commit.

    Django declares them DEFERRABLE INITIALLY DEFERRED, so PostgreSQL would queue one check per row
    (the per-member audit row's key to its member; before members/migrations/0012 also the composite
    (admdvs, district) key, now a per-statement trigger) and run them all in the COMMIT, while Python
    waits with nothing to do: 10 s of a 1M-row import with the two keys members had before. Checked per
    batch, they run while Python parses the next one. The same checks, only earlier; the file is still
    refused whole if one fails. Found in pg_constraint, not from Django's models, so a raw-SQL key
    Django does not know would be included."""
    cursor.execute("SELECT string_agg(quote_ident(conname), ', ') FROM pg_constraint WHERE contype = 'f' "
                   "AND condeferrable AND conrelid IN ('members_member'::regclass, 'members_memberchange'::regclass)")
    names = cursor.fetchone()[0] or ""
    if names:
        cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
    return names


def _planner_statistics(cursor) -> None:
    """Statistics that count the rows this transaction loads, if the stored ones say "empty".

    Why: autovacuum may analyse ``members_member`` while a big import into an empty table runs; it
    cannot see the uncommitted rows and records the table as empty (reltuples 0) although its pages are
    full of them. Planned on that, the per-batch lookups (side connection) and the audit rows'
    foreign-key check (``SELECT ... WHERE id = $1``, once per row) picked a scan of another whole index
    per key: quadratic, minutes for 1M rows. ANALYZE inside this transaction counts our own rows, and
    the lock it takes is held to the commit, so autovacuum cannot analyse the table again meanwhile (it
    skips it; a concurrent import's own ANALYZE waits). Any count above zero keeps the plans right, as
    the planner scales it by the table's current size. One cheap query a batch; ANALYZE ~0.1 s."""
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'members_member'::regclass")
    if cursor.fetchone()[0] < 1:
        cursor.execute("ANALYZE members_member (id, admdvs, certno)")
