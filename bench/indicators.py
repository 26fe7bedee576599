"""Benchmark: monthly supervision indicators + warnings for one region-month on PostgreSQL.

    .venv/bin/python bench/run.py indicators --providers 1000 --visits 3000000
    (or on the test cluster: eval "$(scripts/services.sh start)" first, or any DATABASE_URL)

Migrates the database itself (``manage.py migrate``), then loads (with COPY, into a database it may
wipe: the bench tables are TRUNCATEd on --reload or when the sizes differ) P providers of Nanyang
411300, V/6 members, V claims in 2024-03 with two fee-detail lines each (and their per-claim sums
exam_amount / out_of_catalogue_amount / itemised_amount), 1 % of them reversed, and a few inpatient
stays and departures. The claims are COPYed past the claims writer, so supervision's tallies are then
rebuilt from them (``supervision.tallies.tallies_rebuild``, as migration supervision 0005 does for an
existing database; step ``tallies_rebuild``). Then it times, in the same run:
  floor     the bare aggregate: visits, total and fund payment per provider for the month — with the
            server's settings and with JIT off, before and after the steps below; the lowest run counts
  compute   supervision.services.indicators.indicators_compute
  detect    supervision.services.warnings.warnings_detect
  run       supervision_period_run (both), the figure compared with the floor (goal: within 3×)
  reference_check   the month's figures from the tallies against the former month statement over the
            claims (tests/supervision/month_statement_reference.py), once, with its time (--no-check
            skips it)
Every line carries the load average (/proc/loadavg) when it was printed; the summary: floor, run,
ratio, load average and the peak RSS of this process during the measurements (``peak_rss_mb``) and
with the load's generator (``peak_rss_mb_with_load``).
"""
from __future__ import annotations

import argparse
import io
import random
from datetime import date

from bench.common import emit as emit_line
from bench.common import peak_rss_mb, timed

ADMDVS = "411300"
PERIOD = date(2024, 3, 1)
CHUNK = 50_000
TABLES = ["supervision_warningevent", "supervision_warning", "supervision_providerindicator",
          "supervision_inpatientstay", "supervision_memberdaytally", "supervision_membermonthtally",
          "supervision_visitsperdaytally", "supervision_providermonthtally", "supervision_talliedclaimahead",
          "claims_claimitem", "claims_claim",
          "members_member", "providers_provider"]
CLAIM_COLUMNS = ("id, setl_id, visit_at, visit_date, benefit, emergency, referral, out_of_area, channel, "
                 "medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, status, "
                 "act_pay_dedc, pool_prop_selfpay, hifp_pay, psn_part_amt, acct_pay, psn_cash_pay, acct_used, "
                 "deltas, steps, inputs, request_hash, created_at, admdvs, charged_provider_id, district, "
                 "member_id, provider_id, reverses_id, exam_amount, out_of_catalogue_amount, itemised_amount")
FLOOR_SQL = ("SELECT provider_id, COUNT(*), SUM(medfee_sumamt), SUM(hifp_pay) FROM claims_claim "
             "WHERE admdvs = %s AND visit_date >= %s AND visit_date < %s GROUP BY provider_id")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages of the machine now (the machine is shared)."""
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def emit(**figures) -> None:
    emit_line(**figures, loadavg=load_average())


def peak_reset() -> None:
    """Start this process's peak resident memory (VmHWM) afresh (Linux: /proc/self/clear_refs), so
    the summary's peak is that of the measured steps, not of the load's generator."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def peak_since_reset_mb() -> float | None:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _copy(cursor, table: str, columns: str, lines) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            if n % CHUNK == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def _loaded(cursor, providers: int, visits: int) -> bool:
    cursor.execute("SELECT (SELECT COUNT(*) FROM providers_provider), (SELECT COUNT(*) FROM claims_claim "
                   "WHERE reverses_id IS NULL)")
    return cursor.fetchone() == (providers, visits)


def _tallied(cursor) -> bool:
    """Whether the month's tallies hold the claims (they are empty when the claims were COPYed in by
    an earlier version of this bench after the migration that builds them)."""
    cursor.execute("SELECT (SELECT COALESCE(SUM(visits), 0) FROM supervision_providermonthtally WHERE admdvs = %s "
                   "AND month = %s) = (SELECT COUNT(*) FROM claims_claim c WHERE c.admdvs = %s AND c.visit_date >= %s "
                   "AND c.visit_date < %s AND c.reverses_id IS NULL AND NOT EXISTS (SELECT 1 FROM claims_claim r "
                   "WHERE r.reverses_id = c.id))", [ADMDVS, PERIOD, ADMDVS, PERIOD, date(2024, 4, 1)])
    return cursor.fetchone()[0]


