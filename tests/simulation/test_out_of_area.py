"""A visit made away from home replays as it was recorded: out_of_area is derived again from the
provider and the member's registrations (the recorded content says "none" when the clinic sent
nothing, which sent back would be refused as a disagreement).

Zibo 2024, employed, providers of Suzhou (no region of ours), RULES.md / Zibo 第六条:
- unregistered (temporary): 300 at L1 → first pay 10 % = 30; L1 deductible 50; (270 − 50) × 60 % = 132.00
- long-term registered, as local: 1 000 at L2 → L2 deductible 500; (1000 − 500) × 60 % = 300.00
"""
from datetime import date

import pytest

from tests.factories import make_member, make_provider, make_registration

from .helpers import breakdown, run_simulation, settle

ZIBO, SUZHOU = "370300", "320500"


@pytest.mark.django_db
def test_out_of_area_visits_replay_to_their_records():
    # given an unregistered and a long-term registered member, each with one visit in Suzhou
    clinic = make_provider(code="SZ-C1", admdvs=SUZHOU, level="1", kind="community")
    hospital = make_provider(code="SZ-H2", admdvs=SUZHOU, level="2", kind="hospital")
    unregistered = make_member(admdvs=ZIBO, psn_type="1101")
    long_term = make_member(admdvs=ZIBO, psn_type="1101")
    make_registration(member=long_term, kind="long_term", dest_admdvs=SUZHOU, start_on=date(2024, 1, 1))
    first = settle(member=unregistered, provider=clinic, visit_at="2024-02-03T10:00:00+08:00", eligible="300.00")
    second = settle(member=long_term, provider=hospital, visit_at="2024-03-05T10:00:00+08:00", eligible="1000.00")
    assert (first.out_of_area, first.hifp_pay, second.out_of_area, second.hifp_pay) == (
        "unregistered", 132, "long_term", 300)
    # when the year is replayed under the baseline and an unchanged draft
    run = run_simulation(admdvs=ZIBO, year=2024, drafts=[{"label": "same", "values": {}}])
    # then nothing is refused, the baseline equals the records, and both columns are 132 + 300
    assert run.status == "done", run.error
    assert run.baseline_matches is True and run.results["findings"] == 0
    assert breakdown(run, "total")["all"] == [432, 432]
