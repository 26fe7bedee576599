"""Settlement runs (CONTRACT.md "Settlement runs", RULES.md "Paying providers", "Nanchang" budget,
"Heyuan" capitation), checked from outside through the REST API; every expected figure by hand."""
from datetime import date

import pytest

from tests.contract.world import (HEYUAN, NANCHANG, NANYANG, approve_by_second_person, run, run_lines,
                                  run_response)

pytestmark = pytest.mark.django_db
YOUNG, MIDDLE = date(2005, 5, 1), date(1970, 5, 1)  # Nanchang 2024 ages 19 (group 1, 37) and 54 (group 4, 181)


def test_nanchang_monthly_quota_is_rounded_once_and_paid_is_the_lesser(world, city_admin):
    # given centre A with two members signed from 2024-01-02 (group 4: 181, group 1: 37) and centre B
    # with one member (group 4) and no visit at all
    w = world(NANCHANG)
    a, b = w.provider(), w.provider()
    old, young, idle = w.member(birth=MIDDLE), w.member(birth=YOUNG), w.member(birth=MIDDLE)
    for member, centre in ((old, a), (young, a), (idle, b)):
        assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    # and in March at A: 100 × 60% = 60.00, plus a visit of 50 × 60% = 30.00 reversed in the month
    w.claim(old, a, "2024-03-05T10:00:00+08:00")
    w.reverse(w.claim(young, a, "2024-03-06T10:00:00+08:00", "50.00")["setl_id"])
    # when the March run is computed
    body = run(w.client, NANCHANG, "monthly", "2024-03")
    assert (body["admdvs"], body["kind"], body["period"], body["status"]) == (NANCHANG, "monthly", "2024-03",
                                                                               "draft")
    lines = run_lines(w.client, body["id"])
    # then A: quota = (181 + 37) ÷ 12 = 18.1666… → 18.17, rounded once (not 15.08 + 3.08 = 18.16);
    # actual = 60.00 + 30.00 − 30.00 = 60.00; paid = min(60.00, 18.17) = 18.17 (RULES.md "Nanchang")
    line = lines[a]
    assert (line["members"], line["quota"], line["actual"], line["paid"], line["deductions"]) == (
        2, "18.17", "60.00", "18.17", "0.00")
    # and B, a provider with no visit: quota 181 ÷ 12 = 15.0833… → 15.08, actual 0.00, paid 0.00
    assert (lines[b]["members"], lines[b]["quota"], lines[b]["actual"], lines[b]["paid"]) == (
        1, "15.08", "0.00", "0.00")


def test_nanchang_year_end_bands_at_exactly_80_and_90_percent(world, city_admin):
    # given four centres, each with one group-4 member signed on 2024-01-02 (first sign-up: the full
    # year's standard, budget 181.00; 80% = 144.80, 90% = 162.90), and the year's visits at 60%
    w = world(NANCHANG)
    centres = [w.provider() for _ in range(4)]
    members = [w.member(birth=MIDDLE) for _ in range(4)]
    for member, centre in zip(members, centres):
        assert w.signup(member, centre, applied_on="2024-01-02").status_code == 201
    # 241.32 × 0.6 = 144.792 → 144.79 (just below 80%); 241.33 × 0.6 = 144.798 → 144.80 (exactly 80%);
    # 271.50 × 0.6 = 162.90 (exactly 90%); the fourth centre has no visit
    for member, centre, fund in zip(members, centres, (("241.32", "144.79"), ("241.33", "144.80"),
                                                        ("271.50", "162.90"))):
        assert w.claim(member, centre, "2024-06-03T10:00:00+08:00", fund[0])["hifp_pay"] == fund[1]
    # when the year-end run is computed (no approved monthly run: prepaid 0.00)
    lines = run_lines(w.client, run(w.client, NANCHANG, "year_end", "2024")["id"])
    # then (RULES.md "Nanchang" 年度决算):
    #   144.79 < 144.80 → actual 144.79, band below_80
    #   144.80 = 80% → 144.80 + 50% × (181 − 144.80) = 144.80 + 18.10 = 162.90, band 80_to_90
    #   162.90 = 90% → the budget 181.00, band 90_and_over
    #   no visit → 0.00, band below_80; balance due = determined − 0.00
    expected = [("144.79", "144.79", "below_80"), ("144.80", "162.90", "80_to_90"),
                ("162.90", "181.00", "90_and_over"), ("0.00", "0.00", "below_80")]
    for centre, (actual, determined, band) in zip(centres, expected):
        line = lines[centre]
        assert (line["members"], line["budget"], line["actual"], line["determined"], line["band"],
                line["prepaid"], line["balance_due"], line["deductions"]) == (
            1, "181.00", actual, determined, band, "0.00", determined, "0.00"), (centre, line)


