"""Settlement-run benchmark (PostgreSQL): ``python bench/run.py settlement [options]``.

Loads (COPY) ``--members`` Nanchang members signed with ``--providers`` township centres (a tenth
of them with a village clinic whose sign-ups roll up; 5% of members change provider during the
year) and ``--visits`` claims in ``--period``, then prints JSON lines:

* ``floor``: the bare SQL aggregates a monthly run cannot avoid — fund payments per provider for the
  month, and members per provider and age group at month end (DISTINCT ON) — timed in the same run;
* ``monthly``: ``settlement_run_compute`` for the month (seconds, peak RSS of this process, ratio to
  the floor); ``year_end``: the year-end run for the period's year;
* ``split``: the same monthly run split by district over 2 Celery worker processes started here
  (needs REDIS_URL), and whether its lines equal the single task's;
* ``ffs_floor`` / ``fee_for_service``: Nanyang's fee-for-service run for the month against its bare
  aggregate (``bench/settlement_ffs.py``; ``--ffs-providers``, ``--ffs-visits``, ``--only``).

Defaults are small; the goal sizes are ``--members 1000000 --providers 1000 --visits 3000000`` (the
fee-for-service line then has 1 000 providers and 3 000 000 visits too).
Loading TRUNCATEs the members, claims and runs of the database it runs on (the embedded default's
without DATABASE_URL): use a scratch database unless that data may go, or ``--no-load``.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from bench.common import emit, peak_rss_mb, timed

ADMDVS = "360100"
DISTRICTS = ["360102", "360103", "360104", "360111", "360112", "360113", "360121", "360123", "360124"]
CHUNK = 500   # rows per write: psycopg queues writes (up to 1024), so small blocks keep memory flat
ROOT = Path(__file__).resolve().parent.parent


def _copy(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of already-formatted text, None → NULL) in chunks: memory stays flat."""
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
                buffer.write("\n")
                count += 1
                if count % CHUNK == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
    return count


