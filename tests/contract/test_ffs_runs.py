"""Fee-for-service settlement runs of Nanyang, Zibo and Ganzhou (CONTRACT.md "Settlement runs",
RULES.md "Paying providers"), checked from outside: claims posted through ``POST /claims/``, runs
through ``/api/v1/settlement-runs/`` and ``manage.py run_settlement``; deductions are recorded by staff
through the budgets services (the contract names no path for them). Every figure by hand."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from budgets.assessments import deduction_approve, deduction_enter
from providers.models import Provider
from tests.contract.world import (GANZHOU, NANYANG, ZIBO, approve_by_second_person, run, run_lines,
                                  run_response)
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
FFS = "fee_for_service"


def zibo_march(w):
    """Zibo (RULES.md "Zibo": annual deductible per level L1 50 / L2 500, ratio 60% in 2024 for the
    employed, cap 4 000): L2 hospital H, L1 centre C with village clinic V, pharmacy P, an L1 provider
    GZ in Guangzhou (440100), and the month's claims with their fund payments by hand."""
    h, c, p, gz = w.provider(level="2"), w.provider(), w.provider(kind="pharmacy"), w.provider(admdvs="440100")
    v = w.provider(kind="village", parent=c)
    m1, m2, m3, m4, m5 = (w.member() for _ in range(5))
    fund = [
        # m1 at C: (100 − 50) × 0.60 = 30.00; at V (L1, deductible paid): 100 × 0.60 = 60.00
        w.claim(m1, c, "2024-03-04T09:00:00+08:00")["hifp_pay"],
        w.claim(m1, v, "2024-03-05T09:00:00+08:00")["hifp_pay"],
        # m2 at H: (600 − 500) × 0.60 = 60.00; fills an H prescription at P (H's level, deductible paid):
        # 200 × 0.60 = 120.00, charged to P (RULES.md "Designated retail pharmacies")
        w.claim(m2, h, "2024-03-06T09:00:00+08:00", "600.00")["hifp_pay"],
        w.claim(m2, p, "2024-03-07T09:00:00+08:00", "200.00", prescribing_fixmedins_code=h)["hifp_pay"],
        # m3 unregistered at GZ = temporary: pays 10% first, (200 − 20 − 50) × 0.60 = 78.00 (Out-of-area care)
        w.claim(m3, gz, "2024-03-08T09:00:00+08:00", "200.00")["hifp_pay"],
        # m3 at H on 31 March 23:59 Shanghai: (600 − 500) × 0.60 = 60.00
        w.claim(m3, h, "2024-03-31T23:59:00+08:00", "600.00")["hifp_pay"],
    ]
    assert fund == ["30.00", "60.00", "60.00", "120.00", "78.00", "60.00"]
    # outside March: 31 March 16:30 UTC is 1 April 00:30 Shanghai; 29 February 23:59 Shanghai
    assert w.claim(m4, h, "2024-03-31T16:30:00+00:00", "600.00")["hifp_pay"] == "60.00"
    assert w.claim(m5, h, "2024-02-29T23:59:00+08:00", "600.00")["hifp_pay"] == "60.00"
    # a March visit reversed in March (m1 at C, 50 × 0.60 = 30.00), and a work-injury visit (not covered)
    w.reverse(w.claim(m1, c, "2024-03-12T09:00:00+08:00", "50.00")["setl_id"])
    assert w.claim(m4, h, "2024-03-13T09:00:00+08:00", exclusion="work_injury")["status"] == "not_covered"
    return h, c, v, p, gz


def test_zibo_march_lines_by_hand(world):
    w = world(ZIBO)
    h, c, v, p, gz = zibo_march(w)
    # when the March fee-for-service run is computed
    body = run(w.client, ZIBO, FFS, "2024-03")
    assert (body["admdvs"], body["kind"], body["period"], body["status"]) == (ZIBO, FFS, "2024-03", "draft")
    lines = run_lines(w.client, body["id"])
    # then one line per charged provider (RULES.md "Paying providers"): V inside C, P its own, GZ its own
    assert set(lines) == {h, c, p, gz}
    got = {code: (line["visits"], line["medfee_sumamt"], line["actual"], line["deductions"], line["paid"])
           for code, line in lines.items()}
    assert got == {
        # C: 100 + 100 (+ 50 − 50 reversed) = 200.00; 30.00 + 60.00 (+ 30.00 − 30.00) = 90.00
        c: (2, "200.00", "90.00", "0.00", "90.00"),
        # H: m2's and m3's March visits, 600 + 600 = 1 200.00; 60.00 + 60.00 = 120.00
        h: (2, "1200.00", "120.00", "0.00", "120.00"),
        p: (1, "200.00", "120.00", "0.00", "120.00"),
        gz: (1, "200.00", "78.00", "0.00", "78.00"),
    }


