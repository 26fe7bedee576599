"""Beat tasks pass the period explicitly; the command and the task run the same service."""
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from budgets import tasks
from budgets.models import SettlementRun
from tests.budgets.helpers import make_member, make_provider, make_signup


@pytest.mark.parametrize("now, month, year", [
    ("2024-04-01T02:00:00+08:00", "2024-03", "2023"),
    ("2024-03-31T17:30:00+00:00", "2024-03", "2023"),      # already 1 April 01:30 in Shanghai
    ("2025-01-05T02:00:00+08:00", "2024-12", "2024"),
])
def test_given_time_in_shanghai_when_scheduling_then_previous_period(now, month, year):
    assert (tasks.previous_month(now), tasks.previous_year(now)) == (month, year)


@pytest.mark.django_db
def test_given_beat_on_april_1st_when_scheduling_then_monthly_and_fee_for_service_runs_per_region(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.run_settlement_task, "delay", lambda *a: calls.append(a) or type("R", (), {"id": "x"}))

    tasks.schedule_monthly_settlements("2024-04-01T02:00:00+08:00")
    tasks.schedule_year_end_settlements("2025-01-05T02:00:00+08:00")

    assert calls == [("360100", "monthly", "2024-03"), ("441600", "monthly", "2024-03"),
                     ("411300", "fee_for_service", "2024-03"), ("370300", "fee_for_service", "2024-03"),
                     ("360700", "fee_for_service", "2024-03"), ("441600", "fee_for_service", "2024-03"),
                     ("360100", "year_end", "2024"), ("441600", "year_end", "2024")]


@pytest.mark.django_db
def test_given_command_when_run_twice_then_one_draft_run_and_bad_period_is_an_error(capsys):
    provider = make_provider(code="CMD-A")
    member = make_member(birth=date(2004, 1, 1))
    make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))

    call_command("run_settlement", "--admdvs", "360100", "--kind", "monthly", "--period", "2024-03")
    call_command("run_settlement", "--admdvs", "360100", "--kind", "monthly", "--period", "2024-03")

    run = SettlementRun.objects.get()
    assert (run.status, run.totals["quota"], run.totals["members"]) == ("draft", "3.08", 1)
    with pytest.raises(CommandError):
        call_command("run_settlement", "--admdvs", "360100", "--kind", "monthly", "--period", "2999-01")


@pytest.mark.django_db
def test_given_month_before_capitation_when_task_runs_then_nothing_is_created():
    assert tasks.run_settlement_task("441600", "monthly", "2022-07", split=False) is None
    assert not SettlementRun.objects.exists()


@pytest.mark.django_db
def test_given_fee_for_service_command_when_run_then_same_run_as_the_api(capsys):
    from tests.budgets.helpers import make_claim

    hospital = make_provider(code="CMD-H", admdvs="370300", kind="hospital")
    make_claim(member=make_member(admdvs="370300"), charged=hospital, visit=date(2024, 3, 9), hifp_pay="12.34")

    call_command("run_settlement", "--admdvs", "370300", "--kind", "fee_for_service", "--period", "2024-03")
    again = tasks.run_settlement_task("370300", "fee_for_service", "2024-03", split=True)     # never split

    assert again == SettlementRun.objects.get().pk
    run = SettlementRun.objects.get()
    assert (run.kind, run.status, run.totals["paid"], run.totals["visits"]) == ("fee_for_service", "draft", "12.34", 1)
