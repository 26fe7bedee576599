"""Set-based writes of validated rows. PostgreSQL: COPY per batch straight into the tables (ids
reserved from the sequence first, so the audit rows can be COPYed too); other databases:
``bulk_create`` in batches. Both run inside the caller's transaction, so a refusal rolls them back.
"""
from __future__ import annotations

import json
import re

from django.conf import settings
from django.db import connection
from django.utils import timezone

from members.models import Member, MemberChange

BULK_BATCH = 1000
MEMBER_COLUMNS = ("admdvs", "certno", "psn_name", "insutype", "psn_type", "retired_on", "contribution_base",
                  "poverty", "district", "enrolled_on", "brdy", "gend")


def member_loader(*, job_id: int | None, by):
    if connection.vendor == "postgresql":
        return PostgresMemberLoader(job_id=job_id, by=by)
    return BulkMemberLoader(job_id=job_id, by=by)


_SPECIAL = re.compile(r"[\\\t\n\r]")


def _escape(value: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return escaped."""
    if _SPECIAL.search(value):
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _field(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _escape(value)
    return str(value)  # date (ISO), Decimal


def _text_row(record: tuple) -> str:
    """A member record (row, admdvs, certno, psn_name, insutype, psn_type, retired_on, base, poverty,
    district, enrolled_on, brdy, gend) as COPY text: only the name can hold special characters."""
    _, admdvs, certno, name, insutype, psn_type, retired_on, base, poverty, district, enrolled_on, brdy, gend = record
    return (f"{admdvs}\t{certno}\t{_escape(name)}\t{insutype}\t{psn_type}\t{_field(retired_on)}\t{_field(base)}\t"
            f"{'t' if poverty else 'f'}\t{district}\t{enrolled_on}\t{brdy}\t{gend}")


def audit_rows_enabled() -> bool:
    """One ``MemberChange`` ("import", with the job id) per imported member, as ``member_create`` writes
    one per member (default). ``IMPORTS_MEMBER_AUDIT_ROWS = False`` leaves the ImportJob (who, when, the
    stored file and its SHA-256) as the only record of a bulk load: about 40% less database work."""
    return getattr(settings, "IMPORTS_MEMBER_AUDIT_ROWS", True)


def _audit(job_id) -> dict:
    return {"import_job": job_id}


class BulkMemberLoader:
    def __init__(self, *, job_id, by):
        self.job_id, self.by = job_id, by
        self.written = 0

    def add(self, records: list[tuple]) -> int:
        members = [Member(admdvs_id=r[1], certno=r[2], psn_name=r[3], insutype=r[4], psn_type=r[5], retired_on=r[6],
                          contribution_base=r[7], poverty=r[8], district_id=r[9], enrolled_on=r[10], brdy=r[11],
                          gend=r[12]) for r in records]
        Member.objects.bulk_create(members, batch_size=BULK_BATCH)
        if members and members[0].pk is None:  # a backend that does not return ids
            ids = dict(((m.admdvs_id, m.certno), m.pk) for m in Member.objects.filter(
                certno__in=[m.certno for m in members]).only("pk", "admdvs_id", "certno"))
            for m in members:
                m.pk = ids[(m.admdvs_id, m.certno)]
        if not audit_rows_enabled():
            self.written += len(members)
            return len(members)
        audit = _audit(self.job_id)
        MemberChange.objects.bulk_create(
            [MemberChange(member_id=m.pk, changed_by=self.by, action="import", before={}, after=audit)
             for m in members], batch_size=BULK_BATCH)
        self.written += len(members)
        return len(members)

    def finish(self) -> int:
        return self.written


class PostgresMemberLoader:
    """Per batch: ids reserved from the table's sequence (one query), then COPY of the members and COPY
    of their audit rows straight into the final tables. No staging, no row-by-row statements.

    The writes of batch N run in a helper thread on the same connection (same transaction) while the
    caller parses batch N+1: PostgreSQL's work and Python's overlap on two cores. At most one batch is
    in flight; ``drain()`` waits for it (called before the transaction ends, whatever happens)."""

    def __init__(self, *, job_id, by):
        self.job_id, self.by = job_id, by
        self.written = 0
        self.audit = json.dumps(_audit(job_id))
        self.by_id = getattr(by, "pk", None)
        self.audit_rows = audit_rows_enabled()
        self.pool = None
        self.pending = None

    def add(self, records: list[tuple]) -> int:
        from concurrent.futures import ThreadPoolExecutor

        self.drain()
        if self.pool is None:
            with connection.cursor() as cursor:
                # Foreign-key checks (run per row by PostgreSQL, at commit) must probe the primary-key
                # indexes: with planner statistics taken while the table was empty, they would scan the
                # whole table per row (quadratic on a fresh database). Scoped to this transaction.
                cursor.execute("SET LOCAL enable_seqscan = off")
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-copy")
        self.pending = self.pool.submit(self._write, connection.connection, records)
        self.written += len(records)
        return len(records)

    def drain(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()  # re-raises a failed COPY in the caller

    def finish(self) -> int:
        self.drain()
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
        return self.written

    def _write(self, raw_connection, records: list[tuple]) -> None:
        now = timezone.now().isoformat()
        with raw_connection.cursor() as raw:
            raw.execute("SELECT nextval(pg_get_serial_sequence('members_member', 'id')) "
                        "FROM generate_series(1, %s)", [len(records)])
            ids = [row[0] for row in raw.fetchall()]
            tail = f"\tactive\t[]\t{now}\t{now}\n"
            lines = [f"{member_id}\t{_text_row(record)}{tail}" for member_id, record in zip(ids, records)]
            with raw.copy(f"COPY members_member (id, {', '.join(MEMBER_COLUMNS)}, status, chronic_diseases, "
                          "created_at, updated_at) FROM STDIN") as copy:
                copy.write("".join(lines).encode())
            if not self.audit_rows:
                return
            by_id = r"\N" if self.by_id is None else str(self.by_id)
            tail = f"\t{now}\t{by_id}\timport\t{{}}\t{_escape(self.audit)}\n"
            with raw.copy("COPY members_memberchange (member_id, changed_at, changed_by_id, action, before, after) "
                          "FROM STDIN") as copy:
                copy.write("".join([f"{member_id}{tail}" for member_id in ids]).encode())
