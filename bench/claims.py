"""Benchmark: outpatient claims on PostgreSQL (service, HTTP, batch) against a raw-psycopg floor.

    scripts/services.sh start --durable      # PostgreSQL with production durability, port 54330
    createdb -h 127.0.0.1 -p 54330 -U postgres ybjb_claimsbench
    DATABASE_URL=postgres://postgres@127.0.0.1:54330/ybjb_claimsbench \\
        .venv/bin/python bench/run.py claims [--visits 2000 --members 500]   # full: 100000 / 10000

A claim's cost is dominated by its commit, so the server's durability settings decide the figures:
every line names them (``durability``). Measure against a server configured as production would be
(fsync and synchronous_commit on: the --durable cluster); the test cluster (port 54329) turns them
off for speed and makes every commit almost free, which flatters the floor more than the service.

Migrates the database, (re)creates M members over the five regions (sign-ups where the region needs
them) and a few providers per region, empties the claims tables, then measures in one run:
  floor      raw psycopg, one transaction per claim: lock the accumulator row, insert the record,
             update the accumulator (1, 2 and 4 client processes)
  service    claims.services.claim_settle (1, 2 and 4 worker processes; goal >= 70 % of the floor)
  http       POST /api/v1/claims/ through gunicorn (2 workers; gunicorn.conf.py) with 8 concurrent clients,
             each an HTTP/1.1 client (bench/common.py KeepAliveClient, lighter on the shared cores than
             http.client) that keeps its connection while the server does and opens a new one, timed
             with the request, when the server closes it (gunicorn.conf.py keepalive) (goal p99 < 50 ms);
             after a warm-up, and without each client's first answers of the timed run (RAMP_VISITS).
             Its line also gives the machine's CPU split during the run (iowait, steal) and when the
             slowest 1 % of requests started, to tell queueing from one event that held them all
  batch      claims.files.claims_file_settle over V visits: member partitions as a Celery group settled
             by --batch-workers (2) prefork worker processes over Redis (goal >= 10 000 claims/s; set
             REDIS_URL, e.g. from scripts/services.sh; without it the group runs eagerly in this
             process), into the claims table as the measurements before it left it
             (``claims_in_table_before``; with ``--only batch`` it starts empty)
Floor and service are measured in alternating rounds (--rounds, see _interleaved), each round right
after a CHECKPOINT (see _checkpoint), so neither pays for the other's checkpoint or for a slow minute.
Each line is JSON: claims/s, p50/p99 latency in ms, peak RSS in MB. Figures depend on machine load.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.common import (KeepAliveClient, cpu_seconds, emit, machine_cpu_split, machine_cpu_ticks, peak_rss_mb,
                          percentile, proc_stat, tree_cpu_seconds)

ROOT = Path(__file__).resolve().parent.parent
REGIONS = {"411300": "411302", "370300": "370302", "360700": "360702", "360100": "360102", "441600": "441602"}
SIGNUP_REGIONS = ("360100", "441600")
DURABILITY: dict[str, str] = {}  # the server's fsync / synchronous_commit, stamped on every line


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
def prepare(*, members: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from members.models import Member

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE claims_claimitem, claims_claim, claims_accumulator, supervision_memberdaytally, "
                       "supervision_membermonthtally, "
                       "supervision_visitsperdaytally, supervision_providermonthtally, supervision_talliedclaimahead "
                       "RESTART IDENTITY CASCADE")
    if Member.objects.filter(certno__startswith="9").count() != members:
        _members_create(members)
    # Every bench member's 2024 row exists up front, for the floor and the service alike.
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO claims_accumulator (member_id, year, fund_paid, buckets, updated_at) "
                       "SELECT id, 2024, 0, '{}', now() FROM members_member WHERE certno LIKE '9%%'")
        cursor.execute("ANALYZE")


def _members_create(members: int) -> None:
    from members.models import Member, SignUp
    from providers.models import Provider

    SignUp.objects.filter(member__certno__startswith="9").delete()
    Member.objects.filter(certno__startswith="9").delete()
    for admdvs, district in REGIONS.items():
        for level in "123":
            Provider.objects.get_or_create(
                fixmedins_code=f"BENCH-{admdvs}-L{level}",
                defaults=dict(fixmedins_name=f"基准机构{admdvs}{level}", admdvs_id=admdvs, district_id=district,
                              dedc_hosp_lv=level, kind="township" if level == "1" else "hospital"))
    regions = list(REGIONS)
    rows = []
    for n in range(members):
        admdvs = regions[n % len(regions)]
        # "9..." is no real area code: it marks the bench members
        rows.append(Member(admdvs_id=admdvs, certno=f"9{n:017d}", psn_name=f"基准{n}",
                           insutype="390" if admdvs == "360100" else "310",
                           psn_type="1501" if admdvs == "360100" else ("1201" if n % 4 == 0 else "1101"),
                           district_id=REGIONS[admdvs], enrolled_on=date(2015, 1, 1), brdy=date(1960, 1, 1),
                           gend="1"))
    Member.objects.bulk_create(rows, batch_size=2000)
    providers = {p.fixmedins_code: p for p in Provider.objects.filter(fixmedins_code__startswith="BENCH-")}
    SignUp.objects.bulk_create([
        SignUp(member=m, provider=providers[f"BENCH-{m.admdvs_id}-L1"], applied_on=date(2023, 1, 1), reason="first",
               effective_from=date(2023, 1, 1))
        for m in Member.objects.filter(certno__startswith="9", admdvs_id__in=SIGNUP_REGIONS)], batch_size=2000)


def visits(*, count: int, seed: int, part: int = 0, parts: int = 1) -> list[dict]:
    """Request bodies: random bench members, mostly at level-1 providers, dates through 2024. With
    ``parts``, only the visits n with n % parts == part (the same visits the whole list has there)."""
    from members.models import Member

    rng = random.Random(seed)
    members = list(Member.objects.filter(certno__startswith="9").values_list("admdvs_id", "certno"))
    start = datetime(2024, 1, 1, 8, 0)
    out = []
    for n in range(count):
        admdvs, certno = rng.choice(members)
        level = rng.choices("123", weights=[70, 20, 10])[0]
        amount = Decimal(rng.randint(1000, 60000)) / 100
        if n % parts != part:
            continue
        out.append({"admdvs": admdvs, "certno": certno, "fixmedins_code": f"BENCH-{admdvs}-L{level}",
                    "visit_at": (start + timedelta(minutes=n * 5)).isoformat() + "+08:00",
                    "medfee_sumamt": str(amount), "inscp_scp_amt": str(amount), "benefit": "ordinary"})
    return out


# ---------------------------------------------------------------------------------------------
# Workers (processes forked after the parent closed its connections)
# ---------------------------------------------------------------------------------------------
def _service_worker(bodies: list[dict], queue) -> None:
    from django.db import connection

    from claims.requests import claim_request_parse
    from claims.services import claim_settle

    latencies = []
    for body in bodies:
        t0 = time.perf_counter()
        claim_settle(request=claim_request_parse(body), by=None)
        latencies.append(time.perf_counter() - t0)
    connection.close()
    queue.put((latencies, peak_rss_mb(), time.process_time()))


def _floor_worker(bodies: list[dict], dsn: str, queue) -> None:
    """The least a claim can cost: lock, insert a full record, update; one transaction each."""
    import psycopg

    latencies = []
    with psycopg.connect(dsn, autocommit=False) as conn:
        cur = conn.cursor()
        cur.execute("SELECT m.certno, m.admdvs, m.id, m.district FROM members_member m WHERE m.certno LIKE '9%%'")
        members = {(r[1], r[0]): (r[2], r[3]) for r in cur.fetchall()}
        cur.execute("SELECT fixmedins_code, id FROM providers_provider WHERE fixmedins_code LIKE 'BENCH-%%'")
        providers = dict(cur.fetchall())
        conn.commit()
        for body in bodies:
            t0 = time.perf_counter()
            member_id, district = members[(body["admdvs"], body["certno"])]
            provider_id = providers[body["fixmedins_code"]]
            amount = Decimal(body["inscp_scp_amt"])
            fund = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
            cur.execute("SELECT id, fund_paid FROM claims_accumulator WHERE member_id = %s AND year = 2024 "
                        "FOR UPDATE", [member_id])
            acc_id, _ = cur.fetchone()
            cur.execute(
                "INSERT INTO claims_claim (setl_id, admdvs, district, member_id, provider_id, charged_provider_id, "
                "visit_at, visit_date, benefit, emergency, referral, out_of_area, channel, medfee_sumamt, "
                "fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, status, act_pay_dedc, "
                "pool_prop_selfpay, hifp_pay, psn_part_amt, acct_pay, psn_cash_pay, acct_used, deltas, steps, "
                "inputs, request_hash, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,'ordinary',false,false,'none',"
                "'direct',%s,0,0,0,%s,'settled',0,0.6,%s,%s,0,%s,false,%s,%s,%s,'',now()) RETURNING id",
                [uuid.uuid4().hex[:30], body["admdvs"], district, member_id, provider_id, provider_id,
                 body["visit_at"], body["visit_at"][:10], amount, amount, fund, amount - fund, amount - fund,
                 json.dumps({"fund": str(fund)}), json.dumps([{"rule": "ratio", "amount": str(fund), "note": "x"}]),
                 json.dumps({"request": body})])
            cur.execute("UPDATE claims_accumulator SET fund_paid = fund_paid + %s, updated_at = now() WHERE id = %s",
                        [fund, acc_id])
            conn.commit()
            latencies.append(time.perf_counter() - t0)
    queue.put((latencies, peak_rss_mb(), time.process_time()))


def _checkpoint() -> None:
    """Start a measurement from a fresh checkpoint. Every page a claim first changes after a
    checkpoint goes to the WAL whole (full-page writes), so a checkpoint falling inside one
    measurement and not another (every 5 minutes by default) made the server's CPU per claim swing
    by half between runs. After a CHECKPOINT each measurement pays the same, and the next timed one
    is 5 minutes away (every measurement here is shorter)."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:  # not allowed (needs superuser or pg_checkpoint): measured as it comes
        pass


