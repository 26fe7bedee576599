"""Nanchang 2024 with one age-group standard changed: the budget and the year-end band move
(RULES.md Nanchang; 南昌市城乡居民门诊统筹暂行办法 第十四、二十三、二十六、二十八条).

One township centre T, four members born 1950 (age 2024 − 1950 = 74: group 5, standard 226 a year),
each signed with T since 2023-01-01 (the whole of 2024 attributed: 12 member-months each).
Each has one visit at T with eligible 300: fund = 300 × 60% = 180; actual = 4 × 180 = 720.

Budget = Σ standard × member-months ÷ 12 (第二十八条):
  baseline 226: 226 × 48 / 12 = 904; 720 < 0.8 × 904 = 723.20          → below_80, determined 720
  draft 210:    210 × 48 / 12 = 840; 672 ≤ 720 < 0.9 × 840 = 756       → 80_to_90,
                determined 720 + 0.5 × (840 − 720) = 780
  draft 190:    190 × 48 / 12 = 760; 720 ≥ 0.9 × 760 = 684              → 90_and_over, determined 760
The fund payments themselves do not move (the standards are not a claim parameter): 720 in each.
"""
from datetime import date
from decimal import Decimal

import pytest

from policy.rules.nanchang import SEED
from tests.factories import make_member, make_provider, make_registration, make_signup

from .helpers import breakdown, run_simulation, settle

NANCHANG = "360100"


def _groups(standard_5: str) -> list[dict]:
    groups = [dict(g) for g in SEED[0]["values"]["age_groups"]]
    groups[4]["standard"] = standard_5
    return groups


@pytest.fixture
def nanchang_2024(db):
    centre = make_provider(admdvs=NANCHANG, level="1", kind="township")
    for n in range(4):
        member = make_member(admdvs=NANCHANG, birth=date(1950, 3, 1 + n))
        make_signup(member=member, provider=centre, effective_from=date(2023, 1, 1))
        settle(member=member, provider=centre, visit_at=f"2024-0{n + 2}-10T09:00:00+08:00", eligible="300.00")
    return centre


def test_one_age_group_standard_moves_budget_and_band(nanchang_2024):
    # given the recorded 2024 year, when group 5's standard is 210 in one draft and 190 in another
    run = run_simulation(admdvs=NANCHANG, year=2024, drafts=[
        {"label": "组5 210", "values": {"age_groups": _groups("210")}},
        {"label": "组5 190", "values": {"age_groups": _groups("190")}}])

    # then the fund payments are unchanged and the capitation lines move band
    assert run.status == "done", run.error
    assert breakdown(run, "total")["all"] == [Decimal("720.00")] * 3
    assert breakdown(run, "provider")[nanchang_2024.fixmedins_code] == [Decimal("720.00")] * 3
    [line] = run.results["capitation"]["rows"]
    assert line["code"] == nanchang_2024.fixmedins_code
    assert line["members"] == [4, 4, 4]
    assert line["budget"] == ["904.00", "840.00", "760.00"]
    assert line["actual"] == ["720.00", "720.00", "720.00"]
    assert line["band"] == ["below_80", "80_to_90", "90_and_over"]
    assert line["determined"] == ["720.00", "780.00", "760.00"]
    assert run.baseline_matches is True


def test_a_resettled_member_at_the_yearly_cap_is_counted_at_the_cap(db):
    """第三十一条 (RULES.md Nanchang, resettled members): from 1 January after the registration's
    start, all the member's covered visits share a yearly cap equal to the age-group standard
    (born 1950: 74 in 2024, group 5, 226 a year; the draft: 210). Two visits of eligible 300 at the
    signed township centre, 60 %: baseline 180 then min(180, 226 − 180) = 46 → fund 226, at the cap;
    draft 180 then min(180, 210 − 180) = 30 → fund 210, at the cap. The cap depends on the member's
    registrations, so the count must read them as the decisions did."""
    # given a resettled member (registered 2023-05-01) whose 2024 visits reached the yearly cap
    centre = make_provider(admdvs=NANCHANG, level="1", kind="township")
    member = make_member(admdvs=NANCHANG, birth=date(1950, 3, 1))
    make_signup(member=member, provider=centre, effective_from=date(2023, 1, 1))
    make_registration(member=member, kind="resettled", dest_admdvs="440300", start_on=date(2023, 5, 1))
    first = settle(member=member, provider=centre, visit_at="2024-02-10T09:00:00+08:00", eligible="300.00")
    second = settle(member=member, provider=centre, visit_at="2024-03-10T09:00:00+08:00", eligible="300.00")
    assert (first.hifp_pay, second.hifp_pay) == (Decimal("180.00"), Decimal("46.00"))

    # when the year is replayed with group 5's standard at 210
    run = run_simulation(admdvs=NANCHANG, year=2024, drafts=[{"label": "组5 210",
                                                               "values": {"age_groups": _groups("210")}}])

    # then both columns pay up to the member's own yearly cap and count the member at it
    assert run.status == "done", run.error
    assert run.baseline_matches is True
    assert breakdown(run, "total")["all"] == [Decimal("226.00"), Decimal("210.00")]
    assert run.results["members"]["at_cap"] == [1, 1]