def load(*, members: int, providers: int, visits: int, year: int, month: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now().astimezone().isoformat()
    with connection.cursor() as cursor:
        # Bench database only: skip the per-row foreign-key triggers while loading (the generator
        # writes consistent ids), as a restore would.
        cursor.execute("SET session_replication_role = replica")
        # supervision's tallies too (they have no key to the claims): left empty, not rebuilt for the
        # COPYed claims (``manage.py supervision_tallies_rebuild`` before running supervision on them)
        cursor.execute("TRUNCATE budgets_settlementline, budgets_settlementrun, claims_claim, members_signup, "
                       "members_member, supervision_memberdaytally, supervision_membermonthtally, "
                       "supervision_visitsperdaytally, supervision_providermonthtally, supervision_talliedclaimahead "
                       "CASCADE")
        cursor.execute("DELETE FROM providers_provider WHERE fixmedins_code LIKE 'BN%%' AND parent_code IS NOT NULL")
        cursor.execute("DELETE FROM providers_provider WHERE fixmedins_code LIKE 'BN%%'")
    centres = [(f"BNC{i:05d}", DISTRICTS[i % len(DISTRICTS)]) for i in range(providers)]
    villages = [(f"BNV{i:05d}", code, district) for i, (code, district) in enumerate(centres) if i % 10 == 0]
    _copy("providers_provider", ["fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind",
                                 "parent_code", "status", "created_at", "updated_at"],
          [(c, f"卫生院{c}", ADMDVS, d, "1", "township", None, "active", now, now) for c, d in centres]
          + [(v, f"村卫生室{v}", ADMDVS, d, "1", "village", c, "active", now, now) for v, c, d in villages])
    with connection.cursor() as cursor:
        cursor.execute("SELECT fixmedins_code, id FROM providers_provider WHERE fixmedins_code LIKE 'BN%%'")
        ids = dict(cursor.fetchall())
    centre_ids = [ids[c] for c, _ in centres]
    village_of = {ids[c]: ids[v] for v, c, _ in villages}
    district_of = {ids[c]: d for c, d in centres}

    def member_rows():
        for i in range(members):
            provider = centre_ids[i % providers]
            birth = date(1930, 1, 1) + timedelta(days=(i * 7919) % 34000)
            yield (ADMDVS, f"81{i:016d}", "参保人", "390", "1501", "f", district_of[provider], "2019-01-01",
                   birth, "1" if i % 2 else "2", "active", "[]", now, now)

    _copy("members_member", ["admdvs", "certno", "psn_name", "insutype", "psn_type", "poverty", "district",
                             "enrolled_on", "brdy", "gend", "status", "chronic_diseases", "created_at", "updated_at"],
          member_rows())
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM members_member")
        first_member = cursor.fetchone()[0]

    def signup_rows():
        for i in range(members):
            provider = centre_ids[i % providers]
            signed = village_of.get(provider, provider) if i % 3 == 0 else provider
            yield (first_member + i, signed, "2020-01-01", "first", "f", "2020-01-01", now)
            if i % 20 == 7:                         # 5%: address change effective some month of the year
                moved = date(year, 1 + i % 12, 1)
                yield (first_member + i, centre_ids[(i + 1) % providers], moved - timedelta(days=10),
                       "address_change", "f", moved, now)

    _copy("members_signup", ["member_id", "provider_id", "applied_on", "reason", "family_doctor", "effective_from",
                             "created_at"], signup_rows())

    days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days

    def claim_rows():
        for k in range(visits):
            i = rng.randrange(members)
            provider = centre_ids[i % providers]
            day = date(year, month, 1 + k % days)
            pay = f"{rng.randrange(100, 10000) / 100:.2f}"
            status, amount = ("reversal", f"-{pay}") if k % 100 == 99 else ("settled", pay)
            yield (f"BN{k:020d}", ADMDVS, district_of[provider], first_member + i, provider, provider,
                   f"{day}T09:00:00+08:00", day, amount, amount, status, "0", "0.6000", amount, amount,
                   "{}", "[]", "{}", "", now)

    _copy("claims_claim", ["setl_id", "admdvs", "district", "member_id", "provider_id", "charged_provider_id",
                           "visit_at", "visit_date", "medfee_sumamt", "inscp_scp_amt", "status", "act_pay_dedc",
                           "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "deltas", "steps", "inputs",
                           "request_hash", "created_at", "benefit", "emergency", "referral", "out_of_area", "channel",
                           "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "acct_pay", "psn_cash_pay",
                           "acct_used"],
          (row + ("ordinary", "f", "f", "none", "direct", "0", "0", "0", "0", "0", "f") for row in claim_rows()))
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE members_member")
        cursor.execute("VACUUM ANALYZE members_signup")
        cursor.execute("VACUUM ANALYZE claims_claim")
        cursor.execute("ANALYZE providers_provider")


FLOOR_CLAIMS = """
    SELECT charged_provider_id, SUM(hifp_pay), COUNT(*) FROM claims_claim
    WHERE admdvs = %s AND visit_date BETWEEN %s AND %s GROUP BY charged_provider_id
"""
FLOOR_QUOTA = """
    WITH latest AS (
        SELECT DISTINCT ON (s.member_id) s.member_id, s.provider_id
        FROM members_signup s WHERE s.effective_from <= %s
        ORDER BY s.member_id, s.effective_from DESC, s.id DESC)
    SELECT l.provider_id, {group_case} AS g, COUNT(*)
    FROM latest l JOIN members_member m ON m.id = l.member_id WHERE m.admdvs = %s GROUP BY 1, 2
"""


def floor(year: int, month: int) -> float:
    """The bare aggregates: no window, no village roll-up, no late rows, no pricing, no writes."""
    from budgets.sql import _group_case, month_end, tune_transaction
    from django.db import transaction
    from policy.selectors import parameters_in_force

    start, end = date(year, month, 1), month_end(year, month)
    group_case, group_params = _group_case(year, parameters_in_force(admdvs=ADMDVS, day=end)[1].get("age_groups"))
    with transaction.atomic(), timed() as elapsed, connection.cursor() as cursor:
        tune_transaction()
        cursor.execute(FLOOR_CLAIMS, [ADMDVS, start, end])
        cursor.fetchall()
        cursor.execute(FLOOR_QUOTA.format(group_case=group_case), [end, *group_params, ADMDVS])
        cursor.fetchall()
    return elapsed()


def snapshot(run) -> list:
    from budgets.models import SettlementLine

    return list(SettlementLine.objects.filter(run=run).order_by("provider_id").values_list(
        "provider_id", "members", "quota", "actual", "paid", "claims"))


def split_over_workers(period: str, expected: list) -> None:
    from budgets.models import SettlementRun
    from budgets.tasks import settlement_split_signature

    if not os.environ.get("REDIS_URL"):
        emit(bench="settlement", phase="split", skipped="set REDIS_URL to start 2 Celery workers")
        return
    queue = f"settlement-bench-{os.getpid()}"
    celery = str(ROOT / ".venv" / "bin" / "celery") if (ROOT / ".venv/bin/celery").exists() else "celery"
    workers = [subprocess.Popen([celery, "-A", "config", "worker", "-Q", queue, "-c", "1", "--pool", "solo",
                                 "-n", f"bench{n}-{os.getpid()}@%h", "-l", "warning"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in range(2)]
    try:
        time.sleep(6)
        with timed() as elapsed:
            signature = settlement_split_signature(ADMDVS, "monthly", period, queue=queue, pieces=2)
            run_id = signature.apply_async().get(timeout=3600)
        run = SettlementRun.objects.get(pk=run_id)
        emit(bench="settlement", phase="split", workers=2, pieces=2, seconds=round(elapsed(), 2),
             same_lines_as_single_task=snapshot(run) == expected)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py settlement")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--providers", type=int, default=100)
    parser.add_argument("--visits", type=int, default=60_000)
    parser.add_argument("--period", default="2024-03")
    parser.add_argument("--no-load", action="store_true", help="reuse the data already loaded")
    parser.add_argument("--ffs-providers", type=int, default=None,
                        help="fee-for-service providers (default --providers)")
    parser.add_argument("--ffs-visits", type=int, default=None, help="fee-for-service visits (default --visits)")
    parser.add_argument("--only", choices=["capitation", "fee_for_service"], default=None,
                        help="run one of the two lines only")
    args = parser.parse_args(argv)
    if args.only == "fee_for_service":
        call_command("migrate", verbosity=0)
        return fee_for_service_line(args, load_data=not args.no_load)
    call_command("migrate", verbosity=0)
    year, month = (int(x) for x in args.period.split("-"))
    if not args.no_load:
        with timed() as elapsed:
            load(members=args.members, providers=args.providers, visits=args.visits, year=year, month=month)
        emit(bench="settlement", phase="load", members=args.members, providers=args.providers, visits=args.visits,
             seconds=round(elapsed(), 1))
    from budgets.models import SettlementRun
    from budgets.services import settlement_run_compute

    SettlementRun.objects.filter(admdvs_id=ADMDVS).delete()
    floor_s = min(floor(year, month) for _ in range(3))
    emit(bench="settlement", phase="floor", seconds=round(floor_s, 2),
         what="SUM(hifp_pay) per provider for the month + members per provider and age group at month end")
    rss_before = peak_rss_mb()
    with timed() as elapsed:
        run = settlement_run_compute(admdvs=ADMDVS, kind="monthly", period=args.period)
    monthly_s = elapsed()
    emit(bench="settlement", phase="monthly", seconds=round(monthly_s, 2), x_floor=round(monthly_s / floor_s, 2),
         peak_rss_mb=peak_rss_mb(), peak_rss_before_run_mb=rss_before, lines=run.totals["lines"],
         members=run.totals["members"], claims=run.totals["claims"], goal="within 3x of the floor, < 1 GB")
    expected = snapshot(run)
    with timed() as elapsed:
        year_run = settlement_run_compute(admdvs=ADMDVS, kind="year_end", period=str(year))
    emit(bench="settlement", phase="year_end", seconds=round(elapsed(), 2), lines=year_run.totals["lines"],
         members=year_run.totals["members"], peak_rss_mb=peak_rss_mb(), goal="< 30 s")
    split_over_workers(args.period, expected)
    if args.only is None:
        fee_for_service_line(args, load_data=not args.no_load)


def fee_for_service_line(args, *, load_data: bool) -> None:
    """Nanyang's fee-for-service run (bench/settlement_ffs.py) on the same database, after capitation."""
    from bench.settlement_ffs import run

    run(providers=args.ffs_providers or args.providers, visits=args.ffs_visits or args.visits,
        members=max(1, min(args.members, 100_000)), period=args.period, load_data=load_data)
