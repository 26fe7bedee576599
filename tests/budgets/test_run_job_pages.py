"""Settlement jobs from the browser's pages (budgets.admin_jobs), through Django's test client: the
compute form shows what will be computed and changes nothing until confirmed; the approval page
refuses the computing person and a stale run, and says why."""
from datetime import date

import pytest

from budgets.models import SettlementRun
from tests.budgets.helpers import make_claim, make_member, make_provider, make_signup, make_staff, reverse_claim

pytestmark = pytest.mark.django_db

NC = "360100"
PERMS = ["budgets.view_settlementrun", "budgets.add_settlementrun", "budgets.approve_settlement"]


@pytest.fixture
def march_visit():
    provider = make_provider(code="JOB-NC", admdvs=NC)
    member = make_member(birth=date(1954, 1, 1))
    make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))
    return make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="30.00")


def test_given_compute_form_when_submitted_then_confirmation_names_it_and_only_confirm_computes(client,
                                                                                                  march_visit):
    user = make_staff(admdvs=NC, perms=PERMS)
    client.force_login(user)
    form = {"admdvs": NC, "kind": "monthly", "period": "2024-03"}

    confirm = client.post("/admin/budgets/settlementrun/compute/", form).content.decode()

    assert "南昌市" in confirm and "月预结算" in confirm and "2024-03-01 至 2024-03-31" in confirm
    assert "1 家" in confirm and "JOB-NC" in confirm and "无，将新建批次" in confirm
    assert not SettlementRun.objects.exists()
    done = client.post("/admin/budgets/settlementrun/compute/", {**form, "confirmed": "yes"})
    run = SettlementRun.objects.get()
    assert done.status_code == 302 and run.computed_by == user and run.totals["actual"] == "30.00"
    again = client.post("/admin/budgets/settlementrun/compute/", form).content.decode()
    assert "将替换未审核的草稿批次" in again
    # a period not yet closed is refused next to its field
    future = client.post("/admin/budgets/settlementrun/compute/", {**form, "period": "2999-01"}).content.decode()
    assert "尚未结束" in future


def test_given_stale_run_and_computing_person_when_opening_approval_then_reasons_shown_and_no_approval(
        client, march_visit):
    computer, second = make_staff(admdvs=NC, perms=PERMS), make_staff(admdvs=NC, perms=PERMS)
    client.force_login(computer)
    client.post("/admin/budgets/settlementrun/compute/", {"admdvs": NC, "kind": "monthly", "period": "2024-03",
                                                          "confirmed": "yes"})
    run = SettlementRun.objects.get()
    own = client.get(f"/admin/budgets/settlementrun/{run.pk}/approve/").content.decode()
    assert "计算人以外的另一人审核" in own and 'id="run-approve-confirm"' not in own
    client.post(f"/admin/budgets/settlementrun/{run.pk}/approve/", {"confirmed": "yes"})
    assert SettlementRun.objects.get().status == "draft"

    reverse_claim(march_visit)
    client.force_login(second)
    page = client.get(f"/admin/budgets/settlementrun/{run.pk}/approve/").content.decode()
    assert "数据已过期" in page and 'id="run-approve-confirm"' not in page
    assert "已过期" in client.get(f"/admin/budgets/settlementrun/{run.pk}/change/").content.decode()
    client.post(f"/admin/budgets/settlementrun/{run.pk}/approve/", {"confirmed": "yes"})
    assert SettlementRun.objects.get().status == "draft"
    client.post(f"/admin/budgets/settlementrun/{run.pk}/recompute/")
    client.post(f"/admin/budgets/settlementrun/{run.pk}/approve/", {"confirmed": "yes"})
    # the second person recomputed it: the computing person is now the second, so they may not approve
    assert SettlementRun.objects.get().status == "draft"
    client.force_login(computer)
    client.post(f"/admin/budgets/settlementrun/{run.pk}/approve/", {"confirmed": "yes"})
    assert SettlementRun.objects.get().status == "approved"
