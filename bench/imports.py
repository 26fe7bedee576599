"""Bulk import benchmark (PostgreSQL): ``python bench/run.py import [--xlsx-rows N --csv-rows M]``.

Generates a members xlsx (default 100 000 rows) and a members csv (default 1 000 000 rows), imports
each end to end through ``imports.pipeline`` (read, validate, write) and, on the same rows, three
references: django-import-export's default row-by-row import (on a sample, extrapolated: said so in
its line), its bulk mode (use_bulk, batch_size=1000, skip_diff, force_init_instance) and the floor, a
bare psycopg COPY of the same rows already in final form (also with one MemberChange row per member
written by one INSERT ... SELECT: the floor of an import that keeps per-member audit rows). Each
file is imported as configured by default (the audit record is the imports.ImportedMembers id runs)
and again with ``IMPORTS_MEMBER_AUDIT_ROWS`` (one MemberChange per member as well), for comparison. Reading
alone and reading + validating are measured per file too, and each pipeline run reports its database
backend's CPU time, so the summary can say where a row's time goes. Each measurement runs in its own
process so its peak memory
(ru_maxrss) is its own. Output: JSON lines (see bench/common.py).

The import and reference phases TRUNCATE the members tables (and import jobs) of the database they
run on: without DATABASE_URL that is the embedded default's, so point DATABASE_URL at a scratch
database (``createdb -h 127.0.0.1 -p 54329 -U postgres ybjb_importbench`` on the test cluster) unless
that data may go.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import cpu_seconds, emit, peak_rss_mb, proc_stat

HEADER = ["身份证号", "姓名", "统筹区", "险种", "人员类别", "县区", "参保日期", "退休办理日期", "缴费基数",
          "建档立卡贫困人口"]
REGIONS = [("360100", "390", "1501", ["360102", "360103", "360104", "360111"]),
           ("411300", "310", "1101", ["411302", "411303"])]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def member_rows(count: int):
    """Valid, unique members: certno = area + birth + sequence (1000 per birth date)."""
    from members.certno import make_certno

    start = date(1940, 1, 1)
    for i in range(count):
        admdvs, insutype, psn_type, districts = REGIONS[i % 2]
        birth = start + timedelta(days=i // 1000)
        certno = make_certno(area=districts[0], birth=birth, sequence=i % 1000)
        base = f"{4000 + i % 5000}.{i % 100:02d}" if insutype == "310" else ""
        yield [certno, SURNAMES[i % 20] + f"测{i % 997}", admdvs, insutype, psn_type, districts[i % len(districts)],
               f"{2010 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d}", "", base, "否" if i % 17 else "是"]


def write_csv(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(member_rows(count))


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("参保人")
    sheet.append(HEADER)
    for row in member_rows(count):
        sheet.append(row)
    workbook.save(path)


def write_floor_file(source: Path, target: Path) -> None:
    """The same rows in the table's final form (brdy, gend derived), for the bare COPY floor."""
    from members.certno import parse_certno

    with open(source, encoding="utf-8", newline="") as handle, open(target, "w", encoding="utf-8", newline="") as out:
        reader = csv.reader(handle)
        next(reader)
        writer = csv.writer(out)
        now = "2026-01-01 00:00:00+08"
        for row in reader:
            facts = parse_certno(row[0])
            writer.writerow([row[2], row[0], row[1], row[3], row[4], row[7] or None, row[8] or None,
                             row[9] == "是", row[5], row[6], facts.birth_date.isoformat(), facts.gender, "active",
                             "[]", now, now])


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # (the claims go with the members; supervision's tallies of them too: they have no key to the claims)
        cursor.execute("TRUNCATE members_member, members_memberchange, members_signup, imports_importjob, "
                       "supervision_memberdaytally, supervision_membermonthtally, supervision_visitsperdaytally, "
                       "supervision_providermonthtally "
                       "CASCADE")


