"""Pages of the fee-for-service runs and of assessments: run page, statement, xlsx, assessment admin,
the provider's page, the dashboard's waiting runs, failed assessments and payment calendar; and one
run when two workers start the same period at once (PostgreSQL)."""
import io
import threading
from datetime import date

import pytest
from django.db import connection
from openpyxl import load_workbook

from budgets.assessments import assessment_enter
from budgets.calendar import payment_calendar
from budgets.models import Assessment, SettlementLine, SettlementRun
from budgets.services import settlement_run_compute
from tests.budgets.helpers import make_claim, make_member, make_provider, make_staff

FFS = "fee_for_service"


def _nanyang_month():
    hospital = make_provider(code="PG-H", admdvs="411300", kind="hospital")
    pharmacy = make_provider(code="PG-P", admdvs="411300", kind="pharmacy")
    member = make_member(admdvs="411300")
    make_claim(member=member, charged=hospital, visit=date(2024, 3, 4), hifp_pay="93.50", medfee="170.00")
    make_claim(member=member, charged=pharmacy, visit=date(2024, 3, 5), hifp_pay="38.50", medfee="70.00")
    return hospital


@pytest.mark.django_db
def test_given_ffs_run_when_opening_pages_then_run_statement_and_xlsx_show_its_figures(client):
    _nanyang_month()
    run = settlement_run_compute(admdvs="411300", kind=FFS, period="2024-03")
    client.force_login(make_staff(all_regions=True, superuser=True))
    line = run.lines.get(provider__fixmedins_code="PG-H")

    page = client.get(f"/admin/budgets/settlementrun/{run.pk}/change/").content.decode()
    statement = client.get(f"/admin/budgets/settlementrun/line/{line.pk}/statement/").content.decode()
    rows = list(load_workbook(io.BytesIO(client.get(f"/admin/budgets/settlementrun/{run.pk}/export/").content))
                .active.iter_rows(values_only=True))
    dashboard = client.get("/dashboard/?year=2024").content.decode()

    assert "按项目付费月结算" in page and "93.50" in page
    assert "就诊人次" in statement and "170.00" in statement and "93.50" in statement
    header = rows[1]
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[2:]}
    hospital_row = by_code["PG-H"]
    assert (hospital_row["医疗费总额"], hospital_row["实际发生统筹费用"], hospital_row["就诊人次"]) == (170, 93.5, 1)
    assert by_code["PG-P"]["考核/违规扣款"] == 0
    assert f"/admin/budgets/settlementrun/{run.pk}/change/" in dashboard           # waiting for approval


@pytest.mark.django_db
def test_given_failed_assessment_when_entered_and_approved_in_admin_then_flag_on_provider_and_dashboard(client):
    hospital = _nanyang_month()
    entering = make_staff(all_regions=True, superuser=True)
    client.force_login(entering)
    form = {"provider": hospital.pk, "year": 2024, "score": "55.00", "passed": "", "document_no": "宛医保〔2025〕3号"}

    added = client.post("/admin/budgets/assessment/add/", form)
    assessment = Assessment.objects.get()
    client.post("/admin/budgets/assessment/", {"action": "approve_selected", "_selected_action": [assessment.pk]})
    still_draft = Assessment.objects.get().status
    client.force_login(make_staff(all_regions=True, superuser=True))
    client.post("/admin/budgets/assessment/", {"action": "approve_selected", "_selected_action": [assessment.pk]})

    assert added.status_code == 302 and assessment.entered_by == entering and still_draft == "draft"
    assert Assessment.objects.get().status == "approved"
    provider_page = client.get(f"/admin/providers/provider/{hospital.pk}/change/").content.decode()
    assert "最近一次考核不合格" in provider_page and "55.00" in provider_page
    dashboard = client.get("/dashboard/?year=2024").content.decode()
    assert 'id="renewal-flags"' in dashboard and hospital.fixmedins_name in dashboard


@pytest.mark.django_db
def test_given_passed_assessment_when_provider_page_then_no_flag(client):
    hospital = _nanyang_month()
    assessment_enter(provider=hospital, year=2024, score="91", passed=True, document_no="1", by=None)
    client.force_login(make_staff(all_regions=True, superuser=True))

    page = client.get(f"/admin/providers/provider/{hospital.pk}/change/").content.decode()

    assert "最近一次考核不合格" not in page and "91.00" in page


@pytest.mark.django_db
def test_given_some_runs_when_calendar_then_existing_due_and_not_applicable_per_month():
    _nanyang_month()
    settlement_run_compute(admdvs="411300", kind=FFS, period="2024-03")

    rows = {(r["admdvs"], r["kind"]): r["cells"] for r in
            payment_calendar(year=2024, regions=["411300", "441600", "360100"], today=date(2024, 5, 2))}
    old = {(r["admdvs"], r["kind"]): r["cells"] for r in
           payment_calendar(year=2022, regions=["441600"], today=date(2024, 5, 2))}

    assert set(rows) == {("411300", FFS), ("441600", "monthly"), ("441600", FFS), ("441600", "year_end"),
                         ("360100", "monthly"), ("360100", "year_end")}
    # Nanyang: Jan, Feb due (closed, no run), March draft, April due from 1 May, May on not yet
    assert [c["state"] for c in rows[("411300", FFS)][:6]] == ["due", "due", "draft", "due", "not_yet", "not_yet"]
    assert [c["state"] for c in rows[("360100", "year_end")]] == ["not_yet"]
    # Heyuan 2022: capitation from August only
    assert [c["state"] for c in old[("441600", "monthly")]][6:8] == ["not_applicable", "due"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_given_two_workers_when_starting_same_ffs_run_at_once_then_one_run():
    _nanyang_month()
    barrier, results, errors = threading.Barrier(2), [], []

    def start():
        try:
            barrier.wait()
            results.append(settlement_run_compute(admdvs="411300", kind=FFS, period="2024-03").pk)
        except Exception as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]

    assert errors == [] and len(set(results)) == 1 and SettlementRun.objects.filter(kind=FFS).count() == 1
    assert sorted((line.provider.fixmedins_code, str(line.actual)) for line in SettlementLine.objects.all()) == [
        ("PG-H", "93.50"), ("PG-P", "38.50")]
