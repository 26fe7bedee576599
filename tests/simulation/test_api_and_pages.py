"""The API (POST/GET /api/v1/simulations/), the pages (results, chart, workbook, cancel) and
``manage.py simulate``, on one Zibo 2023 visit: L1, eligible 1 050 → (1050 − 50) × 0.6 = 600
(baseline); the draft's L1 ratio 0.7 → 1000 × 0.7 = 700 (+100, +16.67%)."""
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from simulation.models import SimulationRun
from tests.factories import make_member, make_provider, make_staff

from .helpers import settle

ZIBO = "370300"
DRAFT = {"label": "L1 70%", "values": {"ratio_employed": {"1": "0.70", "2": "0.60", "3": "0.50"}}}


@pytest.fixture
def one_visit(db):
    settle(member=make_member(admdvs=ZIBO), provider=make_provider(admdvs=ZIBO, level="1"),
           visit_at="2023-02-01T09:00:00+08:00", eligible="1050.00")


@pytest.fixture
def analyst(db):
    return make_staff(admdvs=ZIBO, perms=["simulation.run_simulation"])


def test_api_starts_a_run_and_answers_its_results(one_visit, analyst, api_client):
    api_client.force_authenticate(analyst)
    created = api_client.post("/api/v1/simulations/", {"admdvs": ZIBO, "year": 2023, "scenarios": [DRAFT]},
                              format="json")
    assert created.status_code == 201, created.content
    body = api_client.get(f"/api/v1/simulations/{created.json()['id']}/").json()
    assert body["status"] == "done" and body["progress"]["percent"] == 100 and body["baseline_matches"] is True
    total = next(b for b in body["results"]["breakdowns"] if b["name"] == "total")["rows"][0]
    assert total["fund_pay"] == ["600.00", "700.00"]


def test_api_refuses_bad_parameters_and_other_regions(one_visit, analyst, api_client):
    api_client.force_authenticate(analyst)
    bad = api_client.post("/api/v1/simulations/", {"admdvs": ZIBO, "year": 2023, "scenarios": [
        {"values": {"annual_cap": "lots"}}]}, format="json")
    assert bad.status_code == 400 and "annual_cap" in json.dumps(bad.json(), ensure_ascii=False)
    other = api_client.post("/api/v1/simulations/", {"admdvs": "360100", "year": 2023, "scenarios": [{}]},
                            format="json")
    assert other.status_code == 403
    assert not SimulationRun.objects.exists()
    clerk = make_staff(districts=["370302"], admdvs=None)
    api_client.force_authenticate(clerk)
    assert api_client.post("/api/v1/simulations/", {"admdvs": ZIBO, "year": 2023, "scenarios": [DRAFT]},
                           format="json").status_code == 403


def _form_data(page, **changes) -> dict:
    """What the page's form would send untouched (the drafts' fields as copied from the set in
    force), with ``changes`` typed over it (field name without the draft's prefix: ``d1-...``)."""
    data = {"admdvs": page.context["form"]["admdvs"].value(), "year": page.context["form"]["year"].value()}
    for draft in page.context["drafts"]:
        for field in draft:
            value = field.value()
            if value is not None and value is not False:
                data[field.html_name] = value
    data.update(changes)
    return data


