"""Admin page times at scale: ``python bench/run.py admin [--members N] [--load] [--runs R]``.

Run against the configured database (the embedded default, or DATABASE_URL) after ``python manage.py
load_demo --scale N`` (or pass ``--load`` to do that here). With django.test.Client logged in as a
district clerk and as the superuser, each page is fetched twice to warm up, then ``--runs`` times; the
median is compared with the goal (300 ms). Every line also gives the number of SQL queries (flat = no
N+1). For a page over the goal, the EXPLAIN ANALYZE of its slowest queries is printed.
"""
from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import emit, peak_rss_mb

GOAL_MS = 300.0
CLERK = "clerk_360102"


def _estimate_members() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'members_member'::regclass")
        return int(cursor.fetchone()[0])


def _sample_member(district: str):
    """A member of the clerk's district from the middle of the table (not a hot first page row)."""
    from members.models import Member

    newest = Member.objects.filter(district_id=district).order_by("-id").values_list("id", flat=True).first()
    return Member.objects.filter(district_id=district, id__lte=max(1, newest // 2)).order_by("-id").first() or \
        Member.objects.filter(district_id=district).order_by("-id").first()


def _time_page(client: Client, url: str, runs: int) -> tuple[list[float], CaptureQueriesContext, int]:
    for _ in range(2):  # warm-up: connection, templates, PostgreSQL buffers
        client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return times, queries, response.status_code


def _explain(queries: CaptureQueriesContext, top: int = 3) -> list[dict]:
    slowest = sorted(queries.captured_queries, key=lambda q: Decimal(q["time"]), reverse=True)[:top]
    plans = []
    with connection.cursor() as cursor:
        for query in slowest:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append({"ms": int(Decimal(query["time"]) * 1000), "sql": sql[:500],
                          "plan": [row[0] for row in cursor.fetchall()]})
    return plans


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py admin")
    parser.add_argument("--members", type=int, default=100_000, help="members per region the data was loaded with")
    parser.add_argument("--load", action="store_true", help="run load_demo --scale first if the table is smaller")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    from django.core.management import call_command

    from members import demo
    from members.models import Member

    call_command("migrate", verbosity=0)   # every benchmark migrates its database itself

    if args.load:
        demo.load_demo()
        missing = args.members * 5 - Member.objects.count()
        if missing > 0:
            start = time.perf_counter()
            added = demo.load_scale(per_region=args.members)
            emit(bench="admin", step="load_scale", per_region=args.members, added=sum(added.values()),
                 seconds=round(time.perf_counter() - start, 1), peak_rss_mb=peak_rss_mb())

    User = get_user_model()
    member = _sample_member("360102")
    surname = member.psn_name[0]
    pages = {
        "member_changelist": "/admin/members/member/",
        "member_search_certno": f"/admin/members/member/?q={member.certno}",
        "member_search_name": f"/admin/members/member/?q={surname}",
        "member_search_full_name": f"/admin/members/member/?q={member.psn_name}",
        "member_change": f"/admin/members/member/{member.pk}/change/",
        "member_changelist_page_50": "/admin/members/member/?p=50",
        "member_filter_region": "/admin/members/member/?admdvs__admdvs__exact=360100",
        "member_filter_retired": "/admin/members/member/?person_type=retired",
        "signup_changelist": "/admin/members/signup/",
        "provider_changelist": "/admin/providers/provider/",
    }
    total = _estimate_members()
    for username in (CLERK, "admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for page, url in pages.items():
            times, queries, status = _time_page(client, url, args.runs)
            median = statistics.median(times)
            figures = dict(bench="admin", page=page, user=username, members_total_estimate=total,
                           members_per_region=args.members, status=status, ms_median=round(median, 1),
                           ms_min=round(min(times), 1), ms_max=round(max(times), 1), runs=args.runs,
                           queries=len(queries.captured_queries),
                           sql_ms=int(sum(Decimal(q["time"]) for q in queries.captured_queries) * 1000),
                           goal_ms=GOAL_MS, ok=median < GOAL_MS and status == 200)
            emit(**figures)
            if median >= GOAL_MS:
                emit(bench="admin", page=page, user=username, explain=_explain(queries))
    emit(bench="admin", step="done", peak_rss_mb=peak_rss_mb())
