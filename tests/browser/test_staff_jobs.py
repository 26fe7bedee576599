"""Issue 20's remaining journeys in Chromium at 1440×900, with screenshots: one page per member (4),
jobs from the browser — a run computed and approved through confirmations by two people, a stale
run refused until recomputed, supervision indicators computed (5), and the demo that shows
everything with its role logins and usage bands (9, 6)."""
from __future__ import annotations

import pytest

from tests.browser.test_staff_readable import NC, nanchang, sign_in  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_point_4_one_page_per_member(browser, live_server, screenshot, nanchang):  # noqa: F811
    member = nanchang["members"][0]
    context, page, outside = sign_in(browser, live_server, "city")
    # from the members list's 概览 link
    page.goto(f"{live_server.url}/admin/members/member/?q={member.certno}")
    page.click("#result_list td.field-overview_link a")
    page.wait_for_url(f"{live_server.url}/admin/members/member/{member.pk}/overview/")
    text = page.inner_text("#content")
    for part in ("年度累计", "起付线已付", "封顶线剩余", "结算记录", "签约/选点", "异地就医备案", "个人账户",
                 "家庭共济"):
        assert part in text, part
    # one visit: 200.00 at 60 % → fund 120.00, member 80.00 (the fixture's arithmetic)
    claims = page.inner_text("#overview-claims")
    assert "¥120.00" in claims and "¥80.00" in claims
    assert member.certno not in text and "欧阳建华" in text               # the city administrator: masked
    assert nanchang["provider"].fixmedins_name in page.inner_text("#overview-signups")
    screenshot(page, "20-4-member-overview")
    # its claim link opens the claim, whose page links back to the member's overview
    page.click(f"#overview-claims a[href='/admin/claims/claim/{nanchang['paid'].pk}/change/']")
    page.click("#claim-member-overview")
    page.wait_for_url(f"{live_server.url}/admin/members/member/{member.pk}/overview/")
    context.close()
    # the clerk of the member's district opens it too
    context, page, outside_clerk = sign_in(browser, live_server, "clerk")
    assert page.goto(f"{live_server.url}/admin/members/member/{member.pk}/overview/").status == 200
    context.close()
    assert not outside and not outside_clerk


def test_point_5_jobs_from_the_browser(browser, live_server, screenshot, nanchang):  # noqa: F811
    from budgets.models import SettlementRun
    from claims.services import claim_reverse

    run, month = nanchang["run"], nanchang["month"]
    context, page, outside = sign_in(browser, live_server, "city")
    # start last month's Nanchang monthly run: the confirmation names what will be computed
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/")
    page.click("#run-compute-link")
    page.select_option("select[name=admdvs]", NC)
    page.select_option("select[name=kind]", "monthly")
    page.fill("input[name=period]", f"{month:%Y-%m}")
    screenshot(page, "20-5-run-compute-form")
    page.click("input[type=submit]")
    confirm = page.inner_text(".run-compute-confirm")
    assert "南昌市" in confirm and "月预结算" in confirm and f"{month:%Y-%m}" in confirm
    assert "1 家" in confirm and "将替换未审核的草稿批次" in confirm
    screenshot(page, "20-5-run-compute-confirm")
    page.click("#run-compute-confirm")
    page.wait_for_url(f"{live_server.url}/admin/budgets/settlementrun/{run.pk}/change/")
    assert SettlementRun.objects.get(pk=run.pk).computed_by.username == "city"
    # the one who computed it may not approve it
    page.click("#run-approve-link")
    assert "计算人以外的另一人审核" in page.inner_text("#content") and page.locator("#run-approve-confirm").count() == 0
    screenshot(page, "20-5-own-run-refused")
    # a reversal recorded after computing makes the run stale
    claim_reverse(setl_id=nanchang["paid"].setl_id, by=nanchang["users"]["city"])
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/{run.pk}/change/")
    assert "数据已过期" in page.inner_text(".field-approval_state")
    screenshot(page, "20-5-run-stale")
    context.close()
    # the approver sees it on the dashboard before approving, and cannot approve it
    context, page, outside_approver = sign_in(browser, live_server, "approver")
    page.goto(f"{live_server.url}/dashboard/?year={month.year}")
    assert "已过期，须重新计算" in page.inner_text("#runs")
    screenshot(page, "20-5-dashboard-stale")
    page.click("#runs a:has-text('审核')")
    assert "数据已过期" in page.inner_text("#content") and page.locator("#run-approve-confirm").count() == 0
    context.close()
    # the city administrator recomputes; the approver approves through the confirmation
    context, page, _ = sign_in(browser, live_server, "city")
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/{run.pk}/change/")
    page.click("#run-recompute")
    page.wait_for_selector("ul.messagelist")
    assert "数据已过期" not in page.inner_text("#content")
    context.close()
    context, page, _ = sign_in(browser, live_server, "approver")
    page.goto(f"{live_server.url}/dashboard/?year={month.year}")
    page.click("#runs a:has-text('审核')")
    screenshot(page, "20-5-approve-confirm")
    page.click("#run-approve-confirm")
    page.wait_for_selector("ul.messagelist")
    approved = SettlementRun.objects.get(pk=run.pk)
    # recomputed after the reversal: actual 120.00 − 120.00 = 0.00
    assert approved.status == "approved" and approved.approved_by.username == "approver"
    assert approved.totals["actual"] == "0.00"
    screenshot(page, "20-5-run-approved")
    context.close()
    # supervision: from the index to "compute indicators" for the month
    context, page, outside_city = sign_in(browser, live_server, "city")
    page.click("#index-supervision-link")
    page.click("a:has-text('计算监测指标')")
    page.select_option("select[name=admdvs]", NC)
    page.fill("input[name=period]", f"{month:%Y-%m}")
    page.click("#indicators-compute-form input[type=submit]")
    page.wait_for_selector("ul.messagelist")
    assert "监测指标已计算" in page.inner_text("ul.messagelist") and "1 家机构" in page.inner_text("ul.messagelist")
    screenshot(page, "20-5-indicators-computed")
    page.goto(f"{live_server.url}/dashboard/")
    assert page.locator("#supervision-link").count() == 1
    context.close()
    assert not outside and not outside_approver and not outside_city