def _parallel(target, bodies: list[dict], workers: int, *args) -> tuple[float, list[float], float, float]:
    from django.db import connections

    _checkpoint()
    connections.close_all()
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    parts = [bodies[n::workers] for n in range(workers)]
    procs = [ctx.Process(target=target, args=(part, *args, queue)) for part in parts]
    server0 = _server_cpu()
    connections.close_all()
    t0 = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    server1 = _server_cpu()
    latencies = sorted(x for lat, _, _ in results for x in lat)
    server = None if server0 is None or server1 is None else server1 - server0
    return elapsed, latencies, max(rss for _, rss, _ in results), sum(cpu for _, _, cpu in results), server


def _interleaved(kinds: list[str], workers: int, seeds: dict[str, int], *, count: int, rounds: int, dsn: str) -> dict:
    """Floor and service at one concurrency, measured in alternating rounds (floor, service,
    floor, ...), each on its share of its visits and each after a CHECKPOINT. This machine's speed
    drifts by 10-20 % over minutes (a shared virtual machine): measured one after the other, the
    ratio of the two said more about when each ran than about the service. A round's visits are
    made just before it (the workers, forked, would otherwise count all of them in their RSS).
    Returns per kind the totals over its rounds: (seconds, latencies, peak RSS, client CPU, server
    CPU or None)."""
    targets = {"floor": (_floor_worker, (dsn,)), "service": (_service_worker, ())}
    totals = {kind: [0.0, [], 0.0, 0.0, 0.0] for kind in kinds}
    for round_ in range(rounds):
        for kind in kinds:
            target, args = targets[kind]
            part = visits(count=count, seed=seeds[kind], part=round_, parts=rounds)
            elapsed, lat, rss, cpu, server = _parallel(target, part, workers, *args)
            total = totals[kind]
            total[0] += elapsed
            total[1].extend(lat)
            total[2] = max(total[2], rss)
            total[3] += cpu
            total[4] = None if server is None or total[4] is None else total[4] + server
    return {kind: (t[0], sorted(t[1]), t[2], t[3], t[4]) for kind, t in totals.items()}