def test_nanchang_address_change_mid_year_splits_the_budget_by_month(world, city_admin):
    # given a group-4 member signed with A on 2024-01-02 who moves to B by an address change asked on
    # 2024-04-10 (effective 2024-05-01)
    w = world(NANCHANG)
    a, b = w.provider(), w.provider()
    member = w.member(birth=MIDDLE)
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    assert w.signup(member, b, applied_on="2024-04-10", reason="address_change").status_code == 201
    # when the year-end run is computed
    lines = run_lines(w.client, run(w.client, NANCHANG, "year_end", "2024")["id"])
    # then the old provider counts up to and including the change month (Jan–Apr: 4 months) and the new
    # one from the next month (May–Dec: 8): 181 ÷ 12 × 4 = 60.333… → 60.33; 181 ÷ 12 × 8 = 120.666… → 120.67
    # (RULES.md "Nanchang" Annual budget); the member is a distinct member of both
    assert (lines[a]["members"], lines[a]["budget"]) == (1, "60.33")
    assert (lines[b]["members"], lines[b]["budget"]) == (1, "120.67")
    # and the April monthly run counts the member at A, the May run at B (the provider on the month's last day)
    april = run_lines(w.client, run(w.client, NANCHANG, "monthly", "2024-04")["id"])
    may = run_lines(w.client, run(w.client, NANCHANG, "monthly", "2024-05")["id"])
    assert (april[a]["members"], april[a]["quota"]) == (1, "15.08")
    assert april.get(b, {"members": 0})["members"] == 0
    assert (may[b]["members"], may[b]["quota"]) == (1, "15.08")
    assert may.get(a, {"members": 0})["members"] == 0


def test_heyuan_monthly_prepayment_and_year_end_at_exactly_80_percent_usage(world, city_admin):
    # given two L1 centres, each selected by one employed member on 2024-01-02 (capitation 320 a year)
    w = world(HEYUAN)
    a, b = w.provider(), w.provider()
    ma, mb = w.member(), w.member()
    assert w.signup(ma, a, applied_on="2024-01-02").status_code == 201
    assert w.signup(mb, b, applied_on="2024-01-02").status_code == 201
    # and the year's visits (L1 employed 70%, per-visit cap 60): A: 4 × min(100 × 0.7, 60) = 240 plus
    # 22.86 × 0.7 = 16.002 → 16.00: 256.00 = 80% of 320; B: 240 + 22.84 × 0.7 = 15.988 → 15.99: 255.99
    for member, centre, last in ((ma, a, "22.86"), (mb, b, "22.84")):
        for day in range(1, 5):
            assert w.claim(member, centre, f"2024-07-0{day}T10:00:00+08:00")["hifp_pay"] == "60.00"
        w.claim(member, centre, "2024-07-08T10:00:00+08:00", last)
    # when the July run is computed
    july = run_lines(w.client, run(w.client, HEYUAN, "monthly", "2024-07")["id"])
    # then quota = 320 ÷ 12 = 26.67 and paid = 320 ÷ 12 × 80% = 21.333… → 21.33 (RULES.md "Heyuan"
    # Monthly prepayment: one rounding of the whole product)
    assert (july[a]["members"], july[a]["quota"], july[a]["actual"], july[a]["paid"]) == (
        1, "26.67", "256.00", "21.33")
    # when July is approved and the year-end run is computed
    assert approve_by_second_person(w.client, run(w.client, HEYUAN, "monthly", "2024-07")["id"],
                                    city_admin).status_code == 200
    lines = run_lines(w.client, run(w.client, HEYUAN, "year_end", "2024")["id"])
    # then A: usage = 256 ÷ 320 = 80% → 256.00 + 80% × 64.00 = 307.20, band 80_to_100;
    #      B: usage 79.99…% → 255.99 + 20% × 64.01 = 268.792 → 268.79, band below_80;
    #      prepaid = July's approved 21.33 each; balance = 307.20 − 21.33 = 285.87, 268.79 − 21.33 = 247.46
    assert (lines[a]["budget"], lines[a]["actual"], lines[a]["determined"], lines[a]["band"], lines[a]["prepaid"],
            lines[a]["balance_due"]) == ("320.00", "256.00", "307.20", "80_to_100", "21.33", "285.87")
    assert (lines[b]["budget"], lines[b]["actual"], lines[b]["determined"], lines[b]["band"], lines[b]["prepaid"],
            lines[b]["balance_due"]) == ("320.00", "255.99", "268.79", "below_80", "21.33", "247.46")