# ---- phases (each in its own process) ---------------------------------------------------------------

def _backend_cpu_seconds(pid: int | None) -> float | None:
    """CPU time of a (local) PostgreSQL backend so far, from /proc: the database's share of the work,
    whatever else the machine is doing."""
    fields = proc_stat(pid)
    return None if fields is None else cpu_seconds(fields)


def phase_pipeline(path: str, label: str, audit: str = "") -> None:
    import resource

    from django.conf import settings
    from django.db import connection

    from imports.pipeline import run
    from imports.services import EVERYTHING

    settings.IMPORTS_MEMBER_AUDIT_ROWS = audit == "rows"
    label = label if audit != "rows" else f"{label}, IMPORTS_MEMBER_AUDIT_ROWS=True (one MemberChange per member too)"

    reset()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    db_before, python_before = _backend_cpu_seconds(backend), resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    outcome = run(path=path, kind="members", scope=EVERYTHING, job_id=None)
    seconds = time.perf_counter() - started
    db_after, python_after = _backend_cpu_seconds(backend), resource.getrusage(resource.RUSAGE_SELF)
    assert outcome.ok, (outcome.refused, [e.as_dict() for e in outcome.errors[:5]])
    python_cpu = (python_after.ru_utime + python_after.ru_stime) - (python_before.ru_utime + python_before.ru_stime)
    emit(bench="import", what=f"pipeline {label}", rows=outcome.rows_done, written=outcome.written,
         seconds=round(seconds, 2), rows_per_s=round(outcome.rows_done / seconds), peak_rss_mb=peak_rss_mb(),
         python_cpu_s=round(python_cpu, 2),
         db_cpu_s=None if db_before is None or db_after is None else round(db_after - db_before, 2),
         note="db_cpu_s: the import's own backend (COPY, foreign-key checks, audit record); lookups and id "
              "reservations run on a second connection, not counted")


def phase_read(path: str, label: str, validate: str = "read") -> None:
    """Reading alone, or reading and validating (no database writes): the Python share, per file."""
    from itertools import islice

    from imports.columns import map_header
    from imports.context import Context
    from config.memory import fewer_collections
    from imports.pipeline import BATCH_ROWS, _looks_like_header
    from imports.readers import open_sheet
    from imports.rows_members import MemberRows
    from imports.services import EVERYTHING

    started = time.perf_counter()
    sheet = open_sheet(path, header_check=_looks_like_header("members"))
    handler = None
    if validate == "validate":
        positions = {name: index for index, name in enumerate(map_header("members", sheet.header)) if name}
        handler = MemberRows(ctx=Context.load(scope=EVERYTHING), positions=positions, job_id=None, by=None,
                             write=False)
    rows, count = iter(sheet.rows), 0
    with fewer_collections():  # as in the pipeline's batches
        while batch := list(islice(rows, BATCH_ROWS)):
            count += len(batch)
            if handler is not None:
                records, failures = handler.parse_batch(batch)
                assert not failures, failures[:1]
    seconds = time.perf_counter() - started
    emit(bench="import", what=f"{'read + validate' if handler else 'read'} only, {label} (no database writes)",
         rows=count, seconds=round(seconds, 2), rows_per_s=round(count / seconds), peak_rss_mb=peak_rss_mb())


def _dataset(path: str, limit: int | None):
    import tablib

    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        data = tablib.Dataset(headers=header)
        for number, row in enumerate(reader):
            if limit is not None and number >= limit:
                break
            data.append(row)
    return data


