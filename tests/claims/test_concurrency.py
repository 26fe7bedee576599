"""16 threads settle visits for ONE member at once (PostgreSQL): the row lock keeps the accumulator
equal to the sum of the recorded decisions and the annual cap unexceeded; without it, it breaks."""
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from claims import services, store
from claims.models import Accumulator, Claim
from tests.claims.helpers import request_for
from tests.claims.invariants import accumulated, deltas_sum
from tests.factories import make_member, make_provider

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]
THREADS, VISITS = 16, 50
ZIBO_CAP_2024 = Decimal("4000")


def hammer(member, provider) -> list[BaseException]:
    """THREADS threads, each with its own connection, settle VISITS visits of the member."""
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        try:
            moment = datetime(2024, 1, 2, 8, 0) + timedelta(minutes=thread)
            requests = [request_for(member=member, provider=provider, inscp="50.00",
                                    visit_at=(moment + timedelta(hours=n)).isoformat()) for n in range(VISITS)]
            start.wait()
            for request in requests:
                services.claim_settle(request=request, by=None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def fund_recorded(member) -> Decimal:
    return sum(Claim.objects.filter(member=member).values_list("hifp_pay", flat=True), Decimal(0))


def test_locked_accumulator_stays_exact_under_contention():
    for _ in range(3):
        # given a fresh Zibo member (L1: deductible 50, ratio 60%, cap 4000 in 2024)
        member = make_member(admdvs="370300")
        provider = make_provider(admdvs="370300", level="1")
        # when 16 threads settle 50 visits each at the same time
        errors = hammer(member, provider)
        # then every claim is recorded, the accumulator is the sum of the decisions, the cap holds
        assert errors == []
        assert Claim.objects.filter(member=member).count() == THREADS * VISITS
        assert accumulated(member) == deltas_sum(member)
        assert fund_recorded(member) == ZIBO_CAP_2024


def unlocked_rows(pairs):
    """claims.store's read of the accumulator rows without its FOR UPDATE."""
    member_ids, years = sorted({m for m, _ in pairs}), sorted({y for _, y in pairs})
    rows = Accumulator.objects.filter(member_id__in=member_ids, year__in=years)
    return {(a.member_id, a.year): a for a in rows if (a.member_id, a.year) in pairs}


def test_without_the_lock_the_invariant_breaks(monkeypatch):
    # given the claims store reading the accumulator rows without locking them
    monkeypatch.setattr(store, "accumulator_rows_locked", unlocked_rows)
    broken = False
    for _ in range(3):
        member = make_member(admdvs="370300")
        provider = make_provider(admdvs="370300", level="1")
        # when 16 threads race
        hammer(member, provider)
        # then updates are lost: the accumulator no longer matches the decisions, or the cap is exceeded
        if accumulated(member) != deltas_sum(member) or fund_recorded(member) > ZIBO_CAP_2024:
            broken = True
            break
    assert broken, "without the lock the race should lose updates; the test would not catch a missing lock"


def race(count: int, work) -> list:
    """Run ``work()`` in ``count`` threads released together; their results or exceptions."""
    results: list = []
    start = threading.Barrier(count)

    def run() -> None:
        try:
            start.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_same_idempotency_key_at_once_records_one_claim():
    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    request = request_for(member=member, provider=provider, visit_at="2024-05-01T10:00", idempotency_key="race-1")
    results = race(8, lambda: services.claim_settle(request=request, by=None))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len({claim.setl_id for claim, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Claim.objects.filter(member=member).count() == 1


def test_concurrent_reversals_reverse_once():
    from config.errors import Conflict

    member = make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="1")
    claim, _ = services.claim_settle(request=request_for(member=member, provider=provider, inscp="500.00",
                                                         visit_at="2024-05-01T10:00"), by=None)
    results = race(8, lambda: services.claim_reverse(setl_id=claim.setl_id, by=None))
    assert sum(isinstance(r, Claim) for r in results) == 1
    assert all(isinstance(r, (Claim, Conflict)) for r in results)
    assert accumulated(member) == {} == deltas_sum(member)
