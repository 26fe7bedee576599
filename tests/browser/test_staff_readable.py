"""Issue 20's journeys in Chromium at 1440×900, one per point, with screenshots: pages in the staff's
language (1), parameters as a form (2), lists that fit and claims found by certno or name (3), one
number format, charts and xlsx with totals (6), Chinese error pages (7), API docs offline (8), Chinese
only (10). Data made here with the factories and the services (Nanchang, one township clinic)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from members.certno import make_certno
from staff.roles import CITY_ADMIN, DISTRICT_CLERK, SETTLEMENT_APPROVER
from tests.browser.test_staff_journey import PASSWORD, previous_month, reference_data
from tests.factories import make_member, make_provider, make_signup, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NC, DISTRICT = "360100", "360102"


def sign_in(browser, live_server, username: str, **context_options):
    context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1440, "height": 900},
                                  **context_options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:", "blob:"))
            else outside.append(r.url))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return context, page, outside


@pytest.fixture
def nanchang(transactional_db):
    """A township clinic of 东湖区 with two signed members; last month one visit paid (200.00 at 60 % →
    fund 120.00, member 80.00) and one refused as work injury; the month's run computed."""
    from budgets.services import settlement_run_compute
    from claims.requests import claim_request_parse
    from claims.services import claim_settle

    reference_data()
    month = previous_month(date.today())
    provider = make_provider(admdvs=NC, district=DISTRICT, kind="township", code="H3601020777")
    members = [make_member(admdvs=NC, district=DISTRICT, name=name, enrolled_on=date(2015, 1, 1),
                           certno=make_certno(area=DISTRICT, birth=date(1971 + i, 3, 4), sequence=520 + i))
               for i, name in enumerate(["欧阳建华", "司马光明"])]
    for member in members:
        make_signup(member=member, provider=provider, effective_from=month - timedelta(days=400))
    users = {"city": make_staff(username="city", all_regions=True, groups=[CITY_ADMIN]),
             "clerk": make_staff(username="clerk", admdvs=NC, districts=[DISTRICT], groups=[DISTRICT_CLERK]),
             "approver": make_staff(username="approver", admdvs=NC, groups=[SETTLEMENT_APPROVER])}
    visit = f"{month:%Y-%m}-05T09:30:00+08:00"
    paid, _ = claim_settle(request=claim_request_parse({
        "certno": members[0].certno, "admdvs": NC, "fixmedins_code": provider.fixmedins_code, "visit_at": visit,
        "medfee_sumamt": "200.00", "inscp_scp_amt": "200.00"}), by=users["city"])
    refused, _ = claim_settle(request=claim_request_parse({
        "certno": members[1].certno, "admdvs": NC, "fixmedins_code": provider.fixmedins_code, "visit_at": visit,
        "medfee_sumamt": "1234.50", "inscp_scp_amt": "1234.50", "exclusion": "work_injury"}), by=users["city"])
    run = settlement_run_compute(admdvs=NC, kind="monthly", period=f"{month:%Y-%m}", by=users["city"])
    return {"provider": provider, "members": members, "users": users, "paid": paid, "refused": refused,
            "run": run, "month": month}