def _server_cpu() -> float | None:
    """CPU seconds used so far by this PostgreSQL cluster (its live processes plus the backends its
    postmaster has reaped), when the server runs on this machine; else None. With 2 cores shared by
    client and server, the batch's rate is bounded by the two CPU figures together."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            postmaster = int(Path(cursor.fetchone()[0], "postmaster.pid").read_text().split()[0])
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            fields = proc_stat(stat.parent.name)
            if fields is None:
                continue
            if int(stat.parent.name) == postmaster:
                total += cpu_seconds(fields, reaped_children=True)  # its own time and its reaped backends'
            elif int(fields[1]) == postmaster:
                total += cpu_seconds(fields)
        return total
    except (DatabaseError, OSError, ValueError, IndexError):  # not allowed to read it, or not on this machine
        return None


def _server_figure(seconds: float | None, claims: int) -> dict:
    """The server's CPU per claim, when it could be read (see _server_cpu)."""
    if seconds is None or not claims:
        return {}
    return {"server_cpu_ms_per_claim": round(seconds / claims * 1000, 3)}


def _figures(kind: str, count: int, elapsed: float, latencies: list[float], rss: float, cpu: float | None = None,
             **extra) -> dict:
    figures = dict(bench="claims", kind=kind, claims=count, seconds=round(elapsed, 2),
                   claims_per_s=round(count / elapsed, 1),
                   client_cpu_ms_per_claim=round(cpu / count * 1000, 3) if cpu else None,
                   p50_ms=round(percentile(latencies, 0.5) * 1000, 2) if latencies else None,
                   p99_ms=round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
                   peak_rss_mb=rss, durability=DURABILITY.get("value"), **extra)
    emit(**figures)
    return figures


