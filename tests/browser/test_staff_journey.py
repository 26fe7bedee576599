"""A district clerk's and a settlement approver's day, in a real browser: import members (preview,
confirm), register a sign-up, post a claim and read its steps, run and approve the month-end
settlement, open the dashboard and download a statement; a clerk of another district sees none of it."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from members.certno import make_certno
from staff.roles import DISTRICT_CLERK, SETTLEMENT_APPROVER
from tests.factories import make_provider, make_staff

# transaction=True (transactional_db) because the live server's thread must see committed rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NC, DISTRICT_A, DISTRICT_B = "360100", "360102", "360103"
PASSWORD = "pw-123456"


def reference_data() -> None:
    """The regions, parameters and role groups the migrations create. A transactional test that ran
    before this one may have flushed them (flush empties every table), so they are put back here."""
    from policy.models import District, ParameterSet, Region
    from policy.seed import seed_policy
    from policy.selectors import parameter_cache_clear
    from staff.roles import roles_sync

    if not Region.objects.exists():
        seed_policy(Region, District, ParameterSet)
    parameter_cache_clear()
    roles_sync()


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def sign_in(browser, live_server, username: str):
    context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return context, page


def api_post(page, live_server, path: str, body: dict):
    """POST JSON with the browser's session, as the admin's own scripts would (CSRF header included)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(f"{live_server.url}{path}", data=json.dumps(body),
                             headers={"Content-Type": "application/json", "X-CSRFToken": token,
                                      "Referer": f"{live_server.url}/admin/"})


def members_csv(tmp_path, month: date) -> tuple:
    certnos = [make_certno(area=DISTRICT_A, birth=date(1980 + i, 2, 3), sequence=410 + i) for i in range(3)]
    lines = ["身份证号,姓名,统筹区,险种,人员类别,县区,参保日期"]
    lines += [f"{c},导入{i},{NC},390,1501,{DISTRICT_A},{month - timedelta(days=400):%Y-%m-%d}"
              for i, c in enumerate(certnos)]
    path = tmp_path / "members.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, certnos


