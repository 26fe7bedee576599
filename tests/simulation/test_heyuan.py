"""Heyuan 2024 with the capitation standard changed (RULES.md Heyuan; 经办规程 第十二条).

One township centre T (L1), two employed members who selected T on 2023-01-01 (24 member-months in 2024).
Each has one visit at T, eligible 80: 80 × 70% = 56 (per-visit cap 60): actual 112.
Capitation = standard ÷ 12 × member-months:
  baseline 320: 640; 112 < 0.8 × 640 → below_80, determined 112 + 0.2 × (640 − 112) = 217.60
  draft 60:     120; 96 ≤ 112 ≤ 120 → 80_to_100, determined 112 + 0.8 × (120 − 112) = 118.40
  draft 50:     100; 112 > 100 → over_100, determined 100.00
"""
from datetime import date

import pytest

from tests.factories import make_member, make_provider, make_signup

from .helpers import run_simulation, settle

HEYUAN = "441600"


@pytest.fixture
def heyuan_2024(db):
    centre = make_provider(admdvs=HEYUAN, level="1", kind="township")
    for n in range(2):
        member = make_member(admdvs=HEYUAN)
        make_signup(member=member, provider=centre, effective_from=date(2023, 1, 1))
        settle(member=member, provider=centre, visit_at=f"2024-0{n + 3}-01T09:00:00+08:00", eligible="80.00")
    return centre


def test_capitation_standard_moves_the_band(heyuan_2024):
    run = run_simulation(admdvs=HEYUAN, year=2024, drafts=[{"label": "60", "values": {"capitation_standard": "60"}},
                                                           {"label": "50", "values": {"capitation_standard": "50"}}])
    assert run.status == "done", run.error
    assert run.baseline_matches is True
    [line] = run.results["capitation"]["rows"]
    assert line["budget"] == ["640.00", "120.00", "100.00"]
    assert line["actual"] == ["112.00"] * 3
    assert line["band"] == ["below_80", "80_to_100", "over_100"]
    assert line["determined"] == ["217.60", "118.40", "100.00"]
