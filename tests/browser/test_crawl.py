"""Every admin and staff page, as each of the five roles, in Chromium at 1440×900: no raw JSON, no
Python dict or "Model object (1)" title, no known code shown raw (config/labels.py KNOWN_CODES), no
list wider than the page, and not one request to a host other than the server's own.

The pages need rows to show: the demo loader and its settlement run make them (members, sign-ups,
claims, runs of two regions), plus a refused and a reversed claim, two warnings and a previewed
import. Nothing here asserts a figure of that data: the checks are about how any page shows data."""
from __future__ import annotations

import re
from collections import deque
from datetime import date

import pytest

from config.labels import KNOWN_CODES
from staff.roles import AUDITOR, CITY_ADMIN, CLAIMS_REVIEWER, DISTRICT_CLERK, SETTLEMENT_APPROVER
from tests.browser.test_staff_journey import PASSWORD, reference_data
from tests.factories import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NC, HY = "360100", "441600"
ROLES = {  # username: (role, scope)
    "crawl_city": (CITY_ADMIN, {"all_regions": True}),
    "crawl_clerk": (DISTRICT_CLERK, {"admdvs": NC, "districts": ["360102"]}),
    "crawl_reviewer": (CLAIMS_REVIEWER, {"admdvs": NC}),
    "crawl_approver": (SETTLEMENT_APPROVER, {"admdvs": HY}),
    "crawl_auditor": (AUDITOR, {"all_regions": True}),
}
# Pages outside the staff's reading: the API's own documentation (its field names are the contract's).
NOT_CHECKED_TEXT = ("/api/docs/",)
SKIPPED = re.compile(r"logout|password|/delete/|/export|/errors/|/template/|/i18n/|/jsi18n/|/r/\d+/|\.xlsx|/statement/"
                     r"|/reverse/|/confirm/|/upload/")
JSON_OBJECT = re.compile(r"\{\s*\"[^\"\n]{1,40}\"\s*:")
PY_DICT = re.compile(r"\{\s*'[^'\n]{1,40}'\s*:")
OBJECT_TITLE = re.compile(r"\b[A-Z]\w+ object \(\d+\)")
CODE_PATTERNS = {code: re.compile(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])") for code in KNOWN_CODES}


def pages_data(tmp_path):
    """The rows that make every page show something (see the module's docstring)."""
    from django.core.management import call_command

    from claims.models import Claim
    from claims.requests import claim_request_parse
    from claims.services import claim_reverse, claim_settle
    from imports.services import import_job_create, import_job_run
    from members.models import Member
    from supervision.models import Warning

    reference_data()
    call_command("load_demo", verbosity=0)
    call_command("demo_settlement", verbosity=0)
    users = {name: make_staff(username=name, groups=[role], **scope) for name, (role, scope) in ROLES.items()}
    city = users["crawl_city"]
    # a refused claim (its reason shown), and a reversal
    settled = Claim.objects.filter(admdvs_id=NC, status="settled", district_id="360102").select_related(
        "member", "provider").first()
    request = claim_request_parse({
        "certno": settled.member.certno, "admdvs": NC, "fixmedins_code": settled.provider.fixmedins_code,
        "visit_at": f"{settled.visit_date:%Y-%m-%d}T15:00:00+08:00", "medfee_sumamt": "80.00",
        "inscp_scp_amt": "80.00", "exclusion": "work_injury"})
    claim_settle(request=request, by=city)
    claim_reverse(setl_id=settled.setl_id, by=city)
    # two warnings: an indicator above its peers, and repeated visits on one day
    member = Member.objects.filter(admdvs_id=NC, district_id="360102").first()
    period = settled.visit_date.replace(day=1)
    common = {"admdvs_id": NC, "district_id": settled.provider.district_id, "provider": settled.provider,
              "period": period}
    # (the demo's indicators may have opened this one already: its figures are replaced)
    Warning.objects.update_or_create(**common, kind="peer", indicator="avg_cost", subject="", defaults={"figures": {
        "indicator": "avg_cost", "label": "次均费用", "rule": "peer", "value": "182.50", "peer_percentile": "0.9000",
        "peer_value": "120.00", "peers": 6, "level": "1", "period": f"{period:%Y-%m}", "basis": {"visits": 12}}})
    Warning.objects.create(**common, kind="repeat_visits", member=member, subject=f"{member.pk}:{period}", figures={
        "visit_date": f"{period}", "max_visits_per_day": 2, "visits": 3,
        "claims": [{"setl_id": "S-1", "medfee_sumamt": "50.00", "hifp_pay": "30.00"}]})
    # a previewed members import of the clerk
    csv = tmp_path / "members.csv"
    csv.write_text("身份证号,姓名,统筹区,险种,人员类别,县区,参保日期,建档立卡贫困人口\n"
                   f"360102199001010038,预览一,{NC},390,1501,360102,{date(2024, 1, 1)},是\n", encoding="utf-8")
    job = import_job_create(kind="members", path=str(csv), file_name="members.csv", by=users["crawl_clerk"],
                            dry_run=True)
    import_job_run(job_id=job.pk)
    return users


