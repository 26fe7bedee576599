"""Admin: statement page, xlsx export (Chinese headers, neutralised cells), approve action."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from budgets.models import SettlementRun
from budgets.services import settlement_run_compute
from tests.budgets.helpers import make_claim, make_member, make_provider, make_signup, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    mine = make_provider(code="=HYPERLINK(1)", district="360102")
    other = make_provider(code="ADM-OTHER", district="360103")
    for provider in (mine, other):
        member = make_member(birth=date(1954, 1, 1), district=provider.district_id)
        make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))
        make_claim(member=member, charged=provider, visit=date(2024, 3, 3), hifp_pay="30.00")
    return settlement_run_compute(admdvs="360100", kind="monthly", period="2024-03")


def test_given_run_when_exporting_xlsx_then_chinese_headers_and_formulas_neutralised(client, run):
    client.force_login(make_staff(all_regions=True, superuser=True))

    response = client.get(f"/admin/budgets/settlementrun/{run.pk}/export/")

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][:8] == ("定点机构编码", "定点机构名称", "县区", "签约人数", "人月数", "月预结算额度/月包干",
                           "实际发生统筹费用", "月结算支付")
    assert [r[0] for r in rows[2:-1]] == ["'=HYPERLINK(1)", "ADM-OTHER"]
    assert rows[2][5:8] == (18.83, 30, 18.83)
    # money shown with 2 decimals and separators, and a 合计 row of the money and count columns
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=3, column=6).number_format == "#,##0.00"
    assert rows[-1][0] == "合计" and rows[-1][5] == sum(r[5] for r in rows[2:-1])


def test_given_district_clerk_when_printing_statements_then_own_district_only(client, run):
    clerk = make_staff(admdvs="360100", districts=["360102"], perms=["budgets.view_settlementrun"])
    client.force_login(clerk)
    mine = run.lines.get(provider__fixmedins_code="=HYPERLINK(1)")
    other = run.lines.get(provider__fixmedins_code="ADM-OTHER")

    page = client.get(f"/admin/budgets/settlementrun/line/{mine.pk}/statement/")

    assert page.status_code == 200 and "月预结算额度" in page.content.decode() and "18.83" in page.content.decode()
    assert client.get(f"/admin/budgets/settlementrun/line/{other.pk}/statement/").status_code == 404


def test_given_approver_when_using_admin_action_then_run_approved_and_clerk_cannot(client, run):
    clerk = make_staff(admdvs="360100", perms=["budgets.view_settlementrun"])
    client.force_login(clerk)
    body = {"action": "approve_runs", "_selected_action": [run.pk]}
    client.post("/admin/budgets/settlementrun/", body)
    assert SettlementRun.objects.get(pk=run.pk).status == "draft"

    client.force_login(make_staff(admdvs="360100", perms=["budgets.view_settlementrun", "budgets.approve_settlement"]))
    # the action leads to the run's confirmation page; approving there freezes the run
    to_confirm = client.post("/admin/budgets/settlementrun/", body)
    assert to_confirm.status_code == 302 and to_confirm["Location"].endswith(f"/{run.pk}/approve/")
    assert "确认审核" in client.get(to_confirm["Location"]).content.decode()
    assert SettlementRun.objects.get(pk=run.pk).status == "draft"
    client.post(to_confirm["Location"], {"confirmed": "yes"})

    assert SettlementRun.objects.get(pk=run.pk).status == "approved"
    assert client.get(f"/admin/budgets/settlementrun/{run.pk}/change/").status_code == 200
