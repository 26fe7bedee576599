"""Policy-simulation benchmark (PostgreSQL): ``python bench/run.py simulation [options]``.

    scripts/services.sh start            # PostgreSQL (and Redis) for the bench, see the script
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/run.py simulation \\
        --members 1000000 --visits 3000000            # the issue's size; defaults are tiny

Loads (COPY) ``--members`` Zibo members (a quarter retired) and ``--visits`` recorded 2024 visits at
level 1/2/3 providers, each member's visits in date order with the fund payment Zibo's 2024 rules give
(deductible per level 50/500/700, ratio 60/60/50 employed and 65/65/55 retired, cap 4 000 — worked
out here so the load needs no engine; the run's baseline check says whether they agree: ``findings``
must be 0), each record carrying its request as the claims service records it. Then prints JSON lines:

* ``floor``: the same visits read partition by partition (the run's own statement) by ``--workers``
  processes and their amounts summed (JSON parsed, no rules, nothing written);
* ``core``: one partition replayed in this process: µs per visit to read and rebuild the requests,
  and µs per visit and scenario in the settle step (``partition_replay``), wall and CPU time;
* ``run``: one simulation (the baseline and ONE draft: cap 3 000 and retired ratios −5 points) as
  the Celery chord of member partitions on ``--workers`` solo worker processes started here (needs
  REDIS_URL; eager in this process without it): wall time, ratio to the floor, peak memory per
  worker (VmHWM), the baseline check. Goals (issue 22): < 2 min, within 4× the floor, < 1 GB a worker.
Every line carries the load average. Loading TRUNCATEs the claims (CASCADE) and the bench members of
the database it runs on: use a scratch database, or ``--no-load``.
"""
from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import random
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import orjson
from django.core.management import call_command
from django.db import connection

from bench.common import cpu_seconds, emit, peak_rss_mb, proc_stat, timed, tree_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
ADMDVS, DISTRICT, YEAR = "370300", "370302", 2024
DEDUCTIBLE = {"1": Decimal(50), "2": Decimal(500), "3": Decimal(700)}
RATIO = {("employed", "1"): Decimal("0.60"), ("employed", "2"): Decimal("0.60"), ("employed", "3"): Decimal("0.50"),
         ("retired", "1"): Decimal("0.65"), ("retired", "2"): Decimal("0.65"), ("retired", "3"): Decimal("0.55")}
