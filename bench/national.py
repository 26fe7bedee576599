"""Benchmark: settlement 2207 through the national interface against the REST claim endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:54330/ybjb_claimsbench \\
        .venv/bin/python bench/run.py national [--visits 2000 --members 500]

One gunicorn (2 workers; gunicorn.conf.py) serves both doors in the same run; 8 client threads post
to it, each on its own kept-alive HTTP/1.1 connection (bench/common.py ``KeepAliveClient``: a real
HTTP/1.1 client, as a clinic system's, lighter on the shared cores than ``http.client``):
  rest      POST /api/v1/claims/ — the same bodies bench/claims.py's ``http`` line sends
  national  POST /api/national/ 2207 messages (openhis Input_2207 shape) from each bench provider's
            clinic system account; each visit was registered (2201) and its fee details uploaded
            (2204) beforehand, untimed, through the same service
Goals (issue 23): national p99 < 50 ms and its claims/s at least 80 % of rest's (``vs_rest``).
Both settle the same kind of visit (bench/claims.py ``visits``: random bench members, mostly
level-1 providers, through 2024) with the same one fee-detail line (a drug of level 甲, recorded as
a ``ClaimItem`` by both doors) into the same tables.

Fairness: the doors are measured alternately in the same run, in ``--rounds`` rounds of equal
slices, the order swapped every round (rest then national, national then rest, ...), so a neighbour's
load, a checkpoint or the tables' growth falls on both alike; each door's figure sums its slices.
Both doors are warmed up in every worker first (untimed).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from decimal import Decimal

from bench.claims import ROOT, _checkpoint, _free_port, _server_cpu, _token, prepare, visits
from bench.common import KeepAliveClient, emit, peak_rss_mb, percentile, tree_cpu_seconds

SHANGHAI_FORMAT = "%Y-%m-%d %H:%M:%S"
DRUG_CODE, DRUG_NAME = "XA02BCA211A001010100443", "奥美拉唑肠溶胶囊"


def _with_fee_detail(body: dict) -> dict:
    """The REST body with the line the national visit uploads (2204), so both doors record one item."""
    return {**body, "fee_details": [{"code": DRUG_CODE, "name": DRUG_NAME, "category": "drug", "chrgitm_lv": "01",
                                     "amount": body["medfee_sumamt"]}]}


def _national_prepare(bodies: list[dict]) -> tuple[dict[str, str], list[tuple[str, dict]]]:
    """Clinic accounts signed in, each visit registered with its fee detail; returns the tokens by
    provider and one (provider code, 2207 message) per visit."""
    from django.db import connection

    from members.models import Member
    from national.mapping import psn_no_for
    from national.services import clinic_account_ensure, national_message_answer

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE national_feedetail, national_nationalsettlement, national_visit, national_message, "
                       "national_signin, national_reconciliation RESTART IDENTITY CASCADE")
    members = {(m.admdvs_id, m.certno): m for m in Member.objects.filter(certno__startswith="9")}
    accounts, tokens, signs = {}, {}, {}
    serial = iter(range(1, 10 ** 9))

    def send(code: str, infno: str, input_: dict, insuplc: str | None = None) -> dict:
        account = accounts[code]
        message = {"infno": infno, "msgid": f"{code[-12:]:0>12}{datetime.now():%Y%m%d%H%M%S}{next(serial):06d}",
                   "mdtrtarea_admvs": account.provider.admdvs_id, "insuplc_admdvs": insuplc, "recer_sys_code": "YBXT",
                   "infver": "V1.0", "opter_type": "1", "opter": "BENCH", "opter_name": "基准",
                   "inf_time": datetime.now().strftime(SHANGHAI_FORMAT), "fixmedins_code": code,
                   "fixmedins_name": account.provider.fixmedins_name, "sign_no": signs.get(code), "input": input_}
        answer = national_message_answer(account=account, message=message, user=account.user)
        if answer["infcode"] != 0:
            raise RuntimeError(f"{infno}: {answer['err_msg']}")
        return answer

    messages = []
    for n, body in enumerate(bodies):
        code, member = body["fixmedins_code"], members[(body["admdvs"], body["certno"])]
        if code not in accounts:
            accounts[code], tokens[code], _ = clinic_account_ensure(fixmedins_code=code)
            signs[code] = send(code, "9001", {"signIn": {"opter_no": "BENCH", "ip": "127.0.0.1"}}
                               )["output"]["signinoutb"]["sign_no"]
        psn_no = psn_no_for(admdvs=member.admdvs_id, member_id=member.pk)
        begntime = datetime.fromisoformat(body["visit_at"]).strftime(SHANGHAI_FORMAT)
        mdtrt_id = send(code, "2201", {"data": {
            "psn_no": psn_no, "insutype": member.insutype, "begntime": begntime, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": member.certno, "ipt_otp_no": f"MZ{n}", "atddr_no": "D1", "dr_name": "医生",
            "dept_code": "NK", "dept_name": "内科", "caty": "03"}},
            insuplc=member.admdvs_id)["output"]["data"]["mdtrt_id"]
        amount = Decimal(body["medfee_sumamt"])
        send(code, "2204", {"feedetail": [{
            "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1", "rx_circ_flag": "0",
            "fee_ocur_time": begntime, "med_list_codg": DRUG_CODE, "medins_list_codg": "H1",
            "det_item_fee_sumamt": str(amount), "cnt": "1", "pric": str(amount),
            # the optional catalogue extension (national/mapping.py (4)), as the REST door's line: 西药费, 甲类
            "hilist_name": DRUG_NAME, "med_chrgitm_type": "09", "chrgitm_lv": "01"}]}, insuplc=member.admdvs_id)
        data = {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": member.certno, "med_type": "11",
                "medfee_sumamt": str(amount), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
                "insutype": member.insutype, "acct_used_flag": "0", "invono": None, "fulamt_ownpay_amt": "0.00",
                "overlmt_selfpay": "0.00", "preselfpay_amt": "0.00", "inscp_scp_amt": str(amount)}
        messages.append((code, {
            "infno": "2207", "msgid": f"{code[-12:]:0>12}{datetime.now():%Y%m%d%H%M%S}{next(serial):06d}",
            "mdtrtarea_admvs": accounts[code].provider.admdvs_id, "insuplc_admdvs": member.admdvs_id,
            "recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "BENCH", "opter_name": "基准",
            "inf_time": begntime, "fixmedins_code": code, "fixmedins_name": accounts[code].provider.fixmedins_name,
            "sign_no": signs[code], "input": {"data": data}}))
    return tokens, messages


def _post_all(port: int, requests: list[tuple[str, str, str]], *, clients: int,
              server_pid: int | None = None) -> tuple[float, list[float], int, list[float | None]]:
    """(seconds, sorted latencies, failures, CPU seconds used [gunicorn, PostgreSQL, this client])
    for ``requests`` = (path, token, body) over ``clients`` threads, each with its own HTTP/1.1 client
    (bench/common.py ``KeepAliveClient``). A failure: not the success status, or infcode ≠ 0."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client(part) -> None:
        conn = KeepAliveClient("127.0.0.1", port)
        mine, failed = [], 0
        for path, token, body in part:
            t0 = time.perf_counter()
            status, content = conn.post(path, body, {"Authorization": f"Token {token}",
                                                     "Content-Type": "application/json"})
            mine.append(time.perf_counter() - t0)
            if path == "/api/national/":
                failed += status != 200 or json.loads(content)["infcode"] != 0
            else:
                failed += status != 201
        conn.close()
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    _checkpoint()
    threads = [threading.Thread(target=client, args=(requests[n::clients],)) for n in range(clients)]
    cpu0 = _cpu(server_pid)
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    used = [None if b is None or a is None else b - a for a, b in zip(cpu0, _cpu(server_pid))]
    return elapsed, sorted(latencies), failures[0], used


