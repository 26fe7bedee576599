"""The streaming validate-then-load pipeline shared by the four kinds.

read (readers) → header mapped (columns) → per batch: every row parsed and checked in memory, the
batch's foreign keys looked up once, duplicates and stored rows found → written set-based → progress.
One transaction around the whole file: any refused row (or a dry run) rolls everything back, so a
file is all-or-nothing. Errors keep being collected after the first one, so staff get the full list.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice

from django.db import IntegrityError, transaction

from config.labels import constraint_label
from config.memory import fewer_collections

from .cells import text_or_repr
from .columns import KINDS, HeaderError, header_key, map_header
from .context import Context, RowError
from .readers import open_sheet
from .safety import FileRefused

logger = logging.getLogger(__name__)

BATCH_ROWS = 5000
MAX_ERRORS_KEPT = 1000          # stored on the job (and shown in the preview)
MAX_FAILED_ROWS = 100_000       # errors and failed rows kept for the downloadable error report
PREVIEW_ROWS = 20


@dataclass
class Outcome:
    kind: str
    header: list[str] = field(default_factory=list)
    rows_total: int | None = None
    rows_done: int = 0
    written: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    failed_rows: dict[int, list] = field(default_factory=dict)
    preview: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    refused: str | None = None   # the whole file refused (not a spreadsheet, bad header...)
    elapsed_ns: int = 0          # wall time of the run, integer nanoseconds

    @property
    def ok(self) -> bool:
        return self.refused is None and self.error_count == 0

    @property
    def rows_per_second(self) -> int | None:
        return self.rows_done * 1_000_000_000 // self.elapsed_ns if self.elapsed_ns else None


def _handler_class(kind: str):
    if kind == "members":
        from .rows_members import MemberRows
        return MemberRows
    if kind == "providers":
        from .rows_providers import ProviderRows
        return ProviderRows
    if kind == "signups":
        from .rows_signups import SignupRows
        return SignupRows
    if kind == "claims":
        from .rows_claims import ClaimRows
        return ClaimRows
    if kind == "registrations":
        from .rows_registrations import RegistrationRows
        return RegistrationRows
    raise ValueError(f"unknown import kind {kind!r}")


def _looks_like_header(kind: str):
    names = {header_key(n) for c in KINDS[kind] for n in (c.header, c.field, *c.synonyms)}

    def check(values) -> bool:
        return sum(1 for v in values if isinstance(v, str) and header_key(v) in names) >= 2
    return check


def run(*, path: str, kind: str, scope, by=None, job_id: int | None = None, dry_run: bool = False,
        progress: Callable[[Outcome], None] | None = None, batch_rows: int = BATCH_ROWS) -> Outcome:
    """Import one file; returns what happened (nothing is written unless ``outcome.ok`` and not dry-run)."""
    outcome = Outcome(kind=kind)
    started = time.perf_counter_ns()
    try:
        _run(outcome, path=path, kind=kind, scope=scope, by=by, job_id=job_id, dry_run=dry_run,
             progress=progress, batch_rows=batch_rows)
    except FileRefused as exc:
        outcome.refused = exc.message
    except HeaderError as exc:
        outcome.refused = str(exc)
    except IntegrityError as exc:
        # A concurrent import or entry stored one of these rows after our checks: the database's
        # constraints refused the load and the transaction rolled back whole. The database's own
        # (English) message goes to the log, the staff read what to do.
        logger.warning("import refused by a constraint: %s", exc)
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        outcome.refused = f"写入时与同时进行的登记冲突（{constraint_label(constraint)}），整个文件未写入，请重新导入"
    outcome.elapsed_ns = time.perf_counter_ns() - started
    return outcome


def _run(outcome: Outcome, *, path, kind, scope, by, job_id, dry_run, progress, batch_rows) -> None:
    try:
        sheet = open_sheet(path, header_check=_looks_like_header(kind))
    except FileRefused as exc:
        if "找不到表头" in exc.message:
            expected = "、".join(c.header for c in KINDS[kind] if c.required)
            raise FileRefused(f"{exc.message}；应包含列：{expected}") from None
        raise
    mapping = map_header(kind, sheet.header)
    outcome.header, outcome.rows_total = sheet.header, sheet.rows_total
    positions = {name: index for index, name in enumerate(mapping) if name}
    handler_class = _handler_class(kind)
    ctx = Context.load(scope=scope)
    # Members/providers are only written while the file is clean; sign-ups and claims go through their
    # services row by row (their rules read earlier rows' effects), so they run even in a dry run.
    writes_always = getattr(handler_class, "writes_always", False)
    handler = handler_class(ctx=ctx, positions=positions, job_id=job_id, by=by,
                            write=writes_always or not dry_run)

    def note(errors: list[RowError], values_by_row: dict[int, list]) -> None:
        for error in errors:
            outcome.error_count += 1
            if len(outcome.errors) < MAX_FAILED_ROWS:
                outcome.errors.append(error)
            if len(outcome.failed_rows) < MAX_FAILED_ROWS and error.row not in outcome.failed_rows:
                outcome.failed_rows[error.row] = values_by_row.get(error.row, [])

    with transaction.atomic():
        try:
            with fewer_collections():
                _batches(outcome, sheet, handler, note, dry_run=dry_run, writes_always=writes_always,
                         progress=progress, batch_rows=batch_rows)
        finally:
            close = getattr(handler, "close", None)
            if close is not None:
                close()  # no write may still be in flight when the transaction ends
        finalize = getattr(handler, "finalize", None)
        if finalize is not None:
            final_errors = finalize()
            if final_errors:
                outcome.written = 0
                note(sorted(final_errors, key=lambda e: e.row), getattr(handler, "values", {}))
        if outcome.error_count == 0 and (writes_always or not dry_run):
            handler.finish()
        outcome.skipped = handler.skipped
        outcome.summary = getattr(handler, "summary", {})
        if getattr(handler, "written_count", None) is not None:
            outcome.written = handler.written_count
        if outcome.error_count:
            outcome.written = 0
        if dry_run or outcome.error_count:
            transaction.set_rollback(True)


def _batches(outcome: Outcome, sheet, handler, note, *, dry_run, writes_always, progress, batch_rows) -> None:
    """Read, check and (while the file is clean) write batch after batch."""
    rows = iter(sheet.rows)
    parse_batch = getattr(handler, "parse_batch", None)
    while True:
        batch = list(islice(rows, batch_rows))
        if not batch:
            break
        values_by_row, errors = {}, []
        if parse_batch is not None and not sheet.formula_cells:
            records, failures = parse_batch(batch)
            for number, values, row_errors in failures:
                errors.extend(row_errors)
                values_by_row[number] = values
            for record in records[:max(PREVIEW_ROWS - len(outcome.preview), 0)]:
                outcome.preview.append(handler.preview(record))
        else:
            records = _parse_rows(outcome, sheet, handler, batch, errors, values_by_row)
        fresh, batch_errors = handler.check_batch(records) if records else ([], [])
        outcome.written += len(fresh)  # rows written (or, in a dry run, that would be)
        if batch_errors:
            values_by_row.update({n: v for n, v in batch if n not in values_by_row})
            errors.extend(batch_errors)
        if fresh and (writes_always or (not dry_run and outcome.error_count == 0 and not errors)):
            write_errors = handler.write(fresh)
            if write_errors:
                values_by_row.update({n: v for n, v in batch if n not in values_by_row})
                errors.extend(write_errors)
        if errors:
            note(sorted(errors, key=lambda e: e.row), values_by_row)
        outcome.rows_done += len(batch)
        if progress:
            progress(outcome)
        if outcome.error_count >= MAX_FAILED_ROWS:
            # Bounded time on junk: the file is refused anyway, the report already holds enough.
            outcome.refused = (f"错误超过 {MAX_FAILED_ROWS} 处，已停止检查（前 {outcome.rows_done} 行）")
            break


def _parse_rows(outcome: Outcome, sheet, handler, batch, errors: list, values_by_row: dict) -> list:
    """Row by row through ``handler.parse``, refusing formula cells first (xlsx)."""
    formula_cells = sheet.formula_cells
    records = []
    for number, values in batch:
        if formula_cells:
            bad = [i for i in range(len(values)) if (number, i) in formula_cells]
            if bad:
                errors.extend(RowError(number, sheet.header[i] if i < len(sheet.header) else str(i + 1),
                                       text_or_repr(values[i]), "单元格含公式，请粘贴为数值",
                                       "formula") for i in bad)
                values_by_row[number] = values
                continue
        record, row_errors = handler.parse(number, values)
        if row_errors:
            errors.extend(row_errors)
            values_by_row[number] = values
        else:
            records.append(record)
            if len(outcome.preview) < PREVIEW_ROWS:
                outcome.preview.append(handler.preview(record))
    return records
