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


def test_pages_show_results_chart_and_workbook(one_visit, analyst, client):
    client.force_login(analyst)
    form = client.get(f"/simulation/new/?admdvs={ZIBO}&year=2023")
    assert form.status_code == 200 and "annual_cap" in form.content.decode()
    posted = client.post("/simulation/new/", {"admdvs": ZIBO, "year": 2023, "label_1": DRAFT["label"],
                                              "values_1": json.dumps(DRAFT["values"])})
    assert posted.status_code == 302
    run = SimulationRun.objects.get()
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


def test_page_form_reports_the_parameter_it_refuses(one_visit, analyst, client):
    client.force_login(analyst)
    page = client.post("/simulation/new/", {"admdvs": ZIBO, "year": 2023, "values_1": '{"annual_cap": "-5"}'})
    assert page.status_code == 200 and "annual_cap" in page.content.decode()
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