def test_clerk_and_approver_journey(browser, live_server, screenshot, tmp_path):
    from claims.models import Claim
    from members.models import Member

    reference_data()
    today = date.today()
    month = previous_month(today)
    provider = make_provider(admdvs=NC, district=DISTRICT_A, kind="township", code="HBROWSER01")
    make_staff(username="clerk_a", admdvs=NC, districts=[DISTRICT_A], groups=[DISTRICT_CLERK])
    make_staff(username="clerk_b", admdvs=NC, districts=[DISTRICT_B], groups=[DISTRICT_CLERK])
    make_staff(username="approver", admdvs=NC, groups=[SETTLEMENT_APPROVER])
    make_staff(username="approver_2", admdvs=NC, groups=[SETTLEMENT_APPROVER])
    csv_path, certnos = members_csv(tmp_path, month)

    # --- the district clerk signs in and imports a members file: preview, then confirm
    context, page = sign_in(browser, live_server, "clerk_a")
    screenshot(page, "01-clerk-admin-index")
    page.goto(f"{live_server.url}/admin/imports/importjob/upload/members/")
    page.set_input_files("input[name=file]", str(csv_path))
    page.click("input[type=submit][value='上传并预检']")
    page.wait_for_selector("#import-preview")
    assert "已预检" in page.inner_text("#job-status")
    assert certnos[0] not in page.content()  # the preview masks certnos for a clerk
    screenshot(page, "02-import-preview")
    page.click("input[name=confirm]")
    page.wait_for_function("document.querySelector('#job-status').innerText.includes('已完成')")
    screenshot(page, "03-import-done")
    assert Member.objects.filter(certno__in=certnos).count() == 3

    # --- registers a sign-up for one imported member, from the first of last month
    member = Member.objects.get(certno=certnos[0])
    page.goto(f"{live_server.url}/admin/members/signup/add/?member={member.pk}")
    page.click(".field-provider .select2-selection")
    page.fill(".select2-search__field", provider.fixmedins_code)
    page.click(f".select2-results__option:has-text('{provider.fixmedins_code}')")
    page.fill("input[name=applied_on]", f"{month:%Y-%m-%d}")
    page.select_option("select[name=reason]", "first")
    screenshot(page, "04-signup-form")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/members/member/{member.pk}/change/")
    screenshot(page, "05-member-with-signup")
    assert member.signups.filter(provider=provider, effective_from=month).exists()

    # --- posts a claim through the API with the clerk's session, then reads its steps in the admin
    visit = month.replace(day=5)
    answer = api_post(page, live_server, "/api/v1/claims/", {
        "certno": member.certno, "admdvs": NC, "fixmedins_code": provider.fixmedins_code,
        "visit_at": f"{visit:%Y-%m-%d}T09:30:00+08:00", "medfee_sumamt": "200.00", "inscp_scp_amt": "200.00"})
    assert answer.status == 201, answer.text()
    claim = Claim.objects.get(setl_id=answer.json()["setl_id"])
    assert answer.json()["status"] == "settled" and answer.json()["hifp_pay"] == "120.00"
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    assert "120.00" in page.content() and claim.setl_id in page.content()
    screenshot(page, "06-claim-steps")
    context.close()

    # --- the approver runs last month's settlement and approves it in the admin
    context, page = sign_in(browser, live_server, "approver")
    run = api_post(page, live_server, "/api/v1/settlement-runs/", {"admdvs": NC, "kind": "monthly",
                                                                    "period": f"{month:%Y-%m}"})
    assert run.status == 201, run.text()
    run_id = run.json()["id"]
    context.close()
    # a second approver approves it (the one who computed a run may not): list action → confirmation
    context, page = sign_in(browser, live_server, "approver_2")
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/")
    page.check(f"input[name=_selected_action][value='{run_id}']")
    page.select_option("select[name=action]", "approve_runs")
    page.click("button[name=index]")
    page.wait_for_url(f"{live_server.url}/admin/budgets/settlementrun/{run_id}/approve/")
    page.click("#run-approve-confirm")
    page.wait_for_selector("ul.messagelist")
    screenshot(page, "07-run-approved")
    from budgets.models import SettlementRun

    approved = SettlementRun.objects.get(pk=run_id)
    assert approved.status == "approved"
    line = approved.lines.get(provider=provider)
    assert str(line.actual) == "120.00"

    # --- opens the dashboard and downloads the statement (the run's xlsx) and the printable one
    page.goto(f"{live_server.url}/dashboard/?year={month.year}")
    page.wait_for_selector("#line-chart")
    assert page.evaluate("typeof Chart") == "function"
    screenshot(page, "08-dashboard")
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/line/{line.pk}/statement/")
    screenshot(page, "09-statement")
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/")
    with page.expect_download() as download_info:
        page.click(f"a[href='/admin/budgets/settlementrun/{run_id}/export/']")
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    assert target.suffix == ".xlsx" and target.stat().st_size > 0
    context.close()

    # --- a clerk of another district sees none of it
    context, page = sign_in(browser, live_server, "clerk_b")
    page.goto(f"{live_server.url}/admin/members/member/")
    assert "导入0" not in page.content()
    screenshot(page, "10-other-clerk-members")
    page.goto(f"{live_server.url}/admin/imports/importjob/")
    assert "members.csv" not in page.content()
    for url in (f"/admin/members/member/{member.pk}/change/", f"/admin/claims/claim/{claim.pk}/change/"):
        assert page.goto(f"{live_server.url}{url}").status == 404
    assert page.goto(f"{live_server.url}/api/v1/claims/{claim.setl_id}/").status == 404
    page.goto(f"{live_server.url}/dashboard/?year={month.year}")
    assert page.inner_text(".dash-figures div >> nth=0").startswith("0")
    screenshot(page, "11-other-clerk-dashboard")
    context.close()