def _cpu(server_pid: int | None) -> list[float | None]:
    """CPU seconds so far of gunicorn (master and workers), of the PostgreSQL cluster (when it runs
    here: bench/claims.py _server_cpu) and of this process (the clients)."""
    return [tree_cpu_seconds(server_pid) if server_pid else None, _server_cpu(), time.process_time()]


def _line(kind: str, count: int, elapsed: float, latencies: list[float], failures: int, cpu: list, **extra) -> dict:
    per_claim = {f"{name}_cpu_ms_per_claim": None if used is None else round(used / count * 1000, 2)
                 for name, used in zip(("gunicorn", "postgres", "client"), cpu)}
    figures = dict(bench="national", kind=kind, claims=count, seconds=round(elapsed, 2),
                   claims_per_s=round(count / elapsed, 1), p50_ms=round(percentile(latencies, 0.5) * 1000, 2),
                   p99_ms=round(percentile(latencies, 0.99) * 1000, 2), max_ms=round(latencies[-1] * 1000, 2),
                   failures=failures, **per_claim, **extra)
    emit(**figures)
    return figures


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py national")
    parser.add_argument("--visits", type=int, default=2000, help="visits per door")
    parser.add_argument("--members", type=int, default=500, help="bench members")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=6, help="alternating measurement rounds")
    args = parser.parse_args(argv)

    from django.db import connections

    prepare(members=args.members)
    rest_bodies = [_with_fee_detail(b) for b in visits(count=args.visits, seed=11)]
    tokens, messages = _national_prepare(visits(count=args.visits, seed=12))
    rest_token = _token()
    connections.close_all()

    port = _free_port()
    env = {**os.environ, "DJANGO_DEBUG": "0", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "-w", str(args.workers), "-b",
                               f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rest = [("/api/v1/claims/", rest_token, json.dumps(b).encode()) for b in rest_bodies]
        national = [("/api/national/", tokens[code], json.dumps(m, ensure_ascii=False).encode())
                    for code, m in messages]
        # warm-up of both doors in every worker (imports, connections, prepared statements), untimed
        warm = args.clients * args.workers
        _post_all(port, rest[:warm], clients=args.clients)
        _post_all(port, national[:warm], clients=args.clients)
        totals = {"rest": [0.0, [], 0, 0, [0.0, 0.0, 0.0]], "national": [0.0, [], 0, 0, [0.0, 0.0, 0.0]]}
        doors = {"rest": rest[warm:], "national": national[warm:]}
        for n in range(args.rounds):
            for door in (("rest", "national") if n % 2 == 0 else ("national", "rest")):
                part = doors[door][n::args.rounds]
                elapsed, latencies, failures, used = _post_all(port, part, clients=args.clients,
                                                               server_pid=server.pid)
                total = totals[door]
                total[0] += elapsed
                total[1].extend(latencies)
                total[2] += failures
                total[3] += len(part)
                total[4] = [None if a is None or b is None else a + b for a, b in zip(total[4], used)]
        for total in totals.values():
            total[1].sort()
        seconds, latencies, failures, count, cpu = totals["rest"]
        reference = _line("rest", count, seconds, latencies, failures, cpu, gunicorn_workers=args.workers,
                          clients=args.clients, rounds=args.rounds)
        seconds, latencies, failures, count, cpu = totals["national"]
        _line("national_2207", count, seconds, latencies, failures, cpu, gunicorn_workers=args.workers,
              clients=args.clients, rounds=args.rounds,
              vs_rest=round(count / seconds / reference["claims_per_s"], 2), peak_rss_mb=peak_rss_mb(),
              loadavg=open("/proc/loadavg").read().split()[:3])
    finally:
        server.terminate()
        server.wait(timeout=10)