def test_same_key_returns_the_same_run_recomputed_while_draft_frozen_once_approved(world, city_admin):
    # given a Nanchang member (group 4) at centre A, one visit in March (60.00)
    w = world(NANCHANG)
    a, member = w.provider(), w.member(birth=MIDDLE)
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    w.claim(member, a, "2024-03-05T10:00:00+08:00", "10.00")
    first = run(w.client, NANCHANG, "monthly", "2024-03")
    # when another March visit is posted and the run posted again: the same draft, recomputed (6 + 3 = 9)
    w.claim(member, a, "2024-03-06T10:00:00+08:00", "5.00")
    again = run(w.client, NANCHANG, "monthly", "2024-03")
    assert again["id"] == first["id"] and again["status"] == "draft"
    assert run_lines(w.client, first["id"])[a]["actual"] == "9.00"
    # then the person who computed it may not approve it (a second person approves: RULES.md)
    assert w.client.post(f"/api/v1/settlement-runs/{first['id']}/approve/").status_code == 403
    approved = approve_by_second_person(w.client, first["id"], city_admin)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # and posting again returns the same run untouched
    third = run(w.client, NANCHANG, "monthly", "2024-03")
    assert (third["id"], third["status"]) == (first["id"], "approved")
    assert run_lines(w.client, first["id"])[a]["actual"] == "9.00"


def test_refusals_are_400_on_the_field_and_404_for_an_unknown_run(world):
    w = world(NANCHANG)
    # a capitation kind in a fee-for-service region, a fee-for-service run in Nanchang, a bad kind,
    # a badly formed period: 400 naming the field
    for admdvs, kind in ((NANYANG, "monthly"), (NANCHANG, "fee_for_service")):
        refused = run_response(w.client, admdvs, kind, "2024-03")
        assert refused.status_code == 400 and "admdvs" in refused.json(), refused.json()
    assert run_response(w.client, NANCHANG, "weekly", "2024-03").status_code == 400
    bad = run_response(w.client, NANCHANG, "monthly", "2024")
    assert bad.status_code == 400 and "period" in bad.json()
    assert w.client.get("/api/v1/settlement-runs/999999/lines/").status_code == 404
    assert w.client.post("/api/v1/settlement-runs/999999/approve/").status_code == 404


def test_nanyang_fee_for_service_nets_a_reversal_inside_the_month(world):
    # given two Nanyang visits at hospital H in March and the second reversed in March
    w = world(NANYANG)
    h, m1, m2 = w.provider(level="2"), w.member(), w.member()
    first = w.claim(m1, h, "2024-03-05T10:00:00+08:00", "300.00")
    second = w.claim(m2, h, "2024-03-06T10:00:00+08:00", "500.00")
    w.reverse(second["setl_id"])
    # when the March fee-for-service run is computed
    body = run(w.client, NANYANG, "fee_for_service", "2024-03")
    line = run_lines(w.client, body["id"])[h]
    # then actual = paid = the first visit's fund payment alone (second + its reversal = 0), medfee 300.00
    # net (RULES.md "Paying providers": fund payments of the visits dated in the month, net of reversals)
    assert (line["actual"], line["paid"], line["medfee_sumamt"], line["deductions"]) == (
        first["hifp_pay"], first["hifp_pay"], "300.00", "0.00")


