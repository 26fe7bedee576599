"""The dashboard's figures, the audit trail of API/import/bulk writes, and the Chinese-only UI."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format, number_format
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.models import Accumulator
from dashboards import selectors
from members.certno import make_certno
from staff.models import AuditEvent
from staff.roles import DISTRICT_CLERK
from staff.scope import scope_for_user
from tests.factories import make_member, make_provider, make_signup, make_staff
from tests.ui.conftest import claim_row

pytestmark = pytest.mark.django_db
HY = "441600"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_monthly_visits_and_fund_are_net_of_reversals(world):
    # given a March claim of 30.00 in district A, and its reversal
    claim_row(member=world.members_a[0], provider=world.provider_a, visit=date(2024, 3, 20), fund="-30.00",
              status="reversal")
    claim_row(member=world.members_a[1], provider=world.provider_a, visit=date(2024, 4, 2), fund="12.50")
    # when clerk A's dashboard figures are read
    filters = selectors.Filters(scope=scope_for_user(world.users["clerk_a"]), year=2024)
    months = {m["month"]: m for m in selectors.dashboard_claims_by_month(filters=filters)}
    # then March nets to zero (one visit, undone) and April shows its payment; district B's is not there
    assert months["2024-03"]["visits"] == 0 and months["2024-03"]["fund"] == Decimal("0.00")
    assert months["2024-04"]["visits"] == 1 and months["2024-04"]["fund"] == Decimal("12.50")
    assert len(months) == 12


def test_members_and_signups_per_provider_count_the_sign_up_in_effect(world):
    # given a member of A who moved to another provider of A from April
    other = make_provider(admdvs="360100", district="360102", kind="community")
    make_signup(member=world.members_a[0], provider=other, effective_from=date(2024, 4, 1), reason="address_change")
    filters = selectors.Filters(scope=scope_for_user(world.users["clerk_a"]), year=2024)
    rows = {r["code"]: r for r in selectors.dashboard_members_by_provider(filters=filters, day=date(2024, 6, 30))}
    # then in June the old provider has one member (two sign-ups recorded) and the new one has one
    assert rows[world.provider_a.fixmedins_code]["members"] == 1
    assert rows[world.provider_a.fixmedins_code]["signups"] == 2
    assert rows[other.fixmedins_code]["members"] == 1
    assert world.provider_b.fixmedins_code not in rows


def test_budget_usage_uses_nanchangs_bands(world):
    filters = selectors.Filters(scope=scope_for_user(world.users["approver"]), year=2024)
    (region,) = selectors.dashboard_budget_usage(filters=filters)
    assert region["admdvs"] == "360100" and (region["lower"], region["upper"]) == (Decimal("0.80"), Decimal("0.90"))
    by_code = {p["code"]: p for p in region["providers"]}
    line = world.run.lines.get(provider=world.provider_a)
    assert by_code[world.provider_a.fixmedins_code]["actual"] == line.actual == Decimal("30.00")
    assert by_code[world.provider_a.fixmedins_code]["budget"] == line.quota


def test_members_near_their_annual_cap_use_the_cap_in_force():
    # given Heyuan members (cap 1 800): one at 1 500 paid, one at 900, and one first selecting in July
    provider = make_provider(admdvs=HY, district="441602", kind="township")
    near = make_member(admdvs=HY, certno=make_certno(area="441602", birth=date(1970, 1, 1), sequence=11))
    far = make_member(admdvs=HY, certno=make_certno(area="441602", birth=date(1971, 1, 1), sequence=13))
    late = make_member(admdvs=HY, certno=make_certno(area="441602", birth=date(1972, 1, 1), sequence=15))
    for member in (near, far):
        make_signup(member=member, provider=provider, effective_from=date(2023, 1, 1))
    make_signup(member=late, provider=provider, effective_from=date(2024, 7, 1))
    Accumulator.objects.create(member=near, year=2024, fund_paid=Decimal("1500.00"))
    Accumulator.objects.create(member=far, year=2024, fund_paid=Decimal("900.00"))
    Accumulator.objects.create(member=late, year=2024, fund_paid=Decimal("760.00"))  # cap 1800/12*6 = 900
    user = make_staff(admdvs=HY, groups=[DISTRICT_CLERK])
    filters = selectors.Filters(scope=scope_for_user(user), year=2024)
    # when the near-cap list is read
    rows = selectors.dashboard_members_near_cap(filters=filters, day=date(2024, 12, 31))
    # then the member at 1 500 of 1 800 and the late one at 760 of 900 are listed, not the one at 900 of 1 800
    found = {row["member"].pk: row for row in rows}
    assert set(found) == {near.pk, late.pk}
    assert found[near.pk]["cap"] == Decimal("1800") and found[near.pk]["left"] == Decimal("300.00")
    assert found[late.pk]["cap"] == Decimal("900.00")
    # and the page shows them masked to the clerk
    page = logged_in(user).get("/dashboard/?year=2024").content.decode()
    assert near.certno not in page and near.certno[:6] + "********" + near.certno[-4:] in page


def test_api_changes_made_with_a_token_are_attributed_to_its_user(world):
    clerk = world.users["clerk_a"]
    token = Token.objects.create(user=clerk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    member = world.members_a[0]
    response = client.patch(f"/api/v1/members/360100/{member.certno}/", {"psn_name": "改名"}, format="json")
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.filter(model="members.Member", object_id=str(member.pk)).latest("id")
    assert event.user == clerk and event.channel == "api"
    assert event.before == {"psn_name": "甲0"} and event.after == {"psn_name": "改名"}


def test_an_import_leaves_one_audit_event_with_who_and_what(db, tmp_path):
    from imports.services import import_file

    clerk = make_staff(admdvs="360100", districts=["360102"], groups=[DISTRICT_CLERK])
    certno = make_certno(area="360102", birth=date(1985, 6, 7), sequence=77)
    path = tmp_path / "m.csv"
    path.write_text("身份证号,姓名,统筹区,险种,人员类别,县区,参保日期\n"
                    f"{certno},导入人,360100,390,1501,360102,2020-01-01\n", encoding="utf-8")
    job = import_file(kind="members", path=str(path), by=clerk)
    assert job.status == "done", job.message
    event = AuditEvent.objects.get(model="imports.members")
    assert event.user == clerk and event.channel == "import" and event.after["written"] == 1
    assert event.after["job"] == job.pk


def test_parameter_and_run_changes_are_in_the_trail(world):
    from budgets.services import settlement_run_approve

    settlement_run_approve(run=world.run, by=world.users["approver"])
    event = AuditEvent.objects.filter(model="budgets.SettlementRun", object_id=str(world.run.pk)).latest("id")
    assert event.action == "update" and event.after["status"] == "approved" and event.before["status"] == "draft"


def test_dates_are_iso_and_amounts_grouped():
    with translation.override("zh-hans"):
        assert date_format(date(2024, 3, 5)) == "2024-03-05"
        assert date_format(date(2024, 3, 5), "SHORT_DATE_FORMAT") == "2024-03-05"
        assert number_format(Decimal("1234567.5"), 2, force_grouping=True) == "1,234,567.50"


def test_the_pages_are_chinese_whatever_the_browser_asks_for(world):
    # English was half done, so it was removed (docs/staff.md): a browser asking for English gets Chinese,
    # and no page offers a language switch
    client = logged_in(world.users["clerk_a"])
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "参保人与签约" in index and "Members and sign-ups" not in index
    dashboard = client.get("/dashboard/?year=2024", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "每月就诊人次与统筹基金支付" in dashboard and 'id="language-switcher"' not in dashboard
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 404
