"""CONTRACT.md "Settlement runs" read to the letter: the answer's fields, the lines' fields per kind as
the table gives them, fee-for-service in its four regions, the same region/kind/period giving the same
run (recomputed while draft, untouched once approved), refusals that write no run, the scope, and
``python manage.py run_settlement`` giving the run the API gives.

A field the table marks "—" for a kind is in the line as ``null`` (budgets/serializers.py): the lines
of every kind have one shape, and the fields the table gives a value are never null."""
import io
import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.contract.world import (GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, approve_by_second_person, run, run_lines,
                                  run_response)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/settlement-runs/"
MONEY = re.compile(r"^-?\d+\.\d{2}$")
MONEY_FIELDS = {"quota", "actual", "paid", "budget", "determined", "prepaid", "balance_due", "medfee_sumamt",
                "deductions"}
# CONTRACT.md's table ("yes" or a description: a value; "—": none), and the fee-for-service list
GIVEN = {
    "monthly": {"fixmedins_code", "members", "quota", "actual", "paid", "deductions"},
    "year_end": {"fixmedins_code", "members", "actual", "budget", "determined", "prepaid", "balance_due", "band",
                 "deductions"},
    "fee_for_service": {"fixmedins_code", "visits", "medfee_sumamt", "actual", "deductions", "paid"},
}
NONE_FOR = {"monthly": {"budget", "determined", "prepaid", "balance_due", "band"},
            "year_end": {"quota", "paid"}}


def _check_line(kind: str, line: dict) -> None:
    assert GIVEN[kind] <= set(line), GIVEN[kind] - set(line)
    assert all(line[name] is not None for name in GIVEN[kind]), line
    assert all(line[name] is None for name in NONE_FOR.get(kind, ())), line
    assert all(MONEY.match(line[name]) for name in GIVEN[kind] & MONEY_FIELDS), line
    assert all(isinstance(line[name], int) for name in GIVEN[kind] & {"members", "visits"}), line


def _run_count(client) -> int:
    return len(client.get(RUNS).json())


@pytest.mark.parametrize("admdvs", [NANCHANG, HEYUAN])
def test_capitation_runs_answer_their_fields_and_lines_per_kind(world, admdvs):
    # given a member signed with a centre and one March visit
    w = world(admdvs)
    centre, member = w.provider(), w.member()
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    w.claim(member, centre, "2024-03-05T10:00:00+08:00", "50.00")
    for kind, period in (("monthly", "2024-03"), ("year_end", "2024")):
        response = run_response(w.client, admdvs, kind, period)
        # then 201 with id, admdvs, kind, period and status
        assert response.status_code == 201, response.json()
        body = response.json()
        assert {k: body[k] for k in ("admdvs", "kind", "period", "status")} == {
            "admdvs": admdvs, "kind": kind, "period": period, "status": "draft"}
        assert isinstance(body["id"], int)
        # and one line for the centre with the table's fields
        lines = run_lines(w.client, body["id"])
        assert list(lines) == [centre]
        _check_line(kind, lines[centre])
        assert lines[centre]["deductions"] == "0.00" and lines[centre]["members"] == 1


@pytest.mark.parametrize("admdvs", [NANYANG, ZIBO, GANZHOU, HEYUAN])
def test_fee_for_service_runs_in_the_four_regions_pay_the_months_fund_payments(world, admdvs):
    # given an L2 hospital (for Heyuan: out of the city, outside capitation) with two March visits, the
    # second reversed, and a visit in April
    w = world(admdvs)
    hospital = w.provider(level="2", admdvs="440100" if admdvs == HEYUAN else None)
    member = w.member()
    if admdvs == HEYUAN:
        assert w.register(member, start_on="2024-01-01").status_code == 201
        assert w.signup(member, hospital, applied_on="2024-01-02").status_code == 201
    kept = w.claim(member, hospital, "2024-03-05T10:00:00+08:00", "800.00")
    w.reverse(w.claim(member, hospital, "2024-03-06T10:00:00+08:00", "300.00")["setl_id"])
    w.claim(member, hospital, "2024-04-01T10:00:00+08:00", "300.00")
    # when the March fee-for-service run is posted
    body = run(w.client, admdvs, "fee_for_service", "2024-03")
    assert (body["admdvs"], body["kind"], body["period"], body["status"]) == (admdvs, "fee_for_service", "2024-03",
                                                                               "draft")
    line = run_lines(w.client, body["id"])[hospital]
    # then the line has the contract's fields: one visit net, its cost, the fund payment net of the reversal
    _check_line("fee_for_service", line)
    assert (line["visits"], line["medfee_sumamt"], line["actual"], line["deductions"], line["paid"]) == (
        1, "800.00", kept["hifp_pay"], "0.00", kept["hifp_pay"])