def test_nanchang_reversal_after_approval_is_netted_in_the_next_month(world, city_admin):
    # given a group-4 member at A with a March visit (100 × 60% = 60.00); the March run approved:
    # paid = min(60.00, 181 ÷ 12 = 15.08) = 15.08
    w = world(NANCHANG)
    a, member = w.provider(), w.member(birth=MIDDLE)
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    march_claim = w.claim(member, a, "2024-03-05T10:00:00+08:00")
    march = run(w.client, NANCHANG, "monthly", "2024-03")
    assert approve_by_second_person(w.client, march["id"], city_admin).status_code == 200
    # when the March visit is reversed afterwards and April has one visit of 50 × 60% = 30.00
    w.reverse(march_claim["setl_id"])
    w.claim(member, a, "2024-04-05T10:00:00+08:00", "50.00")
    # then the approved March run is untouched (60.00 / 15.08) and April nets the reversal:
    # actual = 30.00 − 60.00 = −30.00, paid = min(−30.00, 15.08) = −30.00 (RULES.md "Paying providers":
    # reversals of visits in an approved month are netted in the next month's run)
    again = run(w.client, NANCHANG, "monthly", "2024-03")
    assert (again["id"], again["status"]) == (march["id"], "approved")
    assert (run_lines(w.client, march["id"])[a]["actual"], run_lines(w.client, march["id"])[a]["paid"]) == (
        "60.00", "15.08")
    april = run_lines(w.client, run(w.client, NANCHANG, "monthly", "2024-04")["id"])[a]
    assert (april["actual"], april["quota"], april["paid"]) == ("-30.00", "15.08", "-30.00")


def test_a_village_clinic_is_inside_its_centres_line(world):
    # given centre A with village clinic V; a group-4 member signed with A; a March visit at V (60.00)
    w = world(NANCHANG)
    a = w.provider()
    v = w.provider(kind="village", parent=a)
    member = w.member(birth=MIDDLE)
    assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    w.claim(member, v, "2024-03-05T10:00:00+08:00")
    # when the March run is computed: one line, A's, with V's visit (CONTRACT.md, RULES.md 第二十五条)
    lines = run_lines(w.client, run(w.client, NANCHANG, "monthly", "2024-03")["id"])
    assert v not in lines and lines[a]["actual"] == "60.00"


def test_heyuan_fee_for_service_run_carries_only_what_capitation_does_not(world):
    # given member M selected A (L1) on 2024-01-02, member N with no selection, hospital H (L2)
    w = world(HEYUAN)
    a, h = w.provider(), w.provider(level="2")
    m, n = w.member(), w.member()
    assert w.signup(m, a, applied_on="2024-01-02").status_code == 201
    # when M visits A (capitation) and N has an emergency at H before any selection: paid at H's level,
    # employed L2 60% capped at 120 per visit: 100 × 0.60 = 60.00 (RULES.md "Heyuan")
    w.claim(m, a, "2024-03-05T10:00:00+08:00")
    assert w.claim(n, h, "2024-03-06T10:00:00+08:00", emergency=True)["hifp_pay"] == "60.00"
    lines = run_lines(w.client, run(w.client, HEYUAN, "fee_for_service", "2024-03")["id"])
    # then the fee-for-service run has H (1 visit, 100.00, 60.00) and not A
    assert a not in lines
    assert (lines[h]["visits"], lines[h]["medfee_sumamt"], lines[h]["actual"], lines[h]["paid"]) == (
        1, "100.00", "60.00", "60.00")


