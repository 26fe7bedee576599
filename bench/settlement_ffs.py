"""The fee-for-service line of ``python bench/run.py settlement`` (``--ffs-providers``, ``--ffs-visits``).

Loads (COPY) Nanyang (411300) providers — hospitals, a tenth pharmacies, a tenth township centres
each with a village clinic whose claims roll up to it — and ``--ffs-visits`` claims dated in the
period (1% of them reversals), then prints JSON lines:

* ``ffs_floor``: the bare aggregate the run cannot avoid — fund payments, costs and rows per charged
  provider for the month — timed in the same run (best of 3);
* ``fee_for_service``: ``settlement_run_compute`` of the month's fee-for-service run (seconds, ratio
  to the floor, /proc/loadavg before and after: the machine may be shared).

Goal sizes: ``--ffs-providers 1000 --ffs-visits 3000000``, within 3× of the floor.
"""
from __future__ import annotations

import random
from datetime import date, datetime

from django.db import connection, transaction

from bench.common import emit, peak_rss_mb, timed

ADMDVS = "411300"
DISTRICTS = ["411302", "411303", "411321", "411322", "411323", "411324", "411325", "411326", "411327"]


def _loadavg() -> list[str]:
    try:
        with open("/proc/loadavg") as handle:
            return handle.read().split()[:3]
    except OSError:
        return []


def load(*, providers: int, visits: int, members: int, year: int, month: int, seed: int = 11) -> None:
    from bench.settlement import _copy

    rng = random.Random(seed)
    now = datetime.now().astimezone().isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM claims_claim WHERE admdvs = %s", [ADMDVS])
        cursor.execute("DELETE FROM members_member WHERE admdvs = %s", [ADMDVS])
        cursor.execute("DELETE FROM providers_provider WHERE fixmedins_code LIKE 'BF%%' AND parent_code IS NOT NULL")
        cursor.execute("DELETE FROM providers_provider WHERE fixmedins_code LIKE 'BF%%'")

    def kind(i: int) -> str:
        return "pharmacy" if i % 10 == 1 else "township" if i % 10 == 2 else "hospital"

    heads = [(f"BFP{i:05d}", DISTRICTS[i % len(DISTRICTS)], kind(i)) for i in range(providers)]
    villages = [(f"BFV{i:05d}", code, district) for i, (code, district, k) in enumerate(heads) if k == "township"]
    _copy("providers_provider", ["fixmedins_code", "fixmedins_name", "admdvs", "district", "dedc_hosp_lv", "kind",
                                 "parent_code", "status", "created_at", "updated_at"],
          [(c, f"机构{c}", ADMDVS, d, "2" if k == "hospital" else "1", k, None, "active", now, now)
           for c, d, k in heads]
          + [(v, f"村卫生室{v}", ADMDVS, d, "1", "village", c, "active", now, now) for v, c, d in villages])
    with connection.cursor() as cursor:
        cursor.execute("SELECT fixmedins_code, id FROM providers_provider WHERE fixmedins_code LIKE 'BF%%'")
        ids = dict(cursor.fetchall())
    treating = [ids[c] for c, _, _ in heads] + [ids[v] for v, _, _ in villages]
    charged_to = {ids[c]: ids[c] for c, _, _ in heads} | {ids[v]: ids[c] for v, c, _ in villages}
    _copy("members_member", ["admdvs", "certno", "psn_name", "insutype", "psn_type", "poverty", "district",
                             "enrolled_on", "brdy", "gend", "status", "chronic_diseases", "created_at", "updated_at"],
          ((ADMDVS, f"82{i:016d}", "参保人", "310", "1101", "f", DISTRICTS[i % len(DISTRICTS)], "2019-01-01",
            "1970-01-01", "1", "active", "[]", now, now) for i in range(members)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM members_member WHERE admdvs = %s", [ADMDVS])
        first_member = cursor.fetchone()[0]
    days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days

    def claim_rows():
        for k in range(visits):
            i = rng.randrange(members)
            provider = treating[rng.randrange(len(treating))]
            day = date(year, month, 1 + k % days)
            pay = f"{rng.randrange(100, 10000) / 100:.2f}"
            status, sign = ("reversal", "-") if k % 100 == 99 else ("settled", "")
            yield (f"BF{k:020d}", ADMDVS, DISTRICTS[i % len(DISTRICTS)], first_member + i, provider,
                   charged_to[provider], f"{day}T09:00:00+08:00", day, f"{sign}{pay}", f"{sign}{pay}", status, "0",
                   "0.6000", f"{sign}{pay}", f"{sign}{pay}", "{}", "[]", "{}", "", now, "ordinary", "f", "f", "none",
                   "direct", "0", "0", "0", "0", "0", "f")

    _copy("claims_claim", ["setl_id", "admdvs", "district", "member_id", "provider_id", "charged_provider_id",
                           "visit_at", "visit_date", "medfee_sumamt", "inscp_scp_amt", "status", "act_pay_dedc",
                           "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "deltas", "steps", "inputs",
                           "request_hash", "created_at", "benefit", "emergency", "referral", "out_of_area", "channel",
                           "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "acct_pay", "psn_cash_pay",
                           "acct_used"], claim_rows())
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE claims_claim")
        cursor.execute("ANALYZE providers_provider")


FLOOR = """
    SELECT charged_provider_id, SUM(hifp_pay), SUM(medfee_sumamt), COUNT(*) FROM claims_claim
    WHERE admdvs = %s AND visit_date BETWEEN %s AND %s GROUP BY charged_provider_id
"""


def floor(start: date, end: date) -> float:
    """The bare aggregate: no status filter, no late rows, no village roll-up, no deductions, no writes."""
    with transaction.atomic(), timed() as elapsed, connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(FLOOR, [ADMDVS, start, end])
        cursor.fetchall()
    return elapsed()


def run(*, providers: int, visits: int, members: int, period: str, load_data: bool) -> None:
    from budgets.models import SettlementRun
    from budgets.services import settlement_run_compute
    from budgets.sql import month_end

    year, month = (int(x) for x in period.split("-"))
    if load_data:
        with timed() as elapsed:
            load(providers=providers, visits=visits, members=members, year=year, month=month)
        emit(bench="settlement", phase="ffs_load", providers=providers, visits=visits, members=members,
             seconds=round(elapsed(), 1))
    SettlementRun.objects.filter(admdvs_id=ADMDVS).delete()
    floor_s = min(floor(date(year, month, 1), month_end(year, month)) for _ in range(3))
    emit(bench="settlement", phase="ffs_floor", seconds=round(floor_s, 2), loadavg=_loadavg(),
         what="SUM(hifp_pay), SUM(medfee_sumamt), COUNT(*) per charged provider for the month")
    before = _loadavg()
    with timed() as elapsed:
        ffs = settlement_run_compute(admdvs=ADMDVS, kind="fee_for_service", period=period)
    seconds = elapsed()
    emit(bench="settlement", phase="fee_for_service", seconds=round(seconds, 2), x_floor=round(seconds / floor_s, 2),
         lines=ffs.totals["lines"], visits=ffs.totals["visits"], claims=ffs.totals["claims"],
         peak_rss_mb=peak_rss_mb(), loadavg_before=before, loadavg_after=_loadavg(), goal="within 3x of the floor")