def test_ganzhou_and_nanyang_runs_leave_out_what_the_fund_does_not_pay(world):
    # given Ganzhou centre C and hospital H; a member's ordinary visit of 700 at C: annual deductible
    # 600, 60%: (700 − 600) × 0.60 = 60.00; a special item at H, held pending review while its ratio is
    # unset (RULES.md "Ganzhou"), and an inpatient-only member's visit at C (not covered)
    g = world(GANZHOU)
    c, h = g.provider(), g.provider(level="3")
    member, inpatient_only = g.member(), g.member(inpatient_only=True)
    assert g.claim(member, c, "2024-03-04T09:00:00+08:00", "700.00")["hifp_pay"] == "60.00"
    assert g.claim(member, h, "2024-03-05T09:00:00+08:00", benefit="special_item")["status"] == "pending_review"
    assert g.claim(inpatient_only, c, "2024-03-06T09:00:00+08:00")["status"] == "not_covered"
    # when the March run is computed: C alone, one visit, 700.00, 60.00
    lines = run_lines(g.client, run(g.client, GANZHOU, FFS, "2024-03")["id"])
    assert {code: (line["visits"], line["medfee_sumamt"], line["paid"]) for code, line in lines.items()} == {
        c: (1, "700.00", "60.00")}
    # given a Nanyang member registered long-term in Guangzhou and L1 provider GZ there: direct settlement
    # at the treating level, L1 no deductible, employed 60%: 100 × 0.60 = 60.00; an unregistered member's
    # visit there is not covered (RULES.md "Out-of-area care", Nanyang)
    n = world(NANYANG)
    gz = n.provider(admdvs="440100")
    registered, unregistered = n.member(), n.member()
    assert n.register(registered, start_on="2024-01-01").status_code == 201
    assert n.claim(registered, gz, "2024-03-04T09:00:00+08:00")["hifp_pay"] == "60.00"
    assert n.claim(unregistered, gz, "2024-03-04T09:00:00+08:00")["reason"] == "out_of_area_not_registered"
    # then Nanyang's March run pays GZ for the registered visit alone
    lines = run_lines(n.client, run(n.client, NANYANG, FFS, "2024-03")["id"])
    assert {code: (line["visits"], line["medfee_sumamt"], line["paid"]) for code, line in lines.items()} == {
        gz: (1, "100.00", "60.00")}


def test_rerunning_overlapping_months_and_approval_states(world, city_admin):
    # given Zibo L1 centre C and a member: 4 March (100 − 50) × 0.60 = 30.00, 5 March 100 × 0.60 = 60.00
    w = world(ZIBO)
    c, member = w.provider(), w.member()
    w.claim(member, c, "2024-03-04T09:00:00+08:00")
    fifth = w.claim(member, c, "2024-03-05T09:00:00+08:00")
    march = run(w.client, ZIBO, FFS, "2024-03")
    assert run_lines(w.client, march["id"])[c]["paid"] == "90.00"
    # when April is computed while March is a draft: March's visits stay with March (April has no line)
    w.claim(member, c, "2024-04-02T09:00:00+08:00", "10.00")                 # 10 × 0.60 = 6.00
    april = run(w.client, ZIBO, FFS, "2024-04")
    assert run_lines(w.client, april["id"])[c]["paid"] == "6.00"
    # when a March visit is posted after March was computed: approval is a 409 (stale) and changes nothing
    w.claim(member, c, "2024-03-20T09:00:00+08:00", "20.00")                 # 20 × 0.60 = 12.00
    stale = approve_by_second_person(w.client, march["id"], city_admin)
    assert stale.status_code == 409, stale.json()
    assert w.client.get(f"/api/v1/settlement-runs/{march['id']}/").json()["status"] == "draft"
    # and the person who computed it may not approve it; nor may staff without the approval permission
    assert w.client.post(f"/api/v1/settlement-runs/{march['id']}/approve/").status_code == 403
    w.client.force_authenticate(make_staff(all_regions=True))
    assert w.client.post(f"/api/v1/settlement-runs/{march['id']}/approve/").status_code == 403
    w.client.force_authenticate(city_admin)
    # when March is posted again: the same run, recomputed: 90.00 + 12.00 = 102.00; then approved
    again = run(w.client, ZIBO, FFS, "2024-03")
    assert again["id"] == march["id"] and run_lines(w.client, march["id"])[c]["paid"] == "102.00"
    approved = approve_by_second_person(w.client, march["id"], city_admin)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # when the 5 March visit is reversed and a late 6 March visit posted (10 × 0.60 = 6.00) after approval
    w.reverse(fifth["setl_id"])
    w.claim(member, c, "2024-03-06T09:00:00+08:00", "10.00")
    # then March stays as approved, and April (recomputed, same run) nets them: 6.00 − 60.00 + 6.00 = −48.00;
    # visits 1 − 1 + 1 = 1, cost 10 − 100 + 10 = −80.00 (RULES.md "Paying providers": netted in the next run)
    assert run(w.client, ZIBO, FFS, "2024-03")["status"] == "approved"
    assert run_lines(w.client, march["id"])[c]["paid"] == "102.00"
    april_again = run(w.client, ZIBO, FFS, "2024-04")
    assert april_again["id"] == april["id"]
    line = run_lines(w.client, april["id"])[c]
    assert (line["visits"], line["medfee_sumamt"], line["actual"], line["paid"]) == (1, "-80.00", "-48.00", "-48.00")