def test_point_1_every_code_as_its_label_and_documents_as_tables(browser, live_server, screenshot, nanchang,
                                                                 tmp_path):
    from claims.models import Accumulator

    context, page, outside = sign_in(browser, live_server, "city")
    # the refused claim: reason, channel and exclusion by their labels; its 输入事实 a labelled table
    page.goto(f"{live_server.url}/admin/claims/claim/{nanchang['refused'].pk}/change/")
    text = page.inner_text("#content")
    assert "应由工伤保险基金支付" in text and "excluded_work_injury" not in text
    assert "直接结算" in text and "工伤" in text and "direct" not in text
    assert page.locator(".field-inputs_table table.data-table").count() >= 1 and '{"' not in text
    assert "医疗费总额" in page.inner_text(".field-inputs_table") and "¥1,234.50" in text
    screenshot(page, "20-1-claim-refused-readable")
    # the paid claim's steps by rule name, amounts with ¥
    page.goto(f"{live_server.url}/admin/claims/claim/{nanchang['paid'].pk}/change/")
    steps = page.inner_text("table.claim-steps")
    assert "政策范围内费用" in steps and "eligible" not in steps and "inscp_scp_amt" not in steps
    assert "¥120.00" in page.inner_text("#content")
    assert "60.00%" in page.inner_text(".field-ratio_shown")
    screenshot(page, "20-1-claim-steps")
    # the run's 合计 as a table
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/{nanchang['run'].pk}/change/")
    totals = page.inner_text(".field-totals_table")
    assert "实际发生" in totals and "¥120.00" in totals and "{" not in totals
    screenshot(page, "20-1-run-totals")
    # an accumulator titled by the member, its buckets labelled
    accumulator = Accumulator.objects.get(member=nanchang["members"][0])
    page.goto(f"{live_server.url}/admin/claims/accumulator/{accumulator.pk}/change/")
    assert "Accumulator object" not in page.inner_text("body") and "欧阳建华" in page.inner_text(".breadcrumbs")
    assert "统筹基金累计支付" in page.inner_text("#content")
    screenshot(page, "20-1-accumulator")
    # the index's 工作台 link is drawn in the header colour (white), not the module heading's own
    page.goto(f"{live_server.url}/admin/")
    colour = page.eval_on_selector("#dashboard-link h2 a", "a => getComputedStyle(a).color")
    background = page.eval_on_selector("#dashboard-link h2", "h => getComputedStyle(h).backgroundColor")
    assert colour != background and colour in ("rgb(255, 255, 255)", "rgb(245, 221, 93)"), (colour, background)
    context.close()
    # the clerk's import preview: Chinese headers, 是/否, labelled codes
    context, page, outside_clerk = sign_in(browser, live_server, "clerk")
    csv = tmp_path / "members.csv"
    certno = make_certno(area=DISTRICT, birth=date(1990, 1, 1), sequence=777)
    csv.write_text("身份证号,姓名,统筹区,险种,人员类别,县区,参保日期,建档立卡贫困人口\n"
                   f"{certno},预览甲,{NC},390,1501,{DISTRICT},2024-01-01,是\n", encoding="utf-8")
    page.goto(f"{live_server.url}/admin/imports/importjob/upload/members/")
    page.set_input_files("input[name=file]", str(csv))
    page.click("input[type=submit][value='上传并预检']")
    page.wait_for_selector("#import-preview")
    headers = page.inner_text("#import-preview thead")
    assert "身份证号" in headers and "建档立卡贫困人口" in headers and "出生日期" in headers and "性别" in headers
    assert "poverty" not in headers.lower() and "brdy" not in headers.lower()
    body = page.inner_text("#import-preview tbody")
    assert "是" in body and "城乡居民医保" in body and "True" not in body
    screenshot(page, "20-1-import-preview")
    context.close()
    assert not outside and not outside_clerk


def test_point_2_parameters_edited_as_labelled_fields(browser, live_server, screenshot, nanchang):
    from policy.models import ParameterSet

    # an unused set of Nanchang, for next year
    current = ParameterSet.objects.filter(region_id=NC).order_by("-effective_from").first()
    next_year = date(date.today().year + 1, 1, 1)
    ParameterSet.objects.filter(pk=current.pk).update(effective_to=next_year - timedelta(days=1))
    fresh = ParameterSet.objects.create(region_id=NC, effective_from=next_year, values=current.values, note="次年")
    context, page, outside = sign_in(browser, live_server, "city")
    page.goto(f"{live_server.url}/admin/policy/parameterset/{fresh.pk}/change/")
    assert page.locator("textarea").count() == 0
    label = page.inner_text("label[for=id_p__ratio_signed]")
    assert "签约机构报销比例" in label and page.input_value("#id_p__ratio_signed") == "60"
    assert "单位：%" in page.inner_text(".field-p__ratio_signed")
    screenshot(page, "20-2-parameter-form")
    # a ratio over 100 % is refused next to its field, in Chinese, and nothing changes
    page.fill("#id_p__ratio_signed", "120")
    page.click("input[name=_save]")
    assert "100" in page.inner_text(".field-p__ratio_signed .errorlist")
    screenshot(page, "20-2-parameter-refused")
    fresh.refresh_from_db()
    assert fresh.values["ratio_signed"] == "0.60"
    # 62.5 % is stored as the rules read it
    page.fill("#id_p__ratio_signed", "62.5")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist, .errornote")
    assert page.locator(".errornote").count() == 0, page.inner_text("#content")
    fresh.refresh_from_db()
    assert fresh.values["ratio_signed"] == "0.625"
    context.close()
    assert not outside


def fits(page, selector: str) -> bool:
    """The element is drawn inside the 1440 px window (its right edge at most 1440)."""
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["x"] + box["width"] <= 1440