def test_pages_show_results_chart_and_workbook(one_visit, analyst, client):
    client.force_login(analyst)
    form = client.get(f"/simulation/new/?admdvs={ZIBO}&year=2023")
    page = form.content.decode()
    # the labelled parameter form, copied from the set in force (L1 ratio 60 %, cap 3 000 元)
    assert form.status_code == 200 and "在职人员报销比例" in page and 'name="d1-p__ratio_employed__1"' in page
    assert form.context["drafts"][0]["p__ratio_employed__1"].value() == "60"
    assert form.context["drafts"][0]["p__annual_cap"].value() == "3000"
    # when the analyst types 70 (%) for level 1 and names the draft
    posted = client.post("/simulation/new/", _form_data(form, **{"d1-label": DRAFT["label"],
                                                                 "d1-p__ratio_employed__1": "70"}))
    assert posted.status_code == 302
    run = SimulationRun.objects.get()
    # then the draft holds the JSON the rules read: 70 % stored "0.7", the other levels as copied
    draft = run.scenarios.get(position=1)
    assert draft.label == DRAFT["label"] and draft.values["ratio_employed"] == {"1": "0.7", "2": "0.60", "3": "0.50"}
    assert draft.values["annual_cap"] == "3000"
    page = client.get(f"/simulation/{run.pk}/").content.decode()
    assert "600.00" in page and "700.00" in page and "16.67%" in page
    chart = client.get(f"/simulation/{run.pk}/chart/").content.decode()
    # inline SVG drawn by the page itself: the total's two bars, titled with their amounts
    drawn = chart.split('aria-label="统筹基金支付合计"', 1)[1].split("</svg>", 1)[0]
    assert "全部 基线（实际结算参数）: 600.00" in drawn and "全部 L1 70%: 700.00" in drawn
    workbook = load_workbook(io.BytesIO(client.get(f"/simulation/{run.pk}/workbook.xlsx").content))
    assert "合计" in workbook.sheetnames and "基线差异" in workbook.sheetnames
    rows = list(workbook["合计"].iter_rows(values_only=True))
    assert rows[2][:5] == ("全部", 600, 700, 100, pytest.approx(16.67))


def test_page_form_refuses_at_the_field_in_chinese(one_visit, analyst, client):
    client.force_login(analyst)
    form = client.get(f"/simulation/new/?admdvs={ZIBO}&year=2023")
    # a negative cap, a ratio over 100 %, and the second draft ticked with its cap emptied
    page = client.post("/simulation/new/", _form_data(form, **{
        "d1-p__annual_cap": "-5", "d1-p__ratio_retired__2": "120", "d2-use": "on", "d2-p__annual_cap": ""}))
    assert page.status_code == 200
    first, second, third = page.context["drafts"]
    assert first.errors["p__annual_cap"] == ["确保该值大于或等于0。"]
    assert first.errors["p__ratio_retired__2"] == ["确保该值小于或等于100。"]
    assert second.errors["p__annual_cap"] == ["该字段是必填项。"]
    assert not third.is_bound or not third.used
    assert not SimulationRun.objects.exists()


def test_page_needs_a_region_and_year_loaded_first(one_visit, analyst, client):
    client.force_login(analyst)
    page = client.get("/simulation/new/")
    assert page.status_code == 200 and page.context["drafts"] == [] and "载入参数" in page.content.decode()
    refused = client.post("/simulation/new/", {"admdvs": ZIBO, "year": 1999})
    assert "请先选择统筹区和年度并载入参数" in refused.content.decode()
    assert not SimulationRun.objects.exists()


def test_simulate_command(one_visit, tmp_path):
    scenario = tmp_path / "draft.json"
    scenario.write_text(json.dumps(DRAFT), encoding="utf-8")
    out = io.StringIO()
    call_command("simulate", "--admdvs", ZIBO, "--period", "2023", "--scenario", str(scenario), stdout=out)
    text = out.getvalue()
    assert "baseline matches" in text and "全部\t600.00\t700.00\t100.00 (16.67%)" in text


def test_cancel_button_on_a_running_page(one_visit, analyst, client):
    from simulation.services import simulation_run_create, simulation_run_start

    # given a run cut into partitions that no worker has taken yet
    run = simulation_run_create(admdvs=ZIBO, year=2023, drafts=[DRAFT])
    simulation_run_start(run_id=run.pk)
    client.force_login(analyst)
    page = client.get(f"/simulation/{run.pk}/").content.decode()
    assert "取消测算" in page and 'http-equiv="refresh"' in page and "0/1" in page
    # when the analyst presses it
    assert client.post(f"/simulation/{run.pk}/cancel/").status_code == 302
    # then the run is asked to stop (its partition will do nothing)
    run.refresh_from_db()
    assert run.cancel_requested and run.status == "running"
    assert "正在取消" in client.get(f"/simulation/{run.pk}/").content.decode()


def test_admin_list_links_to_the_pages(one_visit, analyst, client):
    from django.contrib.auth.models import Permission

    analyst.user_permissions.add(Permission.objects.get(codename="view_simulationrun"))
    client.force_login(analyst)
    page = client.get("/admin/simulation/simulationrun/").content.decode()
    assert "/simulation/new/" in page