def test_deductions_are_taken_off_the_next_runs_never_below_zero(world, city_admin):
    # given Zibo L2 hospital H and pharmacy P; approved deductions H 100.00 (assessment) and P 200.00
    # (violation), and an unapproved one of 50.00 on H (RULES.md "Assessment and deductions")
    w = world(ZIBO)
    h, p = w.provider(level="2"), w.provider(kind="pharmacy")
    clerk, checker = make_staff(all_regions=True), make_staff(all_regions=True, perms=["budgets.approve_assessment"])
    providers = {code: Provider.objects.get(fixmedins_code=code) for code in (h, p)}
    for code, amount, kind in ((h, "100.00", "assessment"), (p, "200.00", "violation")):
        deduction = deduction_enter(provider=providers[code], year=2024, kind=kind, amount=amount, reason="考核",
                                    document_no="淄医保〔2024〕1号", by=clerk)
        deduction_approve(deduction=deduction, by=checker)
    deduction_enter(provider=providers[h], year=2024, kind="assessment", amount="50.00", reason="待审",
                    document_no="淄医保〔2024〕2号", by=clerk)
    # and March: a member at H (600 − 500) × 0.60 = 60.00 and 100 × 0.60 = 60.00: 120.00; at P filling
    # H's prescription 200 × 0.60 = 120.00
    member = w.member()
    w.claim(member, h, "2024-03-04T09:00:00+08:00", "600.00")
    w.claim(member, h, "2024-03-05T09:00:00+08:00")
    w.claim(member, p, "2024-03-06T09:00:00+08:00", "200.00", prescribing_fixmedins_code=h)
    # when March is computed twice (a draft recomputed) and approved
    run(w.client, ZIBO, FFS, "2024-03")
    march = run(w.client, ZIBO, FFS, "2024-03")
    lines = run_lines(w.client, march["id"])
    # then H: 120.00 − 100.00 = 20.00 (the unapproved 50.00 not taken); P: 120.00 − min(200, 120) = 0.00,
    # 80.00 left; recomputing the draft took nothing twice
    assert (lines[h]["actual"], lines[h]["deductions"], lines[h]["paid"]) == ("120.00", "100.00", "20.00")
    assert (lines[p]["actual"], lines[p]["deductions"], lines[p]["paid"]) == ("120.00", "120.00", "0.00")
    assert approve_by_second_person(w.client, march["id"], city_admin).status_code == 200
    # when April has H 100 × 0.60 = 60.00 and P 50 × 0.60 = 30.00
    w.claim(member, h, "2024-04-04T09:00:00+08:00")
    w.claim(member, p, "2024-04-05T09:00:00+08:00", "50.00", prescribing_fixmedins_code=h)
    lines = run_lines(w.client, run(w.client, ZIBO, FFS, "2024-04")["id"])
    # then H has nothing left to take (60.00 paid); P takes min(80.00, 30.00) = 30.00, pays 0.00, 50.00 left
    assert (lines[h]["deductions"], lines[h]["paid"]) == ("0.00", "60.00")
    assert (lines[p]["deductions"], lines[p]["paid"]) == ("30.00", "0.00")


