"""Zibo 2023 replayed under the 2024 figures (RULES.md Zibo; 淄政办发〔2022〕12号 第六条).

2023 in force: annual cap 3 000, ratios employed = retired = L1 60% / L2 60% / L3 50%; annual
deductible per level L1 50 / L2 500 / L3 700 (one accumulator per level).
Drafts: "cap 4000" (annual_cap 4000 only) and "2024" (cap 4000 and retired +5 points: 65/65/55).

Members and visits (eligible amount = total):
  A employed, L2: 03-01 3 000, 06-01 3 000, 09-01 2 000
     cap 3000: (3000−500)×0.6 = 1500; 3000×0.6 = 1800 → 1500 left → 1500; 1200 → 0 left → 0. Σ 3000, at cap
     cap 4000: 1500; 1800 (Σ 3300); 1200 → 700 left → 700.                               Σ 4000, at cap
  B retired (since 2015), L1: 04-10 1 050, 08-10 1 000
     60%: (1050−50)×0.60 = 600; 1000×0.60 = 600 → Σ 1200;  65%: 650 + 650 → Σ 1300
  C employed, L3: 05-05 900 → (900−700)×0.5 = 100 in every scenario; 07-01 1 700 reversed later
     (not an original non-reversed visit: not replayed)
  D employed, L1: 02-01 5 050 → (5050−50)×0.6 = 3000: at the 3 000 cap (at cap); under 4 000 not.
Totals: baseline 3000+1200+100+3000 = 7300; cap 4000: 4000+1200+100+3000 = 8300;
        2024: 4000+1300+100+3000 = 8400.
"""
from datetime import date
from decimal import Decimal

import pytest

from claims.services import claim_reverse
from tests.factories import make_member, make_provider

from .helpers import breakdown, run_simulation, settle

D = Decimal
ZIBO = "370300"


@pytest.fixture
def zibo_2023(db):
    l1, l2, l3 = (make_provider(admdvs=ZIBO, level=lv, kind="township" if lv == "1" else "hospital")
                  for lv in ("1", "2", "3"))
    a = make_member(admdvs=ZIBO)
    b = make_member(admdvs=ZIBO, retired_on=date(2015, 1, 1))
    c = make_member(admdvs=ZIBO)
    d = make_member(admdvs=ZIBO)
    settle(member=d, provider=l1, visit_at="2023-02-01T09:00:00+08:00", eligible="5050.00")
    settle(member=a, provider=l2, visit_at="2023-03-01T09:00:00+08:00", eligible="3000.00")
    settle(member=b, provider=l1, visit_at="2023-04-10T09:00:00+08:00", eligible="1050.00")
    settle(member=c, provider=l3, visit_at="2023-05-05T09:00:00+08:00", eligible="900.00")
    settle(member=a, provider=l2, visit_at="2023-06-01T09:00:00+08:00", eligible="3000.00")
    reversed_visit = settle(member=c, provider=l3, visit_at="2023-07-01T09:00:00+08:00", eligible="1700.00")
    settle(member=b, provider=l1, visit_at="2023-08-10T09:00:00+08:00", eligible="1000.00")
    settle(member=a, provider=l2, visit_at="2023-09-01T09:00:00+08:00", eligible="2000.00")
    claim_reverse(setl_id=reversed_visit.setl_id, by=None)
    return {"a": a, "b": b, "c": c, "d": d}


DRAFTS = [{"label": "cap 4000", "values": {"annual_cap": "4000"}},
          {"label": "2024", "values": {"annual_cap": "4000",
                                       "ratio_retired": {"1": "0.65", "2": "0.65", "3": "0.55"}}}]


def test_zibo_2023_under_the_2024_cap_and_retired_ratio(zibo_2023):
    # given the recorded 2023 year, when it is replayed with the baseline and the two drafts
    run = run_simulation(admdvs=ZIBO, year=2023, drafts=DRAFTS)

    # then the totals are the hand-computed ones (see the module docstring)
    assert run.status == "done", run.error
    assert run.visits == 7 and run.partitions_done == run.partitions_total == 1
    assert breakdown(run, "total")["all"] == [D("7300.00"), D("8300.00"), D("8400.00")]
    assert breakdown(run, "person_type") == {"employed": [D("6100.00"), D("7100.00"), D("7100.00")],
                                             "retired": [D("1200.00"), D("1200.00"), D("1300.00")]}
    assert breakdown(run, "level") == {"1": [D("4200.00"), D("4200.00"), D("4300.00")],
                                       "2": [D("3000.00"), D("4000.00"), D("4000.00")],
                                       "3": [D("100.00"), D("100.00"), D("100.00")]}
    # A's third visit (September): 0 at the 3 000 cap, 700 under 4 000
    assert breakdown(run, "month")["2023-09"] == [D("0.00"), D("700.00"), D("700.00")]
    members = run.results["members"]
    assert members["count"] == [4, 4, 4]
    assert members["at_cap"] == [2, 1, 1]          # A and D at 3 000; only A at 4 000
    # deciles (percentile_disc) of [100, 1200, 3000, 3000] and [100, 1300, 3000, 4000]
    assert members["deciles"][0][4] == "1200.00" and members["deciles"][2][4] == "1300.00"
    assert members["deciles"][0][8] == "3000.00" and members["deciles"][2][8] == "4000.00"
    # and the baseline reproduces the records to the fen (the reversed visit left out)
    assert run.baseline_matches is True and run.findings.count() == 0
    assert run.results["capitation"] is None                     # Zibo settles fee for service
