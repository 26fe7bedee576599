"""Beat task and management command: the month before now in Asia/Shanghai, explicit periods, repeatable."""
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from supervision.models import ProviderIndicator, Warning
from supervision.periods import month_before
from supervision.tasks import schedule_monthly_indicators
from tests.factories import make_member, make_provider
from tests.supervision.helpers import make_claim


def test_given_utc_evening_of_the_last_day_when_scheduled_then_shanghai_has_turned_the_month():
    # 2024-03-31 16:30 UTC is 2024-04-01 00:30 in Shanghai: the month that ended is March
    assert month_before(datetime(2024, 3, 31, 16, 30, tzinfo=UTC)) == date(2024, 3, 1)
    assert month_before(datetime(2024, 3, 31, 15, 30, tzinfo=UTC)) == date(2024, 2, 1)
    assert month_before(datetime(2024, 1, 1, 0, 0, tzinfo=UTC)) == date(2023, 12, 1)


@pytest.mark.django_db
def test_given_claims_when_beat_task_runs_for_a_period_then_every_region_is_computed(monkeypatch):
    p = make_provider(admdvs="411300")
    make_claim(member=make_member(admdvs="411300", left_on=date(2024, 3, 1)), provider=p, day=date(2024, 3, 9),
               total="10.00")
    done = schedule_monthly_indicators(period="2024-03")              # eager Celery in the embedded default
    assert "411300:2024-03" in done and len(done) == 5
    assert ProviderIndicator.objects.get().period == date(2024, 3, 1)
    # Without a period, "now" decides: the month before.
    from django.utils import timezone as dj_timezone

    monkeypatch.setattr(dj_timezone, "now", lambda: datetime(2024, 4, 1, 3, 0, tzinfo=UTC))
    assert schedule_monthly_indicators()[0].endswith(":2024-03")
    assert Warning.objects.count() == 1


@pytest.mark.django_db
def test_given_the_command_when_run_twice_then_same_rows(capsys):
    p = make_provider(admdvs="360100")
    make_claim(member=make_member(admdvs="360100"), provider=p, day=date(2024, 3, 9), total="10.00")
    call_command("compute_indicators", "--admdvs", "360100", "--period", "2024-03")
    call_command("compute_indicators", "--admdvs", "360100", "--period", "2024-03")
    assert ProviderIndicator.objects.filter(provider=p).count() == 1
    assert "360100 2024-03: 1" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("compute_indicators", "--admdvs", "360100", "--period", "2024-13")
