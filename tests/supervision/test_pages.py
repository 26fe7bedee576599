"""Supervision pages: staff only, scoped by district, xlsx exports neutralised, workflow through POST."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from supervision.models import Warning
from supervision.services import supervision_period_run
from tests.factories import make_member, make_provider, make_staff
from tests.supervision.helpers import make_claim

pytestmark = pytest.mark.django_db
NY, WANCHENG, WOLONG = "411300", "411302", "411303"
VIEW = ["supervision.view_warning"]


@pytest.fixture
def two_districts():
    """One after-leaving warning in each of two Nanyang districts, March 2024."""
    providers = {}
    for district, name in ((WANCHENG, "=HYPERLINK(\"http://x\")"), (WOLONG, "卧龙机构")):
        p = make_provider(admdvs=NY, district=district)
        p.fixmedins_name = name
        p.save()
        m = make_member(admdvs=NY, district=district, left_on=date(2024, 3, 1), name="-李四")
        make_claim(member=m, provider=p, day=date(2024, 3, 11), total="10.00")
        providers[district] = p
    supervision_period_run(admdvs=NY, period=date(2024, 3, 1))
    return providers


def login(client, **kwargs):
    user = make_staff(**kwargs)
    client.force_login(user)
    return user


def test_given_anonymous_or_no_permission_when_opening_then_refused(client, two_districts):
    assert client.get("/supervision/").status_code == 302            # to the admin login
    login(client, admdvs=NY)                                          # staff, but no supervision permission
    assert client.get("/supervision/").status_code == 403


def test_given_a_district_clerk_when_listing_then_only_own_district(client, two_districts):
    login(client, admdvs=NY, districts=[WANCHENG], perms=VIEW)
    page = client.get("/supervision/warnings/?period=2024-03").content.decode()
    assert two_districts[WANCHENG].fixmedins_code in page
    assert two_districts[WOLONG].fixmedins_code not in page
    other = Warning.objects.get(provider=two_districts[WOLONG])
    assert client.get(f"/supervision/warnings/{other.pk}/").status_code == 404
    assert client.get(f"/supervision/providers/{two_districts[WOLONG].fixmedins_code}/").status_code == 404
    assert client.get(f"/supervision/providers/{two_districts[WANCHENG].fixmedins_code}/").status_code == 200
    dashboard = client.get("/supervision/?period=2024-03").content.decode()
    assert "终止参保后就诊" in dashboard and two_districts[WOLONG].fixmedins_code not in dashboard


def test_given_city_staff_when_exporting_then_xlsx_with_chinese_headers_and_neutralised_cells(client, two_districts):
    login(client, admdvs=NY, perms=VIEW)
    response = client.get("/supervision/warnings/?period=2024-03&export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("月份", "机构编码", "机构名称", "县区", "预警类型")
    names = {row[2] for row in rows[1:]}
    assert names == {"'=HYPERLINK(\"http://x\")", "卧龙机构"}  # no 合计 row: nothing in a warning sums
    assert {row[8] for row in rows[1:]} == {"'-李四"}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    indicators = client.get("/supervision/indicators/?period=2024-03&export=xlsx")
    sheet = load_workbook(io.BytesIO(indicators.content)).active
    header, *body, total = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("月份", "机构编码", "机构名称", "就诊人次") and len(body) == 2
    # the 合计 row sums visits and money (1 + 1 visits, 10 + 10 yuan), not the per-visit cost
    assert total[0] == "合计" and total[3] == 2 and total[5] == 20 and total[header.index("次均费用")] is None
    assert sheet.cell(row=2, column=6).number_format == "#,##0.00"


def test_given_a_provider_page_when_opened_then_indicators_month_by_month_and_a_chart(client, two_districts):
    login(client, admdvs=NY, perms=VIEW)
    page = client.get(f"/supervision/providers/{two_districts[WOLONG].fixmedins_code}/?indicator=visits")
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "2024-03" in text and "次均费用" in text
    assert 'extends' not in text and "医保经办管理系统" in text      # rendered inside the admin chrome


def test_given_change_permission_when_posting_actions_then_history_grows(client, two_districts):
    user = login(client, admdvs=NY, perms=VIEW + ["supervision.change_warning"])
    warning = Warning.objects.get(provider=two_districts[WANCHENG])
    url = f"/supervision/warnings/{warning.pk}/action/"
    client.post(url, {"action": "review"})
    client.post(url, {"action": "close", "note": ""})                 # refused: a note is required
    warning.refresh_from_db()
    assert warning.status == "under_review" and warning.owner_id == user.pk
    client.post(url, {"action": "close", "note": "已核查"})
    warning.refresh_from_db()
    assert (warning.status, warning.note) == ("closed", "已核查")
    assert list(warning.events.values_list("action", flat=True)) == ["opened", "review", "closed"]


def test_given_view_only_when_posting_then_forbidden(client, two_districts):
    login(client, admdvs=NY, perms=VIEW)
    warning = Warning.objects.get(provider=two_districts[WANCHENG])
    assert client.post(f"/supervision/warnings/{warning.pk}/action/", {"action": "review"}).status_code == 403


def test_given_a_city_admin_when_opening_the_admin_lists_then_they_render(client, city_admin, two_districts):
    from supervision.models import InpatientStay

    InpatientStay.objects.create(member=Warning.objects.first().member, admitted_on=date(2024, 3, 1))
    client.force_login(city_admin)
    for url in ("/admin/supervision/inpatientstay/", "/admin/supervision/warning/",
                "/admin/supervision/providerindicator/", "/admin/supervision/supervisionsettings/",
                f"/admin/supervision/warning/{Warning.objects.first().pk}/change/", "/supervision/",
                "/supervision/indicators/", "/supervision/warnings/"):
        assert client.get(url, follow=True).status_code == 200, url
    # one warnings list: the admin's leads to the supervision pages' list
    assert client.get("/admin/supervision/warning/")["Location"] == "/supervision/warnings/"


# One rule for every export (config.exports.cell_neutralise): a signed plain number ("-3", a
# reversal's "-93.50") stays a number, anything else starting with = + - @ gets the apostrophe.
@pytest.mark.parametrize("raw, written", [("=1+1", "'=1+1"), ("+86", "+86"), ("-3", "-3"), ("+86-1", "'+86-1"),
                                          ("-3+A1", "'-3+A1"), ("@SUM(A1)", "'@SUM(A1)"),
                                          ("\t=x", "'\t=x"), ("宛城区", "宛城区"), (None, None)])
def test_given_text_cells_when_exported_then_formula_prefixes_are_neutralised(raw, written):
    from decimal import Decimal

    from supervision.exports import cell_safe

    assert cell_safe(raw) == written
    assert cell_safe(Decimal("-0.1000")) == Decimal("-0.1000")    # numbers stay numbers


def test_given_a_district_clerk_when_recording_a_stay_for_another_district_then_refused(client, two_districts):
    from supervision.models import InpatientStay

    login(client, admdvs=NY, districts=[WANCHENG], perms=["supervision.add_inpatientstay",
                                                          "supervision.view_inpatientstay"])
    own = Warning.objects.get(provider=two_districts[WANCHENG]).member
    other = Warning.objects.get(provider=two_districts[WOLONG]).member
    for member, expected in ((other, 0), (own, 1)):
        client.post("/admin/supervision/inpatientstay/add/", {"member": member.pk, "admitted_on": "2024-03-02",
                                                               "discharged_on": "", "note": ""})
        assert InpatientStay.objects.filter(member=member).count() == expected