def phase_resource(path: str, bulk: bool, limit: int, total: int) -> None:
    from imports.resources import MemberResource

    class BulkMemberResource(MemberResource):
        class Meta(MemberResource.Meta):
            use_bulk, batch_size, skip_diff, force_init_instance = True, 1000, True, True

    reset()
    data = _dataset(path, limit)
    resource = BulkMemberResource() if bulk else MemberResource()
    started = time.perf_counter()
    result = resource.import_data(data, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    assert not result.has_errors()
    rate = len(data) / seconds
    emit(bench="import", what="import-export " + ("bulk mode" if bulk else "row-by-row (default)"),
         rows=len(data), seconds=round(seconds, 2), rows_per_s=round(rate), peak_rss_mb=peak_rss_mb(),
         extrapolated_seconds_for=total, extrapolated_seconds=round(total / rate, 1),
         note=f"measured on {len(data)} of {total} rows, time for all rows extrapolated" if len(data) < total else "")


def phase_floor(path: str, rows: int, audit: str = "") -> None:
    from django.db import connection, transaction

    reset()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with open(path, "rb") as handle, cursor.cursor.copy(
                "COPY members_member (admdvs, certno, psn_name, insutype, psn_type, retired_on, contribution_base,"
                " poverty, district, enrolled_on, brdy, gend, status, chronic_diseases, created_at, updated_at)"
                " FROM STDIN WITH (FORMAT csv)") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        if audit:
            # The same history the import keeps, written set-based from the loaded rows. ANALYZE first
            # (as the import does): statistics autovacuum took of the still-empty table would plan the
            # commit's foreign-key checks as one index scan per row, quadratic.
            cursor.execute("ANALYZE members_member (id)")
            cursor.execute("INSERT INTO members_memberchange (member_id, changed_at, changed_by_id, action, before, "
                           "after) SELECT id, now(), NULL, 'import', '{}', '{\"import_job\": 0}' FROM members_member")
    seconds = time.perf_counter() - started
    what = "floor: bare psycopg COPY (rows pre-validated, final form)"
    if audit:
        what += " + one INSERT ... SELECT of their MemberChange rows"
    emit(bench="import", what=what, rows=rows, seconds=round(seconds, 2), rows_per_s=round(rows / seconds),
         peak_rss_mb=peak_rss_mb())


def phase_junk(path: str) -> None:
    from imports.pipeline import run
    from imports.services import EVERYTHING

    started = time.perf_counter()
    outcome = run(path=path, kind="members", scope=EVERYTHING)
    emit(bench="import", what="100 MB junk refused", refused=outcome.refused,
         seconds=round(time.perf_counter() - started, 2), peak_rss_mb=peak_rss_mb())


# ---- orchestration ----------------------------------------------------------------------------------

def _child(*args: str) -> list[dict]:
    command = [sys.executable, str(Path(__file__).resolve().parent / "run.py"), "import", "--phase", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"phase {args} failed")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for line in lines:
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return lines


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py import")
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the row-by-row reference")
    parser.add_argument("--bulk-rows", type=int, default=100_000, help="rows for the bulk-mode reference")
    parser.add_argument("--dir", default=None, help="where to write the generated files (default: a temp dir)")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.phase:
        name, *args = options.phase
        {"pipeline": lambda: phase_pipeline(*args),
         "read": lambda: phase_read(*args),
         "resource": lambda: phase_resource(args[0], args[1] == "bulk", int(args[2]), int(args[3])),
         "floor": lambda: phase_floor(args[0], int(args[1]), *args[2:]),
         "junk": lambda: phase_junk(args[0])}[name]()
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    folder = Path(options.dir or tempfile.mkdtemp(prefix="bench-imports-"))
    folder.mkdir(parents=True, exist_ok=True)
    xlsx, csv_path, xlsx_csv = folder / "members.xlsx", folder / "members.csv", folder / "members-xlsx-rows.csv"
    floor, junk = folder / "members-floor.csv", folder / "junk.bin"
    started = time.perf_counter()
    write_xlsx(xlsx, options.xlsx_rows)
    write_csv(xlsx_csv, options.xlsx_rows)
    write_csv(csv_path, options.csv_rows)
    write_floor_file(csv_path, floor)
    with open(junk, "wb") as handle:
        for _ in range(100):
            handle.write(os.urandom(1 << 20))
    emit(bench="import", what="generated files", xlsx_rows=options.xlsx_rows, csv_rows=options.csv_rows,
         xlsx_mb=round(xlsx.stat().st_size / 2**20, 1), csv_mb=round(csv_path.stat().st_size / 2**20, 1),
         seconds=round(time.perf_counter() - started, 1))
    results = {}
    results["xlsx"] = _child("pipeline", str(xlsx), "xlsx")[0]
    results["csv"] = _child("pipeline", str(csv_path), "csv")[0]
    results["csv_rows"] = _child("pipeline", str(csv_path), "csv", "rows")[0]
    results["xlsx_rows"] = _child("pipeline", str(xlsx), "xlsx", "rows")[0]
    results["rowbyrow"] = _child("resource", str(csv_path), "row", str(options.sample), str(options.csv_rows))[0]
    results["bulk"] = _child("resource", str(csv_path), "bulk", str(min(options.bulk_rows, options.csv_rows)),
                             str(options.csv_rows))[0]
    results["floor"] = _child("floor", str(floor), str(options.csv_rows))[0]
    results["floor_audit"] = _child("floor", str(floor), str(options.csv_rows), "audit")[0]
    for label, path in (("csv", csv_path), ("xlsx", xlsx)):
        results[f"read_{label}"] = _child("read", str(path), label)[0]
        results[f"validate_{label}"] = _child("read", str(path), label, "validate")[0]
    _child("junk", str(junk))
    bulk = results["bulk"]["rows_per_s"]
    emit(bench="import", what="summary",
         csv_rows_per_s=results["csv"]["rows_per_s"], csv_goal=50_000,
         xlsx_rows_per_s=results["xlsx"]["rows_per_s"], xlsx_goal=30_000,
         csv_vs_bulk=round(results["csv"]["rows_per_s"] / bulk, 1),
         xlsx_vs_bulk=round(results["xlsx"]["rows_per_s"] / bulk, 1), goal_vs_bulk=8,
         csv_vs_floor=round(results["csv"]["rows_per_s"] / results["floor"]["rows_per_s"], 2),
         csv_peak_rss_mb=results["csv"]["peak_rss_mb"], peak_goal_mb=1024,
         with_member_change_rows={"csv_rows_per_s": results["csv_rows"]["rows_per_s"],
                                  "xlsx_rows_per_s": results["xlsx_rows"]["rows_per_s"],
                                  "csv_vs_floor_with_rows": round(results["csv_rows"]["rows_per_s"]
                                                                  / results["floor_audit"]["rows_per_s"], 2)},
         per_row_us=_per_row_us(results, options.csv_rows, options.xlsx_rows))


def _per_row_us(results: dict, csv_rows: int, xlsx_rows: int) -> dict:
    """Where a row's time goes, in µs of CPU or wall time per row: reading and validating (Python, wall
    time of those phases alone), the members' COPY with their foreign-key checks (default run) and
    what one MemberChange per member adds (the run with IMPORTS_MEMBER_AUDIT_ROWS), both the import's
    database backend CPU."""
    def per_row(seconds, rows):
        return None if seconds is None else round(seconds * 1e6 / rows, 1)

    figures = {}
    for label, rows in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        read = 1e6 / results[f"read_{label}"]["rows_per_s"]
        figures[f"{label}_read"] = round(read, 1)
        figures[f"{label}_validate"] = round(1e6 / results[f"validate_{label}"]["rows_per_s"] - read, 1)
        members = per_row(results[label].get("db_cpu_s"), rows)
        both = per_row(results[f"{label}_rows"].get("db_cpu_s"), rows)
        figures[f"{label}_db_members"] = members
        figures[f"{label}_db_member_change_rows"] = (None if members is None or both is None
                                                     else round(both - members, 1))
    return figures