def test_heyuan_overspend_is_the_providers_and_a_mid_year_selection_is_prorated(world):
    # given A selected by M on 2024-01-02 (capitation 320.00), B first selected by N on 2024-07-15
    # (July–December: 320 ÷ 12 × 6 = 160.00) and C selected by P on 2024-01-02 (320.00)
    w = world(HEYUAN)
    a, b, c = w.provider(), w.provider(), w.provider()
    m, n, p = w.member(), w.member(), w.member()
    assert w.signup(m, a, applied_on="2024-01-02").status_code == 201
    assert w.signup(n, b, applied_on="2024-07-15").status_code == 201
    assert w.signup(p, c, applied_on="2024-01-02").status_code == 201
    # and P's visits at C reach exactly 100%: 5 × 60.00 + 28.57 × 0.7 = 19.999 → 20.00: 320.00
    for day in range(1, 6):
        w.claim(p, c, f"2024-09-0{day}T10:00:00+08:00")
    assert w.claim(p, c, "2024-09-09T10:00:00+08:00", "28.57")["hifp_pay"] == "20.00"
    # when M's visits at A reach 6 × 60.00 = 360.00 (> 320) and N has none
    for day in range(1, 7):
        assert w.claim(m, a, f"2024-08-0{day}T10:00:00+08:00")["hifp_pay"] == "60.00"
    lines = run_lines(w.client, run(w.client, HEYUAN, "year_end", "2024")["id"])
    # then A: actual over total → pay the total 320.00, band over_100 (超支不补);
    #      B: usage 0 < 80% → 0 + 20% × 160.00 = 32.00, band below_80
    assert (lines[a]["budget"], lines[a]["actual"], lines[a]["determined"], lines[a]["band"]) == (
        "320.00", "360.00", "320.00", "over_100")
    assert (lines[b]["budget"], lines[b]["actual"], lines[b]["determined"], lines[b]["band"]) == (
        "160.00", "0.00", "32.00", "below_80")
    # and C: usage exactly 100% is inside 80%–100% → 320.00 + 80% × 0 = 320.00, band 80_to_100
    assert (lines[c]["actual"], lines[c]["determined"], lines[c]["band"]) == ("320.00", "320.00", "80_to_100")


def test_nanchang_first_signup_mid_year_counts_the_full_year_and_a_suspension_moves_the_change_month(world):
    # given C's member X first signed on 2024-07-15, and Y signed with A on 2024-01-02 who is moved to B
    # on 2024-06-12 because A is suspended (all group 4: 181)
    w = world(NANCHANG)
    a, b, c = w.provider(), w.provider(), w.provider()
    x, y = w.member(birth=MIDDLE), w.member(birth=MIDDLE)
    assert w.signup(x, c, applied_on="2024-07-15").status_code == 201
    assert w.signup(y, a, applied_on="2024-01-02").status_code == 201
    suspend = {"status": "suspended", "status_changed_on": "2024-06-12"}  # the project's extra field
    assert w.client.patch(f"/api/v1/providers/{a}/", suspend, format="json").status_code == 200
    moved = w.signup(y, b, applied_on="2024-06-12", reason="provider_suspended")
    assert moved.status_code == 201, moved.json()
    lines = run_lines(w.client, run(w.client, NANCHANG, "year_end", "2024")["id"])
    # then (RULES.md "Nanchang" Annual budget): a first sign-up counts the full year's standard: C 181.00;
    # a type-2 change counts the old provider up to the month before the change (Jan–May: 181 ÷ 12 × 5 =
    # 75.4166… → 75.42) and the new one from the change month (Jun–Dec: 181 ÷ 12 × 7 = 105.5833… → 105.58)
    assert lines[c]["budget"] == "181.00"
    assert (lines[a]["budget"], lines[b]["budget"]) == ("75.42", "105.58")