URL_PATH = re.compile(r"/[\w./-]+")


def problems_of(page, path: str) -> list[str]:
    found = []
    if not path.startswith(NOT_CHECKED_TEXT):
        text = page.inner_text("body")
        for name, pattern in (("JSON", JSON_OBJECT), ("Python dict", PY_DICT), ("object title", OBJECT_TITLE)):
            match = pattern.search(text)
            if match:
                found.append(f"{name}: {text[max(match.start() - 40, 0):match.end() + 40]!r}")
        words = URL_PATH.sub(" ", text)  # an address shown (the access log's) is not a code
        raw = sorted(code for code, pattern in CODE_PATTERNS.items() if pattern.search(words))
        if raw:
            found.append(f"codes shown raw: {raw}")
        # a column or row heading that is a developer's name (brdy, fixmedins_code) instead of a label
        headings = page.eval_on_selector_all("thead th, label", "els => els.map(e => e.innerText.trim())")
        english = sorted({h for h in headings if re.fullmatch(r"[A-Za-z_]{3,}:?", h)})
        if english:
            found.append(f"headings not in Chinese: {english}")
    overflow = page.evaluate("""() => {
        const list = document.querySelector('#changelist .results, #result_list');
        const page = document.documentElement.scrollWidth - window.innerWidth;
        return {page, list: list ? list.scrollWidth - list.clientWidth : 0};
    }""")
    if overflow["page"] > 1 or overflow["list"] > 1:
        found.append(f"wider than 1440 px: {overflow}")
    return found


def issue_20_pages(username: str) -> list[str]:
    """Issue 20's pages reached from links the crawl may not follow first (one page per list kind):
    the jobs (compute forms, a run's approval page) and a member's overview, of the user's scope."""
    from django.contrib.auth import get_user_model

    from budgets.selectors import settlement_runs_visible
    from members.models import Member
    from staff.scope import scope_for_user

    user = get_user_model().objects.get(username=username)
    pages = ["/admin/budgets/settlementrun/compute/", "/supervision/indicators/compute/"]
    run = settlement_runs_visible(user=user).order_by("id").first()
    if run is not None:
        pages.append(f"/admin/budgets/settlementrun/{run.pk}/approve/")
    member = scope_for_user(user).filter(Member.objects.order_by("id"), region_field="admdvs",
                                         district_field="district").first()
    if member is not None:
        pages.append(f"/admin/members/member/{member.pk}/overview/")
    return pages


def crawl(browser, live_server, username: str, screenshot) -> tuple[dict, list[str], int]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside: list[str] = []
    own = (live_server.url, "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(own) else outside.append(r.url))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    queue, seen, report = deque(["/admin/", "/dashboard/", "/supervision/", "/api/docs/",
                                 *issue_20_pages(username)]), set(), {}
    per_list: dict[str, int] = {}
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(f"{live_server.url}{path}")
        if path == "/api/docs/" and response.status == 200:
            page.wait_for_selector(".swagger-ui .info")  # drawn from the project's own files
        if response.status == 403:
            # a page the role may not open (a link Django's admin draws to a related record): the
            # staff's own page, in Chinese, with the way back
            text = page.inner_text("body")
            found = [] if "您没有权限" in text and "回到管理后台首页" in text else ["HTTP 403 without the staff's page"]
        else:
            found = [f"HTTP {response.status}"] if response.status >= 400 else problems_of(page, path)
        if found:
            report[path] = found
        if path == "/admin/":
            screenshot(page, f"crawl-{username}-index")
        for href in page.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.getAttribute('href'))"):
            target = href.split("#")[0]
            if "?" in target or SKIPPED.search(target) or not target.startswith(("/admin/", "/dashboard/",
                                                                               "/supervision/")):
                continue
            # each list, its add page and its first few objects (every page of a kind is one template)
            kind = re.sub(r"/(\d+|[A-Z]?\d[\w-]*)/.*$", "/", target)
            if target != kind and per_list.get(kind, 0) >= 2:
                continue
            if target != kind:
                per_list[kind] = per_list.get(kind, 0) + 1
            queue.append(target)
    context.close()
    return report, outside, len(seen)


def test_every_page_as_every_role_is_staff_readable_fits_1440_and_stays_on_the_server(
        browser, live_server, screenshot, tmp_path):
    pages_data(tmp_path)
    failures, visited = {}, {}
    for username in ROLES:
        report, outside, count = crawl(browser, live_server, username, screenshot)
        visited[username] = count
        if report:
            failures[username] = report
        assert not outside, f"{username}: requests to other hosts: {outside[:5]}"
    assert not failures, "\n".join(f"{user} {path}: {problems}" for user, pages in failures.items()
                                   for path, problems in pages.items())
    # the crawl reached the pages (a login that failed would visit one)
    assert visited["crawl_city"] > 40 and visited["crawl_clerk"] > 10 and min(visited.values()) > 5, visited