CAP = Decimal(4000)
CHUNK = 500
DRAFT = {"label": "cap 3000, retired −5", "values": {
    "annual_cap": "3000", "ratio_retired": {"1": "0.60", "2": "0.60", "3": "0.50"}}}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _copy(table: str, columns: list[str], rows) -> int:
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\") for v in row))
                buffer.write("\n")
                count += 1
                if count % CHUNK == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def load(*, members: int, visits: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now().astimezone().isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")   # bench database: no FK triggers on load
        cursor.execute("TRUNCATE claims_claimitem, claims_claim, claims_accumulator CASCADE")
        cursor.execute("DELETE FROM members_member WHERE certno LIKE '83%%'")
        cursor.execute("DELETE FROM providers_provider WHERE fixmedins_code LIKE 'BS-%%'")
    codes = {level: [f"BS-L{level}-{n}" for n in range(10)] for level in "123"}
    _copy("providers_provider", ["fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind",
                                 "parent_code", "status", "created_at", "updated_at"],
          [(code, f"基准{code}", ADMDVS, DISTRICT, level, "township" if level == "1" else "hospital", None, "active",
            now, now) for level, group in codes.items() for code in group])
    with connection.cursor() as cursor:
        cursor.execute("SELECT fixmedins_code, id FROM providers_provider WHERE fixmedins_code LIKE 'BS-%%'")
        provider_ids = dict(cursor.fetchall())
    _copy("members_member", ["admdvs", "certno", "psn_name", "insutype", "psn_type", "poverty", "district",
                             "enrolled_on", "brdy", "gend", "status", "chronic_diseases", "created_at", "updated_at"],
          ((ADMDVS, f"83{i:016d}", "参保人", "310", "1201" if i % 4 == 0 else "1101", "f", DISTRICT, "2015-01-01",
            "1960-01-01", "1", "active", "[]", now, now) for i in range(members)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM members_member WHERE certno LIKE '83%%'")
        first_member = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM policy_parameterset WHERE region_id = %s AND effective_from <= %s "
                       "ORDER BY effective_from DESC LIMIT 1", [ADMDVS, date(YEAR, 6, 1)])
        set_id = cursor.fetchone()[0]

    def claim_rows():
        k = 0
        for i in range(members):
            person = "retired" if i % 4 == 0 else "employed"
            count = visits // members + (1 if i < visits % members else 0)
            days = sorted(rng.randrange(365) for _ in range(count))
            buckets: dict[str, Decimal] = {}
            for day_number in days:
                level = rng.choices("123", weights=[70, 20, 10])[0]
                code = rng.choice(codes[level])
                eligible = Decimal(rng.randint(1000, 80000)) / 100
                day = date(YEAR, 1, 1) + timedelta(days=day_number)
                visit_at = f"{day.isoformat()}T09:00:00+08:00"
                bucket = f"deductible:{level}"
                before = {name: str(amount) for name, amount in sorted(buckets.items())}
                deductible = min(eligible, max(Decimal(0), DEDUCTIBLE[level] - buckets.get(bucket, Decimal(0))))
                ratio = RATIO[(person, level)]
                cap_left = max(Decimal(0), CAP - buckets.get("fund", Decimal(0)))
                fund = min(_fen((eligible - deductible) * ratio), cap_left)
                buckets[bucket] = buckets.get(bucket, Decimal(0)) + deductible
                buckets["fund"] = buckets.get("fund", Decimal(0)) + fund
                amount = f"{eligible:.2f}"
                request = {"admdvs": ADMDVS, "certno": f"83{i:016d}", "fixmedins_code": code, "visit_at": visit_at,
                           "benefit": "ordinary", "emergency": False, "referral": False, "out_of_area": "none",
                           "channel": "direct", "exclusion": None, "acct_used": False, "medfee_sumamt": amount,
                           "fulamt_ownpay_amt": "0.00", "overlmt_selfpay": "0.00", "preselfpay_amt": "0.00",
                           "inscp_scp_amt": amount, "fee_details": []}
                inputs = orjson.dumps({"request": request, "ytd_before": before}).decode()
                share = eligible - fund
                yield (f"BS{k:020d}", ADMDVS, DISTRICT, first_member + i, provider_ids[code], provider_ids[code],
                       visit_at, day, amount, amount, "settled", f"{deductible:.2f}", f"{ratio:.4f}", f"{fund:.2f}",
                       f"{share:.2f}", "{}", "[]", inputs, "", now, set_id)
                k += 1

    _copy("claims_claim", ["setl_id", "admdvs", "district", "member_id", "provider_id", "charged_provider_id",
                           "visit_at", "visit_date", "medfee_sumamt", "inscp_scp_amt", "status", "act_pay_dedc",
                           "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "deltas", "steps", "inputs",
                           "request_hash", "created_at", "parameter_set_id", "benefit", "emergency", "referral",
                           "out_of_area", "channel", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                           "acct_pay", "psn_cash_pay", "acct_used"],
          (row + ("ordinary", "f", "f", "none", "direct", "0", "0", "0", "0", row[14], "f") for row in claim_rows()))
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE claims_claim")
        cursor.execute("ANALYZE members_member")


def _dsn() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return " ".join(f"{key}={value}" for key, value in (("host", db["HOST"]), ("port", db["PORT"]),
                                                         ("dbname", db["NAME"]), ("user", db["USER"]),
                                                         ("password", db.get("PASSWORD"))) if value)


def _floor_worker(dsn: str, sql: str, ranges: list[tuple[int, int]], queue) -> None:
    """Read each partition with the run's own statement, parse the recorded request, sum amounts."""
    import psycopg

    from simulation.replay import recorded_visits_params

    total, rows = Decimal(0), 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        for lo, hi in ranges:
            cursor.execute(sql, recorded_visits_params(admdvs=ADMDVS, year=YEAR, member_lo=lo, member_hi=hi))
            for row in cursor.fetchall():
                request = row[5] if isinstance(row[5], dict) else orjson.loads(row[5])
                total += Decimal(request["medfee_sumamt"]) + row[3]
                rows += 1
    queue.put((rows, str(total)))


def floor(ranges: list[tuple[int, int]], workers: int) -> tuple[float, int]:
    from simulation.replay import recorded_visits_sql

    queue = mp.get_context("fork").Queue()
    connection.close()   # no shared connection across fork
    with timed() as elapsed:
        procs = [mp.get_context("fork").Process(target=_floor_worker,
                                                args=(_dsn(), recorded_visits_sql(), ranges[n::workers], queue))
                 for n in range(workers)]
        for proc in procs:
            proc.start()
        answers = [queue.get() for _ in procs]
        for proc in procs:
            proc.join()
    return elapsed(), sum(rows for rows, _ in answers)


def core(ranges: list[tuple[int, int]]) -> None:
    """One partition in this process: reading and rebuilding, then the settle step per scenario."""
    from simulation.models import Scenario
    from simulation.parameters import scenario_parameters, stored_sets
    from simulation.replay import partition_replay, recorded_visits

    lo, hi = ranges[0]
    cpu = time.process_time()
    with timed() as read:
        visits = recorded_visits(admdvs=ADMDVS, year=YEAR, member_lo=lo, member_hi=hi)
    read_cpu = time.process_time() - cpu
    baseline = Scenario(position=0, label="baseline")
    draft = Scenario(position=1, label=DRAFT["label"], values=_draft_values())
    sets = stored_sets(ADMDVS)
    scenarios = [(n, s.is_baseline, scenario_parameters(scenario=s, admdvs=ADMDVS, year=YEAR, sets=sets))
                 for n, s in enumerate((baseline, draft))]
    cpu = time.process_time()
    with timed() as replay:
        partition_replay(admdvs=ADMDVS, visits=visits, scenarios=scenarios)
    replay_cpu = time.process_time() - cpu
    # Wall and this process's CPU time: on a shared machine the wall figure carries the others' load.
    emit(bench="simulation", phase="core", visits=len(visits), scenarios=2,
         read_and_rebuild_us_per_visit=round(read() / len(visits) * 1e6, 1),
         settle_step_us_per_visit_and_scenario=round(replay() / len(visits) / 2 * 1e6, 1),
         read_and_rebuild_cpu_us_per_visit=round(read_cpu / len(visits) * 1e6, 1),
         settle_step_cpu_us_per_visit_and_scenario=round(replay_cpu / len(visits) / 2 * 1e6, 1),
         load_average=load_average())


def _draft_values() -> dict:
    from simulation.services import draft_base

    return {**draft_base(admdvs=ADMDVS, year=YEAR).values, **DRAFT["values"]}


def _worker_peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _server_cpu() -> float | None:
    """CPU seconds of the PostgreSQL server so far (the postmaster, its live processes and those it
    has reaped), when it runs on this machine; None otherwise. The whole server: another client of
    the same cluster counts too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            directory = cursor.fetchone()[0]
        postmaster = int(Path(directory, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    fields = proc_stat(postmaster)
    if fields is None:
        return None
    return round(cpu_seconds(fields, reaped_children=True) - cpu_seconds(fields) + tree_cpu_seconds(postmaster), 1)


def _workers_cpu(started: list) -> float | None:
    stats = [proc_stat(worker.pid) for worker in started]
    return round(sum(cpu_seconds(f) for f in stats if f is not None), 1) if started else None


def run(workers: int, floor_s: float) -> None:
    from simulation.services import simulation_run_create
    from simulation.tasks import simulation_run_task

    eager = not os.environ.get("REDIS_URL")
    queue = f"simulation-bench-{os.getpid()}"
    celery = Path(sys.executable).with_name("celery")
    # ``--prefetch-multiplier=1``: a solo worker reserves no partition beyond the one it replays, so
    # none waits behind a busy worker while the other is idle: the two finish within a partition.
    started = [] if eager else [subprocess.Popen(
        [str(celery), "-A", "config", "worker", "--pool=solo", "-l", "warning", "-Q", queue,
         "-n", f"{queue}-{n}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--prefetch-multiplier=1"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(workers)]
    try:
        if started:
            from config.celery import app

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(app.control.ping(timeout=1.0) or []) < workers:
                time.sleep(0.5)
        simulation = simulation_run_create(admdvs=ADMDVS, year=YEAR, drafts=[DRAFT])
        load_before = load_average()
        # Where the wall time goes: the workers' and the database server's CPU over the run (with 2
        # workers on 2 cores, wall x 2 minus both is what neither used: waits, tails, other load).
        workers_cpu, server_cpu = _workers_cpu(started), _server_cpu()
        with timed() as elapsed:
            if eager:
                simulation_run_task(simulation.pk)
            else:
                simulation_run_task.apply_async(args=[simulation.pk], kwargs={"queue": queue}, queue=queue)
            simulation.refresh_from_db()
            while not simulation.finished:
                time.sleep(0.2)
                simulation.refresh_from_db()
        peaks = [peak_rss_mb()] if eager else [_worker_peak_mb(p.pid) for p in started]
        workers_cpu = None if workers_cpu is None else round(_workers_cpu(started) - workers_cpu, 1)
        server_cpu = None if server_cpu is None else round((_server_cpu() or 0) - server_cpu, 1)
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            worker.wait(timeout=30)
    totals = next(b for b in simulation.results.get("breakdowns", []) if b["name"] == "total")["rows"]
    emit(bench="simulation", phase="run", status=simulation.status, visits=simulation.visits,
         partitions=simulation.partitions_total, scenarios="baseline + 1 draft", seconds=round(elapsed(), 2),
         x_floor=round(elapsed() / floor_s, 2), celery="eager" if eager else "redis",
         workers=0 if eager else workers, peak_mb_per_worker=peaks, workers_cpu_s=workers_cpu,
         database_server_cpu_s=server_cpu, baseline_matches=simulation.baseline_matches,
         findings=simulation.results.get("findings"), fund_pay=totals[0]["fund_pay"] if totals else None,
         load_average_before=load_before, load_average=load_average(),
         goal="< 120 s, within 4x of the floor, < 1024 MB per worker")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py simulation")
    parser.add_argument("--members", type=int, default=2_000, help="full: 1000000")
    parser.add_argument("--visits", type=int, default=6_000, help="full: 3000000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--no-load", action="store_true", help="reuse the data already loaded")
    args = parser.parse_args(argv)
    call_command("migrate", verbosity=0)
    emit(bench="simulation", phase="start", load_average=load_average())
    if not args.no_load:
        with timed() as elapsed:
            load(members=args.members, visits=args.visits, seed=args.seed)
        emit(bench="simulation", phase="load", members=args.members, visits=args.visits,
             seconds=round(elapsed(), 1), load_average=load_average())
    from simulation.replay import period_partitions
    from simulation.services import PARTITION_VISITS

    visits, ranges = period_partitions(admdvs=ADMDVS, year=YEAR, visits_per_partition=PARTITION_VISITS)
    floor_s, read = floor(ranges, args.workers)
    emit(bench="simulation", phase="floor", visits=read, partitions=len(ranges), workers=args.workers,
         seconds=round(floor_s, 2), what="the run's partitions read with its statement, amounts summed, no rules",
         load_average=load_average())
    core(ranges)
    run(args.workers, floor_s)