def test_point_3_lists_fit_1440_and_claims_are_found_by_certno_and_name(browser, live_server, screenshot,
                                                                       nanchang):
    from budgets.services import settlement_run_approve

    settlement_run_approve(run=nanchang["run"], by=nanchang["users"]["approver"])
    context, page, outside = sign_in(browser, live_server, "city")
    member = nanchang["members"][0]
    page.goto(f"{live_server.url}/admin/claims/claim/?q={member.certno}")
    for column in ("status", "fund_shown", "member_share_shown"):
        assert fits(page, f"#result_list th.column-{column}"), column
    assert page.locator("#result_list tbody tr").count() == 1 and "¥120.00" in page.inner_text("#result_list")
    screenshot(page, "20-3-claims-by-certno")
    page.goto(f"{live_server.url}/admin/claims/claim/?q=司马")
    assert page.locator("#result_list tbody tr").count() == 1 and "司马光明" in page.inner_text("#result_list")
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/")
    assert fits(page, "#result_list th.column-approved_by") and fits(page, "#result_list th.column-export")
    assert "approver" in page.inner_text("#result_list")
    screenshot(page, "20-3-runs-list")
    page.goto(f"{live_server.url}/admin/members/member/")
    assert fits(page, "#result_list th.column-enrolled_on")
    lines = page.eval_on_selector("#result_list td.field-psn_name", """td => {
        const range = document.createRange(); range.selectNodeContents(td); return range.getClientRects().length; }""")
    assert lines == 1  # the whole name on one line
    screenshot(page, "20-3-members-list")
    context.close()
    assert not outside


def test_point_6_one_number_format_charts_and_xlsx_totals(browser, live_server, screenshot, nanchang, tmp_path):
    from openpyxl import load_workbook

    context, page, outside = sign_in(browser, live_server, "approver")
    page.goto(f"{live_server.url}/dashboard/?year={nanchang['month'].year}")
    page.wait_for_selector("#fund-chart")
    assert page.evaluate("Chart.getChart('line-chart').options.scales.y.ticks.precision") == 0
    assert page.evaluate("Chart.getChart('fund-chart').data.datasets.length") == 1
    assert page.evaluate(f"Chart.getChart('budget-{NC}').options.indexAxis") == "y"
    assert "南昌市" in page.inner_text(f"#budget-{NC}-card h2")
    figures = page.inner_text(".dash-figures")
    assert "¥120.00" in figures
    screenshot(page, "20-6-dashboard")
    # the dashboard's 审核 lands on the run's confirmation page, where it is approved
    page.click("#runs a:has-text('审核')")
    page.wait_for_url(f"{live_server.url}/admin/budgets/settlementrun/{nanchang['run'].pk}/approve/")
    assert page.locator("#run-approve-confirm").count() == 1
    screenshot(page, "20-5-dashboard-approve-link")
    page.goto(f"{live_server.url}/admin/budgets/settlementrun/")
    with page.expect_download() as download_info:
        page.click(f"a[href='/admin/budgets/settlementrun/{nanchang['run'].pk}/export/']")
    target = tmp_path / "run.xlsx"
    download_info.value.save_as(str(target))
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][6] == 120  # 实际发生统筹费用: the one paid visit
    assert sheet.cell(row=3, column=7).number_format == "#,##0.00"
    assert sheet.column_dimensions["B"].width >= 10
    context.close()
    assert not outside


def test_points_7_8_10_error_pages_offline_docs_and_chinese_only(browser, live_server, screenshot, nanchang):
    # a browser that asks for English still reads Chinese
    context, page, outside = sign_in(browser, live_server, "clerk", extra_http_headers={"Accept-Language": "en"})
    assert "参保人与签约" in page.inner_text("#content") and page.locator("#language-switcher").count() == 0
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404 and "找不到此页面或记录" in page.inner_text("h1")
    assert "回到管理后台首页" in page.inner_text("main")
    screenshot(page, "20-7-not-found")
    response = page.goto(f"{live_server.url}/admin/policy/parameterset/add/")
    assert response.status == 403 and "您没有权限打开此页面" in page.inner_text("h1")
    assert "回到管理后台首页" in page.inner_text("main")
    screenshot(page, "20-7-forbidden")
    response = page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info")
    assert response.status == 200 and "医保经办 API" in page.inner_text(".swagger-ui .info")
    screenshot(page, "20-8-api-docs-offline")
    context.close()
    assert not outside, outside