def test_the_same_run_again_is_recomputed_while_draft_and_untouched_once_approved(world, city_admin):
    # given a Heyuan year-end run computed with one visit
    w = world(HEYUAN)
    centre, member = w.provider(), w.member()
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    w.claim(member, centre, "2024-03-05T10:00:00+08:00", "50.00")                  # 35.00
    first = run(w.client, HEYUAN, "year_end", 2024)                                 # the period as a JSON number
    assert first["period"] == "2024"
    # when a visit is added and the run posted again: the same run, recomputed
    w.claim(member, centre, "2024-04-05T10:00:00+08:00", "10.00")                  # 7.00
    again = run(w.client, HEYUAN, "year_end", "2024")
    assert (again["id"], again["status"]) == (first["id"], "draft")
    assert run_lines(w.client, first["id"])[centre]["actual"] == "42.00"
    # when it is approved: frozen; a later visit and another post leave it as it was
    approved = approve_by_second_person(w.client, first["id"], city_admin)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    frozen = run_lines(w.client, first["id"])
    w.claim(member, centre, "2024-05-05T10:00:00+08:00", "10.00")
    third = run(w.client, HEYUAN, "year_end", "2024")
    assert (third["id"], third["status"], third["computed_at"]) == (first["id"], "approved", approved.json()[
        "computed_at"])
    assert run_lines(w.client, first["id"]) == frozen
    assert w.client.get(f"{RUNS}{first['id']}/").json()["status"] == "approved"
    assert len([r for r in w.client.get(RUNS).json() if r["admdvs"] == HEYUAN]) == 1


@pytest.mark.parametrize("body, field", [
    ({"admdvs": NANCHANG, "kind": "weekly", "period": "2024-03"}, "kind"),
    ({"admdvs": NANCHANG, "kind": "monthly", "period": "2024-3"}, "period"),
    ({"admdvs": NANCHANG, "kind": "year_end", "period": "2024-03"}, "period"),
    ({"admdvs": NANCHANG, "kind": "monthly", "period": "2099-01"}, "period"),
    ({"admdvs": "999999", "kind": "monthly", "period": "2024-03"}, "admdvs"),
    ({"admdvs": ZIBO, "kind": "year_end", "period": "2024"}, "admdvs"),
    ({"kind": "monthly", "period": "2024-03"}, "admdvs"),
    ({"admdvs": NANCHANG, "period": "2024-03"}, "kind"),
    ({"admdvs": NANCHANG, "kind": "monthly"}, "period"),
])
def test_a_refused_run_is_a_400_naming_the_field_and_creates_no_run(world, body, field):
    w = world(NANCHANG)
    before = _run_count(w.client)
    response = w.client.post(RUNS, body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert _run_count(w.client) == before


def test_unknown_runs_are_404_on_read_lines_and_approve(world):
    w = world(NANCHANG)
    assert w.client.get(f"{RUNS}999999/").status_code == 404
    assert w.client.get(f"{RUNS}999999/lines/").status_code == 404
    assert w.client.post(f"{RUNS}999999/approve/").status_code == 404


def test_staff_of_another_region_neither_see_nor_start_nor_approve_a_run(world):
    # given a Nanchang run; a city-wide Nanyang user who holds the approval permission
    w = world(NANCHANG)
    body = run(w.client, NANCHANG, "monthly", "2024-03")
    outsider = APIClient()
    outsider.force_authenticate(make_staff(admdvs=NANYANG, perms=["budgets.approve_settlement"]))
    # then the run is not visible (404 on read, lines and approve), nor listed
    assert outsider.get(f"{RUNS}{body['id']}/").status_code == 404
    assert outsider.get(f"{RUNS}{body['id']}/lines/").status_code == 404
    assert outsider.post(f"{RUNS}{body['id']}/approve/").status_code == 404
    assert outsider.get(RUNS).json() == []
    # and starting one in that region is a 403 (a write outside the scope) that creates nothing
    before = _run_count(w.client)
    assert run_response(outsider, NANCHANG, "monthly", "2024-04").status_code == 403
    assert _run_count(w.client) == before
    assert w.client.get(f"{RUNS}{body['id']}/").json()["status"] == "draft"


def test_the_readme_command_computes_the_run_the_api_returns(world, city_admin):
    # given a Nanchang member signed with a centre and a March visit (100 × 60% = 60.00)
    w = world(NANCHANG)
    centre, member = w.provider(), w.member()
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    w.claim(member, centre, "2024-03-05T10:00:00+08:00")
    # when `python manage.py run_settlement --admdvs 360100 --kind monthly --period 2024-03` runs
    out = io.StringIO()
    call_command("run_settlement", "--admdvs", "360100", "--kind", "monthly", "--period", "2024-03", stdout=out)
    # then the API's post of the same region, kind and period is that run (no second one)
    body = run(w.client, NANCHANG, "monthly", "2024-03")
    assert out.getvalue().split()[:6] == ["run", str(body["id"]), NANCHANG, "monthly", "2024-03", "draft"]
    assert run_lines(w.client, body["id"])[centre]["actual"] == "60.00"
    assert _run_count(w.client) == 1
    # and once approved, the command leaves it untouched
    assert approve_by_second_person(w.client, body["id"], city_admin).status_code == 200
    w.claim(member, centre, "2024-03-06T10:00:00+08:00")
    out = io.StringIO()
    call_command("run_settlement", "--admdvs", "360100", "--kind", "monthly", "--period", "2024-03", stdout=out)
    assert out.getvalue().split()[:6] == ["run", str(body["id"]), NANCHANG, "monthly", "2024-03", "approved"]
    assert run_lines(w.client, body["id"])[centre]["actual"] == "60.00"


def test_money_inside_a_lines_inputs_is_written_with_2_decimals_too(world):
    w = world(HEYUAN)
    centre, member = w.provider(), w.member()
    assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    line = run_lines(w.client, run(w.client, HEYUAN, "monthly", "2024-03")["id"])[centre]
    assert all(MONEY.match(value) for value in line["inputs"]["standards"].values()), line["inputs"]
