"""Admin statement and crediting runs; the beat task picks the month before now."""
from datetime import date
from decimal import Decimal

import pytest

from accounts import tasks
from accounts.models import Account, CreditRun
from accounts.services import account_credit_month
from tests.accounts.conftest import GANZHOU, NANYANG, employee

pytestmark = pytest.mark.django_db


def test_admin_statement_runs_and_credit_form(db, client, city_admin):
    # given
    member = employee(NANYANG, base="5000.00")
    account_credit_month(admdvs=NANYANG, period="2024-01", by=None)
    client.force_login(city_admin)
    account = Account.objects.get(member=member)
    # when / then: the statement shows the entry read-only
    page = client.get(f"/admin/accounts/account/{account.pk}/change/")
    assert page.status_code == 200 and "100.00" in page.content.decode()
    assert client.get("/admin/accounts/creditrun/").status_code == 200
    # when: staff run crediting for a region and month from the admin form
    response = client.post("/admin/accounts/creditrun/credit/", {"admdvs": NANYANG, "period": "2024-02"})
    assert response.status_code == 302
    run = CreditRun.objects.latest("id")
    assert (run.period, run.employed_amount, run.created_by) == (date(2024, 2, 1), Decimal("100.00"), city_admin)
    # and: a bad period re-renders the form with the error
    assert "YYYY-MM" in client.post("/admin/accounts/creditrun/credit/",
                                    {"admdvs": NANYANG, "period": "2024/2"}).content.decode()
    # and: the re-run action credits nothing twice
    client.post("/admin/accounts/creditrun/", {"action": "rerun", "_selected_action": [run.pk]})
    assert CreditRun.objects.latest("id").skipped_count == 1
    account.refresh_from_db()
    assert account.balance == Decimal("200.00")


def test_beat_task_credits_the_previous_month(db, monkeypatch):
    # given: "now" is 2023-07-01 and the task only queues one job per employee region
    queued = []
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2023, 7, 1))
    monkeypatch.setattr(tasks.credit_region_month, "delay", lambda admdvs, period: queued.append((admdvs, period)))
    # when
    assert tasks.schedule_monthly_credits() == "2023-06"
    # then: the four employee-scheme regions, never Nanchang (residents)
    assert sorted(queued) == [(a, "2023-06") for a in ("360700", "370300", "411300", "441600")]
    # and: the per-region job summarises, or says why it was refused
    employee(GANZHOU, base="1000.00")
    assert tasks.credit_region_month(GANZHOU, "2023-06")["amount"] == "20.00"
    assert tasks.credit_region_month(GANZHOU, "2030-01")["refused"]