def test_heyuan_monthly_prepayment_of_two_members_is_rounded_once(world):
    # given two members selecting A on 2024-01-02
    w = world(HEYUAN)
    a = w.provider()
    for member in (w.member(), w.member()):
        assert w.signup(member, a, applied_on="2024-01-02").status_code == 201
    line = run_lines(w.client, run(w.client, HEYUAN, "monthly", "2024-03")["id"])[a]
    # then quota = 320 ÷ 12 × 2 = 53.333… → 53.33; paid = 320 ÷ 12 × 2 × 80% = 42.666… → 42.67
    # (not 2 × 21.33 = 42.66: RULES.md, rounded once per recorded amount); no visit: actual 0.00
    assert (line["members"], line["quota"], line["paid"], line["actual"]) == (2, "53.33", "42.67", "0.00")


def test_heyuan_suspension_change_moves_the_member_from_the_next_month(world):
    # given M selected A on 2024-01-02; A suspended and M moved to B on 2024-06-12 (provider_suspended)
    w = world(HEYUAN)
    a, b, m = w.provider(), w.provider(), w.member()
    assert w.signup(m, a, applied_on="2024-01-02").status_code == 201
    suspend = {"status": "suspended", "status_changed_on": "2024-06-12"}  # the project's extra field
    assert w.client.patch(f"/api/v1/providers/{a}/", suspend, format="json").status_code == 200
    moved = w.signup(m, b, applied_on="2024-06-12", reason="provider_suspended")
    assert moved.status_code == 201, moved.json()
    # then June still counts at A, July at B (RULES.md "Heyuan" 第十二条(五): from M + 1)
    june = run_lines(w.client, run(w.client, HEYUAN, "monthly", "2024-06")["id"])
    july = run_lines(w.client, run(w.client, HEYUAN, "monthly", "2024-07")["id"])
    assert june[a]["members"] == 1 and june.get(b, {"members": 0})["members"] == 0
    assert july[b]["members"] == 1 and july.get(a, {"members": 0})["members"] == 0
    # and the year: A Jan–Jun 320 ÷ 12 × 6 = 160.00, B Jul–Dec 160.00
    lines = run_lines(w.client, run(w.client, HEYUAN, "year_end", "2024")["id"])
    assert (lines[a]["budget"], lines[b]["budget"], lines[a]["members"], lines[b]["members"]) == (
        "160.00", "160.00", 1, 1)


def test_heyuan_2022_capitation_is_august_to_december(world):
    # given M selecting A on 2022-08-01, the scheme's first month
    w = world(HEYUAN)
    a, m = w.provider(), w.member()
    assert w.signup(m, a, applied_on="2022-08-01").status_code == 201
    # then the 2022 total is 320 ÷ 12 × 5 = 133.333… → 133.33 (RULES.md "Heyuan" Capitation), and a
    # July 2022 monthly run is refused (before capitation)
    assert run_lines(w.client, run(w.client, HEYUAN, "year_end", "2022")["id"])[a]["budget"] == "133.33"
    assert run_response(w.client, HEYUAN, "monthly", "2022-07").status_code == 400


def test_heyuan_out_of_city_selection_is_outside_capitation_and_paid_fee_for_service(world):
    # given M with a long-term out-of-area registration to Guangzhou (440100) who selects G there
    w = world(HEYUAN)
    g, m = w.provider(admdvs="440100", kind="hospital"), w.member()
    assert w.register(m, start_on="2024-01-01").status_code == 201
    selection = w.signup(m, g, applied_on="2024-01-02")
    assert selection.status_code == 201, selection.json()
    # when M visits G in March
    visit = w.claim(m, g, "2024-03-05T10:00:00+08:00")
    # then G counts in no capitation (RULES.md "Heyuan" 第十二条(六)): no member in the March capitation run,
    # and the fee-for-service run pays the visit's fund payment to G
    capitation = run_lines(w.client, run(w.client, HEYUAN, "monthly", "2024-03")["id"])
    assert capitation.get(g, {"members": 0})["members"] == 0
    ffs = run_lines(w.client, run(w.client, HEYUAN, "fee_for_service", "2024-03")["id"])
    assert (ffs[g]["visits"], ffs[g]["actual"], ffs[g]["paid"]) == (1, visit["hifp_pay"], visit["hifp_pay"])