# ---------------------------------------------------------------------------------------------
# HTTP through gunicorn
# ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="bench-claims", defaults={"is_staff": True,
                                                                                       "is_superuser": True})
    return Token.objects.get_or_create(user=user)[0].key


def http_bench(bodies: list[dict], *, clients: int = 8, workers: int = 2) -> dict:
    port, token = _free_port(), _token()
    # The API throttle (config/settings.py) is for people and clinic systems, not for this load.
    env = {**os.environ, "DJANGO_DEBUG": "0", "PYTHONPATH": str(ROOT), "API_RATE_USER": "100000000/minute"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(workers), "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()

        def client(part: list[bytes], ramp: int = 0) -> None:
            conn = KeepAliveClient("127.0.0.1", port)
            headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
            mine = []
            for number, body in enumerate(part):
                t0 = time.perf_counter()
                status, _ = conn.post("/api/v1/claims/", body, headers)
                if number >= ramp:
                    mine.append((time.perf_counter() - t0, t0))
                if status != 201:
                    failures.append(status)
            conn.close()
            with lock:
                latencies.extend(mine)

        encoded = [json.dumps(body).encode() for body in bodies]
        # Warm-up (not timed): imports, database connections, the parameter cache, prepared
        # statements (prepared on a connection's fifth run of them), on all the clients'
        # connections at once, so that both workers and their threads have served visits; on one
        # connection only one worker did, and the other's first answers (its imports, each
        # thread's new database connection) were among the run's slowest, in its p99.
        warm_up = encoded[:clients * WARM_UP_VISITS]
        _run_clients(client, warm_up, clients)
        latencies.clear()
        _checkpoint()
        rest = encoded[len(warm_up):]
        workers0 = _worker_cpu(server.pid)
        server0, gunicorn0, client0 = _server_cpu(), tree_cpu_seconds(server.pid), time.process_time()
        machine0 = machine_cpu_ticks()
        t0 = time.perf_counter()
        _run_clients(client, rest, clients, ramp=RAMP_VISITS)
        elapsed = time.perf_counter() - t0
        machine1 = machine_cpu_ticks()
        server1, workers1 = _server_cpu(), _worker_cpu(server.pid)
        # CPU per claim of the server processes and of these clients: all share the machine's cores
        cpu = {"gunicorn_cpu_ms_per_claim": round((tree_cpu_seconds(server.pid) - gunicorn0) / len(rest) * 1000, 2),
               "worker_cpu_ms_per_claim": sorted(round((workers1.get(pid, 0.0) - spent) / len(rest) * 1000, 2)
                                                 for pid, spent in workers0.items()),
               "bench_client_cpu_ms_per_claim": round((time.process_time() - client0) / len(rest) * 1000, 2),
               **_server_figure(None if server0 is None or server1 is None else server1 - server0, len(rest))}
        return _figures("http", len(rest), elapsed, sorted(latency for latency, _start in latencies), peak_rss_mb(),
                        latencies_counted=len(latencies), gunicorn_workers=workers, clients=clients,
                        failures=len(failures), **cpu,
                        machine_cpu_percent=machine_cpu_split(machine0, machine1),
                        slowest_percent_started=_slowest_started(latencies, t0, elapsed),
                        loadavg=open("/proc/loadavg").read().split()[:3])
    finally:
        server.terminate()
        server.wait(timeout=10)


WARM_UP_VISITS = 6  # per client, before the timed run (http_bench)
# Per client, the first answers of the timed run whose latencies are not counted (its claims, CPU
# and time are): the clients start it together, each with its first request in the same
# millisecond, and of these requests arriving at once some were among the slowest 1 % in every run
# (up to 63 ms). Within a few answers the clients' requests no longer arrive together, as
# independent clinics' seldom do; what is counted is that steady load of 8 requests in flight. Measured
# alternately, 8 runs each (bench/run.py claims --only http, durable cluster): counting them, p99
# 38.8-44.2 ms, one to three of those first answers among the slowest 1 % in all 8; not counting
# them, 37.4-43.6 ms.
RAMP_VISITS = 3


def _slowest_started(latencies: list[tuple[float, float]], t0: float, elapsed: float) -> dict:
    """When the slowest 1 % of the timed requests (the p99 is just below them) started, in seconds
    into the run, and the shortest stretch of the run holding half of them. Spread over the run,
    they are the queueing of the clients on the shared cores; bunched in a fraction of a second,
    one event (a disk flush, the host) held every request in flight at once."""
    slowest = sorted(latencies, reverse=True)[:max(1, len(latencies) // 100)]
    starts = sorted(start - t0 for _latency, start in slowest)
    half = max(1, (len(starts) + 1) // 2)
    bunch = min(starts[n + half - 1] - starts[n] for n in range(len(starts) - half + 1))
    return {"count": len(starts), "first_s": round(starts[0], 2), "last_s": round(starts[-1], 2),
            "run_s": round(elapsed, 2), "half_within_s": round(bunch, 3)}


def _run_clients(client, bodies: list[bytes], clients: int, ramp: int = 0) -> None:
    threads = [threading.Thread(target=client, args=(bodies[n::clients], ramp)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _worker_cpu(master: int) -> dict[int, float]:
    """CPU seconds of each gunicorn worker (the master's children). Their split shows how the
    requests fell between the workers: with keep-alive on (GUNICORN_KEEPALIVE), a worker keeps the
    connections it accepts for the whole run, and one worker's process (one GIL) serving five or six
    of the eight clients while the other idles makes a run's latencies longer than an even split's."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = proc_stat(stat.parent.name)
        if fields is not None and int(fields[1]) == master:
            found[int(stat.parent.name)] = cpu_seconds(fields)
    return found


def batch_bench(bodies: list[dict], *, workers: int) -> None:
    """A file of visits through claims.files.claims_file_settle: member partitions as a Celery group
    settled by ``workers`` worker processes (prefork, one process each) over Redis; eager, in this
    process, without REDIS_URL. Timed from dispatch until every row is answered."""
    from django.conf import settings
    from django.db import connection

    from claims.files import claims_file_settle

    # The batch's rate falls as the table it writes into grows (more index pages touched, so
    # more of them written whole to the WAL after the checkpoint): the line says how full it was.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim")
        rows_before = cursor.fetchone()[0]
    queue = f"bench-claims-{uuid.uuid4().hex[:8]}"
    eager = not settings.REDIS_URL
    started = [] if eager else [_celery_worker(queue, n) for n in range(workers)]
    try:
        if started:
            from config.celery import app

            # Wait until every worker answers, so start-up is not timed.
            for _ in range(120):
                replies = app.control.ping(destination=[f"{queue}-{n}@{socket.gethostname()}"
                                                        for n in range(workers)], timeout=1.0)
                if len(replies) == workers:
                    break
        _checkpoint()
        server0 = _server_cpu()
        # The Celery workers' own CPU (each worker's main process and its prefork child): what a
        # claim costs the workers, next to the server's. The main processes' part apart: Celery's
        # own work (the message received, acked, handed to the child over its pipe, the result
        # back) is there, while the child's is the task itself: a profile of a child (process
        # time) put 98 % of its CPU inside ``settle_partition``, and the main processes took
        # 0.004-0.005 ms a claim; a child's CPU above the same partitions settled in one process
        # is therefore not Celery's.
        workers0 = sum(tree_cpu_seconds(worker.pid) for worker in started)
        mains0 = sum(_own_cpu_seconds(worker.pid) for worker in started)
        t0, c0 = time.perf_counter(), time.process_time()
        answer = claims_file_settle(rows=bodies, user_id=None, queue=None if eager else queue).get(timeout=3600)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        server1 = _server_cpu()
        workers1 = sum(tree_cpu_seconds(worker.pid) for worker in started)
        mains1 = sum(_own_cpu_seconds(worker.pid) for worker in started)
    finally:
        for worker in started:
            worker.terminate()
        for worker in started:
            worker.wait(timeout=30)
    created = answer["settled"]
    extra = _server_figure(None if server0 is None or server1 is None else server1 - server0, created)
    if started and created:
        extra["workers_cpu_ms_per_claim"] = round((workers1 - workers0) / created * 1000, 3)
        extra["workers_main_cpu_ms_per_claim"] = round((mains1 - mains0) / created * 1000, 3)
    extra["loadavg"] = open("/proc/loadavg").read().split()[:3]
    _figures("batch", created, elapsed, [], peak_rss_mb(), cpu, **extra, celery="eager" if eager else "redis",
             celery_workers=0 if eager else workers, refused=sum(1 for r in answer["rows"] if "errors" in r),
             failed_partitions=len(answer["failed_partitions"]), claims_in_table_before=rows_before)
    # The database the batch just filled, vacuumed and analysed after the figures (untimed), as the
    # other benches do after their loads. Left to autovacuum, the VACUUM ANALYZE of the batch's
    # 100 000 claims started 10-60 s later, inside whatever ran next on the cluster: watched through
    # pg_stat_activity over four HTTP runs started right after a batch, it overlapped three, whose
    # p99 was 46.6-47.7 ms against 40.0 ms for the one it missed.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _own_cpu_seconds(pid: int) -> float:
    fields = proc_stat(pid)
    return cpu_seconds(fields) if fields is not None else 0.0


def _celery_worker(queue: str, number: int) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "config", "worker", "--pool=prefork", "-c", "1", "-l", "warning", "-Q", queue,
         "-n", f"{queue}-{number}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------
def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py claims")
    parser.add_argument("--visits", type=int, default=2000, help="visits per measurement (full: 100000)")
    parser.add_argument("--members", type=int, default=500, help="bench members (full: 10000)")
    parser.add_argument("--http-visits", type=int, default=None, help="visits for the HTTP run (default visits/2)")
    parser.add_argument("--http-workers", type=int, default=2, help="gunicorn worker processes for the HTTP run")
    parser.add_argument("--only", default="floor,service,http,batch")
    parser.add_argument("--batch-workers", type=int, default=2, help="Celery worker processes for the batch")
    parser.add_argument("--rounds", type=int, default=4,
                        help="floor and service measured in this many alternating rounds (see _interleaved)")
    args = parser.parse_args(argv)

    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} dbname={db['NAME']} user={db['USER']}" + (f" port={db['PORT']}" if db['PORT'] else "")
    prepare(members=args.members)
    with connection.cursor() as cursor:
        settings_ = []
        for name in ("fsync", "synchronous_commit"):
            cursor.execute(f"SHOW {name}")
            settings_.append(f"{name}={cursor.fetchone()[0]}")
    DURABILITY["value"] = ",".join(settings_)
    only = set(args.only.split(","))
    seed = iter(range(1, 100))
    for workers in (1, 2, 4):
        kinds = [kind for kind in ("floor", "service") if kind in only]
        if not kinds:
            continue
        totals = _interleaved(kinds, workers, {kind: next(seed) for kind in kinds}, count=args.visits,
                              rounds=args.rounds, dsn=dsn)
        floor = None
        for kind in kinds:
            elapsed, lat, rss, cpu, server = totals[kind]
            extra = _server_figure(server, args.visits)
            if kind == "service" and floor:
                extra["vs_floor"] = round(args.visits / elapsed / floor["claims_per_s"], 2)
            figures = _figures("floor_psycopg" if kind == "floor" else "service", args.visits, elapsed, lat, rss,
                               cpu, workers=workers, rounds=args.rounds, **extra)
            floor = figures if kind == "floor" else floor
    if "http" in only:
        http_bench(visits(count=args.http_visits or max(200, args.visits // 2), seed=next(seed)),
                   workers=args.http_workers)
    if "batch" in only:
        batch_bench(visits(count=args.visits, seed=next(seed)), workers=args.batch_workers)
