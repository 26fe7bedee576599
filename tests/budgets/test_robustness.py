"""One run per key under concurrency, all-or-nothing writes, split-by-district equality."""
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, strategies as st

from budgets import services
from budgets.models import SettlementLine, SettlementRun
from budgets.services import settlement_run_compute
from budgets.tasks import run_settlement_task
from policy.rules.capitation import pro_rata_cuts
from tests.budgets.helpers import make_claim, make_member, make_provider, make_signup


def _region_with_districts():
    """Given providers in three Nanchang districts, a village clinic, members and claims."""
    out = []
    for n, district in enumerate(["360102", "360103", "360121"]):
        centre = make_provider(code=f"SPL-{district}", district=district)
        village = make_provider(code=f"SPL-V{district}", district=district, kind="village", parent=centre)
        for k in range(n + 2):
            member = make_member(birth=date(1950 + 9 * k, 1, 1), district=district)
            make_signup(member=member, provider=village if k % 2 else centre, effective_from=date(2021, 1, 1))
            make_claim(member=member, charged=centre, visit=date(2024, 3, 3 + k), hifp_pay=f"{11 * (k + 1)}.37")
        out.append(centre)
    mover = make_member(birth=date(1954, 1, 1), district="360102")      # changes district in March
    make_signup(member=mover, provider=out[0], effective_from=date(2021, 1, 1))
    make_signup(member=mover, provider=out[1], effective_from=date(2024, 3, 1), reason="address_change",
                applied_on=date(2024, 2, 10))
    return out


def _snapshot(run) -> list:
    fields = ["provider_id", "district_id", "members", "member_months", "quota", "actual", "paid", "budget",
              "determined", "ceiling_cut", "prepaid", "balance_due", "band", "claims", "inputs"]
    return list(SettlementLine.objects.filter(run=run).order_by("provider_id").values(*fields))


@pytest.mark.django_db
@pytest.mark.parametrize("pieces", [2, 9])
@pytest.mark.parametrize("kind, period", [("monthly", "2024-03"), ("year_end", "2024")])
def test_given_region_when_split_by_district_then_same_lines_as_one_task(kind, period, pieces, settings):
    settings.SETTLEMENT_SPLIT_PIECES = pieces                          # 9 = one piece per district
    _region_with_districts()
    single = settlement_run_compute(admdvs="360100", kind=kind, period=period)
    expected, expected_totals = _snapshot(single), single.totals

    run_settlement_task.delay("360100", kind, period, split=True)      # eager chord

    run = SettlementRun.objects.get()
    assert _snapshot(run) == expected and run.totals == expected_totals and len(expected) == 3


@pytest.mark.django_db
def test_given_writer_fails_halfway_when_rerun_then_previous_state_kept_and_identical_lines(monkeypatch):
    centres = _region_with_districts()
    before = settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03")
    before_lines, before_totals = _snapshot(before), before.totals
    member = make_member(birth=date(1980, 1, 1))
    make_signup(member=member, provider=centres[0], effective_from=date(2022, 1, 1))
    real_writer = services._write_lines

    def crash_halfway(run, lines):
        real_writer(run, lines[: len(lines) // 2])
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_write_lines", crash_halfway)
    with pytest.raises(RuntimeError):
        settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03")

    kept = SettlementRun.objects.get()
    assert _snapshot(kept) == before_lines and kept.totals == before_totals
    monkeypatch.setattr(services, "_write_lines", real_writer)
    rerun = _snapshot(settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03"))
    SettlementRun.objects.all().delete()
    fresh = _snapshot(settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03"))
    assert rerun == fresh != before_lines


@pytest.mark.django_db
def test_given_no_run_yet_when_writer_fails_then_no_run_exists(monkeypatch):
    _region_with_districts()

    def crash(run, lines):
        raise RuntimeError("killed")

    monkeypatch.setattr(services, "_write_lines", crash)
    with pytest.raises(RuntimeError):
        settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03")

    assert not SettlementRun.objects.exists() and not SettlementLine.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_given_two_workers_when_starting_same_run_at_once_then_one_run():
    _region_with_districts()
    barrier, results, errors = threading.Barrier(2), [], []

    def start():
        try:
            barrier.wait()
            results.append(settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03").pk)
        except Exception as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]

    assert errors == [] and len(set(results)) == 1 and SettlementRun.objects.count() == 1
    assert SettlementLine.objects.count() == 3


@given(st.dictionaries(st.integers(1, 50), st.decimals("0.01", "99999.99", places=2), min_size=1, max_size=12),
       st.decimals("0.01", "9999.99", places=2))
def test_given_any_lines_when_cut_pro_rata_then_cuts_sum_exactly_and_never_exceed_amounts(amounts, excess):
    cuts = pro_rata_cuts(amounts, excess)

    assert sum(cuts.values(), Decimal(0)) == min(excess, sum(amounts.values(), Decimal(0)))
    assert all(Decimal(0) <= cuts[k] <= amounts[k] for k in amounts)