def test_point_9_demo_shows_everything_with_role_logins_and_usage_bands(browser, live_server, screenshot):
    from django.core.management import call_command

    from members.models import Member
    from tests.browser.test_staff_journey import previous_month, reference_data

    reference_data()
    quiet = open("/dev/null", "w")
    call_command("load_demo", stdout=quiet)
    call_command("demo_settlement", stdout=quiet)
    month = previous_month(__import__("datetime").date.today())

    def login(username: str, password: str):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")
        return context, page

    member = Member.objects.filter(admdvs_id=NC).order_by("id").first()
    context, page = login("admin", "admin12345")
    # the city administrator: no user management (not a superuser), certnos masked
    assert page.locator("a[href='/admin/auth/user/add/']").count() == 0
    page.goto(f"{live_server.url}/admin/members/member/{member.pk}/change/")
    assert member.certno not in page.inner_text("#content")
    districts = page.eval_on_selector_all("select[name=district] option", "os => os.map(o => o.value)")
    assert [d for d in districts if d] and all(d.startswith("3601") for d in districts if d)
    types = page.eval_on_selector_all("select[name=psn_type] option", "os => os.map(o => o.textContent)")
    assert any("城乡居民" in t for t in types) and not any(t.startswith("11") for t in types)
    screenshot(page, "20-9-member-form")
    # adding a member: choosing the region narrows the district list to that region's districts
    page.goto(f"{live_server.url}/admin/members/member/add/")
    page.select_option("select[name=admdvs]", "441600")
    offered = page.eval_on_selector_all("select[name=district] option:not([disabled])", "os => os.map(o => o.value)")
    assert [d for d in offered if d] and all(d.startswith("4416") for d in offered if d)
    page.select_option("select[name=admdvs]", NC)
    offered = page.eval_on_selector_all("select[name=district] option:not([disabled])", "os => os.map(o => o.value)")
    assert [d for d in offered if d] and all(d.startswith("3601") for d in offered if d)
    screenshot(page, "20-9-member-add-form")
    # the dashboard: usage of the month's capitation in the three bands
    page.goto(f"{live_server.url}/dashboard/?year={month.year}")
    for band in ("below", "between", "over"):
        assert page.locator(f"#budget-{NC}-card tr.band-{band}").count() >= 1, band
    screenshot(page, "20-6-dashboard-usage-bands")
    # indicators computed and out-of-area registrations loaded by the demo
    page.goto(f"{live_server.url}/supervision/indicators/?admdvs={NC}&period={month:%Y-%m}")
    assert page.locator("table tbody tr").count() >= 1
    page.goto(f"{live_server.url}/admin/members/outofarearegistration/")
    assert page.locator("#result_list tbody tr").count() >= 3
    screenshot(page, "20-9-registrations")
    context.close()
    # the auditor sees full certnos; accounts were credited
    context, page = login("auditor", "auditor12345")
    page.goto(f"{live_server.url}/admin/members/member/{member.pk}/change/")
    assert member.certno in page.inner_text("#content")
    page.goto(f"{live_server.url}/admin/accounts/account/")
    assert page.locator("#result_list tbody tr").count() >= 1
    screenshot(page, "20-9-auditor-accounts")
    context.close()
