"""A 10 000-visit file settled by a real prefork Celery worker over Redis, partition by partition,
decides exactly as settling the same visits one by one does.

The worker listens on a queue of its own (other workers on the same Redis never take these
messages) and connects to this test's database, so it sees the members the test committed.
"""
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
from django.db import connection

from claims.files import claims_file_settle
from claims.models import Claim
from claims.services import claim_settle
from claims.requests import claim_request_parse
from members.certno import make_certno
from tests.celery_worker import celery_worker
from tests.factories import make_member, make_provider, make_signup

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
REGIONS = ("411300", "370300", "360700", "360100", "441600")
MEMBERS_PER_REGION, VISITS_PER_MEMBER = 100, 20  # 5 x 100 x 20 = 10 000 visits


def database_url() -> str:
    """This test's database (the test database, not the configured one), for the worker."""
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    auth = quote(s["USER"] or "", safe="") + (":" + quote(s["PASSWORD"], safe="") if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def twin_worlds():
    """Two identical members per slot (same region, age, sign-up): one for the file, one for one by one."""
    worlds = []
    for r, admdvs in enumerate(REGIONS):
        providers = [make_provider(admdvs=admdvs, level=str(level), kind="township" if level == 1 else "hospital")
                     for level in (1, 2, 3)]
        for n in range(MEMBERS_PER_REGION):
            birth = date(1950 + n % 40, 1 + r, 1 + n // 40)
            twins = [make_member(admdvs=admdvs, birth=birth, certno=make_certno(area="360102", birth=birth,
                                                                                sequence=100 * r + 2 * (n % 40) + k))
                     for k in (0, 1)]
            if admdvs in ("360100", "441600"):
                for member in twins:
                    make_signup(member=member, provider=providers[0], effective_from=date(2023, 6, 1))
            worlds.append((twins, providers))
    return worlds


def visit_rows(member, providers, slot: int) -> list[dict]:
    rows, moment = [], datetime(2024, 1, 3, 8, 0)
    for k in range(VISITS_PER_MEMBER):
        moment += timedelta(days=11, hours=k % 7)
        inscp = f"{(k * 173 + slot * 31) % 1400 + 20}.{k % 100:02d}"
        rows.append({"admdvs": member.admdvs_id, "certno": member.certno,
                     "fixmedins_code": providers[k % 3].fixmedins_code, "visit_at": moment.isoformat(),
                     "medfee_sumamt": inscp, "inscp_scp_amt": inscp, "emergency": k % 9 == 0})
    return rows


def decision(claim) -> tuple:
    return (claim.visit_at, claim.status, claim.reason, claim.act_pay_dedc, claim.pool_prop_selfpay, claim.hifp_pay,
            claim.psn_part_amt, claim.deltas)


def test_given_a_prefork_worker_when_a_10000_visit_file_is_settled_then_it_decides_as_one_by_one():
    # given 500 pairs of identical members over the five regions, and a prefork worker on its own queue
    worlds = twin_worlds()
    file_rows = [row for slot, (twins, providers) in enumerate(worlds) for row in visit_rows(twins[0], providers, slot)]
    file_rows.reverse()  # the file's order is not visit order: the engine orders each member's visits
    queue = f"claims-file-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue, pool="prefork", concurrency=2, env={"DATABASE_URL": database_url()}):
        # when the file goes through the worker as member partitions (a Celery group over Redis)
        answer = claims_file_settle(rows=file_rows, user_id=None, partition_rows=1000, queue=queue).get(timeout=600)
    # then every row was settled, in several partitions, with nothing failed
    assert answer["failed_partitions"] == []
    assert answer["settled"] == 10_000
    assert all(row.get("created") for row in answer["rows"])
    # and the twins, settled one by one in visit order, got the same decisions
    for slot, (twins, providers) in enumerate(worlds):
        for row in visit_rows(twins[1], providers, slot):
            claim_settle(request=claim_request_parse(row), by=None)
        by_file = [decision(c) for c in Claim.objects.filter(member=twins[0]).order_by("visit_at")]
        one_by_one = [decision(c) for c in Claim.objects.filter(member=twins[1]).order_by("visit_at")]
        assert by_file == one_by_one