def load(cursor, *, providers: int, visits: int, seed: int) -> None:
    rng = random.Random(seed)
    cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    # Bench database only: the generated rows are consistent by construction, so skip the per-row
    # deferred foreign-key triggers (they cost more than the COPY itself).
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("SELECT code FROM policy_district WHERE region_id = %s ORDER BY code", [ADMDVS])
    districts = [row[0] for row in cursor.fetchall()]
    stamp = "2024-04-01 04:00:00+08"
    levels = rng.choices("1239", weights=[60, 25, 10, 5], k=providers)
    _copy(cursor, "providers_provider", "id, fixmedins_code, fixmedins_name, dedc_hosp_lv, kind, status, "
          "created_at, updated_at, admdvs, district",
          (f"{i}\tBP{i:06d}\t机构{i}\t{levels[i - 1]}\thospital\tactive\t{stamp}\t{stamp}\t{ADMDVS}\t"
           f"{districts[i % len(districts)]}\n" for i in range(1, providers + 1)))
    members = max(100, visits // 6)
    _copy(cursor, "members_member", "id, certno, psn_name, insutype, psn_type, poverty, enrolled_on, brdy, gend, "
          "status, left_on, chronic_diseases, created_at, updated_at, admdvs, district",
          (f"{i}\t8{i:017d}\t参保人{i}\t310\t1101\tf\t2015-01-01\t1970-01-01\t1\t"
           f"{'left' if i % 997 == 0 else 'active'}\t{'2024-03-15' if i % 997 == 0 else chr(92) + 'N'}\t[]\t"
           f"{stamp}\t{stamp}\t{ADMDVS}\t{districts[i % len(districts)]}\n" for i in range(1, members + 1)))
    weights = [rng.lognormvariate(0, 0.6) for _ in range(providers)]
    provider_of = rng.choices(range(1, providers + 1), weights=weights, k=visits)
    reversed_ids = set(rng.sample(range(1, visits + 1), visits // 100))

    categories = ("exam", "drug", "treatment", "material")

    def split(cid, total, first):
        """The two fee-detail lines of claim ``cid``: (category, chrgitm_lv, cents)."""
        return ((categories[cid % 4], "01", first), ("drug", "0" + str(1 + cid % 3), total - first))

    def fee_sums(cid, total, first, sign=1):
        """The claim's per-claim fee-detail sums as the claims service writes them (exam, 03, all)."""
        lines = split(cid, total, first)
        return (sign * sum(a for c, _, a in lines if c == "exam"), sign * sum(a for _, lv, a in lines if lv == "03"),
                sign * total)

    def claim_line(cid, setl, day, hour, pid, mid, total, own, over, pre, fund, status, reverses, sums):
        eligible = total - own - over - pre
        return (f"{cid}\t{setl}\t2024-03-{day:02d} {hour:02d}:00:00+08\t2024-03-{day:02d}\tordinary\tf\tf\tnone\t"
                f"direct\t{money(total)}\t{money(own)}\t{money(over)}\t{money(pre)}\t{money(eligible)}\t{status}\t"
                f"0.00\t0.6000\t{money(fund)}\t{money(total - fund)}\t0.00\t{money(total - fund)}\tf\t{{}}\t[]\t{{}}\t"
                f"\t{stamp}\t{ADMDVS}\t{pid}\t{districts[mid % len(districts)]}\t{mid}\t{pid}\t{reverses}\t"
                f"{money(sums[0])}\t{money(sums[1])}\t{money(sums[2])}\n")

    facts = []  # (day, hour, member, total, own, over, pre, fund, first item) per original, for items and reversals

    def originals():
        for cid in range(1, visits + 1):
            total = rng.randint(1_000, 50_000)
            own, over, pre = total // rng.randint(8, 40), total // 50, 0
            fund = (total - own - over) * 6 // 10
            fact = (rng.randint(1, 31), rng.randint(7, 20), rng.randint(1, members), total, own, over, pre, fund,
                    total * rng.randint(10, 60) // 100)
            facts.append(fact)
            day, hour, mid = fact[:3]
            yield claim_line(cid, f"BS{cid:012d}", day, hour, provider_of[cid - 1], mid, total, own, over, pre,
                             fund, "settled", "\\N", fee_sums(cid, total, fact[8]))

    def reversals():
        for n, cid in enumerate(sorted(reversed_ids), start=visits + 1):
            day, hour, mid, total, own, over, pre, fund, first = facts[cid - 1]
            yield claim_line(n, f"BR{cid:012d}", day, hour, provider_of[cid - 1], mid, -total, -own, -over, -pre,
                             -fund, "reversal", cid, fee_sums(cid, total, first, sign=-1))

    _copy(cursor, "claims_claim", CLAIM_COLUMNS, originals())
    _copy(cursor, "claims_claim", CLAIM_COLUMNS, reversals())

    def items():
        item_id = 0
        for cid, fact in enumerate(facts, start=1):
            for category, level, amount in split(cid, fact[3], fact[8]):
                item_id += 1
                yield f"{item_id}\tC{category}\t{category}\t{category}\t{level}\t{money(amount)}\t{cid}\n"

    _copy(cursor, "claims_claimitem", "id, code, name, category, chrgitm_lv, amount, claim_id", items())
    _copy(cursor, "supervision_inpatientstay", "member_id, admitted_on, discharged_on, note, created_at",
          (f"{mid}\t2024-03-10\t2024-03-14\tbench\t{stamp}\n" for mid in range(500, members, 1009)))
    for table in ("providers_provider", "members_member", "claims_claim", "claims_claimitem"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def _profile(work) -> list:
    """The slowest statements of one run: [[seconds, first words], ...]."""
    import time

    from django.db import connection

    log = []

    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append([round(time.perf_counter() - start, 3), " ".join(sql.split())[:90]])

    with connection.execute_wrapper(wrapper):
        work()
    return sorted(log, reverse=True)[:5]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py indicators")
    parser.add_argument("--providers", type=int, default=100)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--reload", action="store_true", help="wipe and load the data even if it is there")
    parser.add_argument("--no-check", action="store_true", help="skip the comparison with the former statement")
    args = parser.parse_args(argv)

    from django.core.management import call_command
    from django.db import connection, transaction

    from supervision.tallies import month_aggregates, tallies_rebuild
    from tests.supervision import month_statement_reference

    with timed() as seconds:
        call_command("migrate", verbosity=0)
    emit(step="migrate", seconds=round(seconds(), 2))

    from supervision.services import supervision_period_run
    from supervision.services.indicators import indicators_compute
    from supervision.services.warnings import warnings_detect

    with connection.cursor() as cursor:
        loaded = False
        if args.reload or not _loaded(cursor, args.providers, args.visits):
            with timed() as seconds, transaction.atomic():
                load(cursor, providers=args.providers, visits=args.visits, seed=args.seed)
            emit(step="load", providers=args.providers, visits=args.visits, seconds=round(seconds(), 2))
            loaded = True
            with timed() as seconds:
                cursor.execute("VACUUM ANALYZE")
            emit(step="vacuum_analyze", seconds=round(seconds(), 2))
        if loaded or not _tallied(cursor):   # after the claims' statistics (it analyses what it writes)
            with timed() as seconds:
                rows = tallies_rebuild()
            emit(step="tallies_rebuild", seconds=round(seconds(), 2), rows=rows)
        cursor.execute(FLOOR_SQL, [ADMDVS, PERIOD, date(2024, 4, 1)])   # warm the cache once
        cursor.fetchall()
    peak_load_mb = peak_rss_mb()
    peak_reset()

    def measure(name, work):
        runs = []
        for _ in range(args.repeat):
            with timed() as seconds:
                result = work()
            runs.append(round(seconds(), 3))
        emit(step=name, seconds=min(runs), runs=runs, result=result)
        return min(runs)

    def floor(sql=FLOOR_SQL, params=(ADMDVS, PERIOD, date(2024, 4, 1)), jit=True):
        with transaction.atomic(), connection.cursor() as cursor:
            if not jit:
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, list(params))
            return len(cursor.fetchall())

    # The floor at its fastest: with the server's settings and without JIT (the supervision statements
    # run without it), before and after the supervision steps (the machine is shared); the lowest run.
    floors = [measure("floor", floor), measure("floor_jit_off", lambda: floor(jit=False))]
    measure("compute", lambda: indicators_compute(admdvs=ADMDVS, period=PERIOD))
    measure("detect", lambda: warnings_detect(admdvs=ADMDVS, period=PERIOD))
    run_s = measure("run", lambda: supervision_period_run(admdvs=ADMDVS, period=PERIOD)["warnings"])
    floors += [measure("floor_after", floor), measure("floor_jit_off_after", lambda: floor(jit=False))]
    floor_s = min(floors)
    emit(step="statements", top=_profile(lambda: supervision_period_run(admdvs=ADMDVS, period=PERIOD)))
    if not args.no_check:
        # The figures of both paths on this data: the tallies against the former month statement over
        # the claims (its month indexes are gone: it reads the table, so this takes a while).
        from supervision.selectors import supervision_settings_for

        limit = supervision_settings_for(admdvs=ADMDVS, period=PERIOD).max_visits_per_day
        tallied = sorted(month_aggregates(admdvs=ADMDVS, month=PERIOD, max_per_day=limit, itemised=True))
        with timed() as seconds, transaction.atomic():
            former = sorted(month_statement_reference.month_aggregates(admdvs=ADMDVS, month=PERIOD,
                                                                       max_per_day=limit, itemised=True))
        emit(step="reference_check", equal=tallied == former, providers=len(tallied),
             repeat_visit_days=sum(row[10] for row in tallied), former_statement_seconds=round(seconds(), 2))
    emit(step="summary", providers=args.providers, visits=args.visits, floor_seconds=floor_s, run_seconds=run_s,
         ratio_to_floor=round(run_s / floor_s, 2), goal="<= 3x", peak_rss_mb=peak_since_reset_mb(),
         peak_rss_mb_with_load=max(peak_load_mb, peak_rss_mb()))