def test_run_settlement_command_is_the_same_run_as_the_api(world):
    # given a Ganzhou centre C with a March visit: (700 − 600) × 0.60 = 60.00
    w = world(GANZHOU)
    c, member = w.provider(), w.member()
    w.claim(member, c, "2024-03-04T09:00:00+08:00", "700.00")
    # when the README's / CONTRACT.md's command computes the March fee-for-service run
    out = io.StringIO()
    call_command("run_settlement", "--admdvs", GANZHOU, "--kind", FFS, "--period", "2024-03", stdout=out)
    # then posting the same region, kind and period returns that run, with C's 60.00
    body = run(w.client, GANZHOU, FFS, "2024-03")
    assert out.getvalue().split()[:5] == ["run", str(body["id"]), GANZHOU, FFS, "2024-03"]
    assert run_lines(w.client, body["id"])[c]["paid"] == "60.00"
    # and a capitation kind in a fee-for-service region is refused by the command as by the API
    with pytest.raises(CommandError):
        call_command("run_settlement", "--admdvs", GANZHOU, "--kind", "monthly", "--period", "2024-03",
                     stdout=io.StringIO())
    assert run_response(w.client, GANZHOU, "monthly", "2024-03").status_code == 400
    # and a period not yet over (the current month) is a 400 on period
    from django.utils import timezone

    current = timezone.localdate().strftime("%Y-%m")
    refused = run_response(w.client, ZIBO, FFS, current)
    assert refused.status_code == 400 and "period" in refused.json(), refused.json()


def test_a_late_reversal_is_netted_once_and_a_visit_is_in_its_members_region_run(world, city_admin):
    # given a Zibo L1 centre C and a member: 4 March, annual deductible 50: (100 − 50) × 0.60 = 30.00,
    # and a visit of the same member at a Nanyang L1 centre N (out of area for Zibo: unregistered =
    # temporary, 10% first, deductible paid: (100 − 10) × 0.60 = 54.00; RULES.md "Out-of-area care")
    z, n = world(ZIBO), world(NANYANG)
    c, nanyang_centre = z.provider(), n.provider()
    member = z.member()
    first = z.claim(member, c, "2024-03-04T09:00:00+08:00")
    assert first["hifp_pay"] == "30.00"
    assert z.claim(member, nanyang_centre, "2024-03-05T09:00:00+08:00")["hifp_pay"] == "54.00"
    # then Zibo's March run pays N for its Zibo member's visit, and Nanyang's March run has no line for it
    # (a run carries its region's members' claims, "one line per charged provider")
    march = run(z.client, ZIBO, FFS, "2024-03")
    lines = run_lines(z.client, march["id"])
    assert (lines[c]["paid"], lines[nanyang_centre]["paid"]) == ("30.00", "54.00")
    assert nanyang_centre not in run_lines(n.client, run(n.client, NANYANG, FFS, "2024-03")["id"])
    # when March is approved, the 4 March visit reversed, and April computed and approved
    assert approve_by_second_person(z.client, march["id"], city_admin).status_code == 200
    z.reverse(first["setl_id"])
    april = run(z.client, ZIBO, FFS, "2024-04")
    assert run_lines(z.client, april["id"])[c]["paid"] == "-30.00"
    assert approve_by_second_person(z.client, april["id"], city_admin).status_code == 200
    # then May does not net the reversal again (no line for C at all)
    may = run_lines(z.client, run(z.client, ZIBO, FFS, "2024-05")["id"])
    assert c not in may


def test_a_visit_settled_through_the_national_interface_is_in_the_run_like_a_rest_one(world):
    from tests.contract.test_national_letter import signed_in

    # given Nanyang L2 hospital H: one visit through POST /claims/ and one through 2207, 100.00 each,
    # (100 − 30) × 0.55 = 38.50 each (RULES.md "Nanyang"); the national one reversed by 2208 afterwards
    w = world(NANYANG)
    h, m1, m2 = w.provider(level="2"), w.member(), w.member()
    assert w.claim(m1, h, "2024-03-04T09:00:00+08:00")["hifp_pay"] == "38.50"
    clinic = signed_in(h, NANYANG)
    visit = clinic.visit(m2, "310", begntime="2024-03-05 09:00:00", amount="100.00")
    setl = clinic.settle(visit, inscp="100.00")["output"]["setlinfo"]
    assert setl["hifp_pay"] == "38.50"
    body = run(w.client, NANYANG, FFS, "2024-03")
    line = run_lines(w.client, body["id"])[h]
    # then the run counts both: 2 visits, 200.00, 77.00
    assert (line["visits"], line["medfee_sumamt"], line["paid"]) == (2, "200.00", "77.00")
    # when the national one is reversed (2208) and the draft recomputed: 1 visit, 100.00, 38.50
    undo = clinic.send(clinic.envelope("2208", {"data": {
        "setl_id": setl["setl_id"], "mdtrt_id": visit["mdtrt_id"], "psn_no": visit["psn_no"]}}))
    assert undo["infcode"] == 0, undo
    line = run_lines(w.client, run(w.client, NANYANG, FFS, "2024-03")["id"])[h]
    assert (line["visits"], line["medfee_sumamt"], line["paid"]) == (1, "100.00", "38.50")
