"""Nanyang's 24-hour deductible window across 1 January through the claims service (RULES.md "Nanyang":
visits to the same provider within 24 hours count one deductible; a window is not a year-to-date
accumulator, so a window opened on 31 December covers 1 January).

An L2 hospital: standard 30 a window, employed 55%. 31 December 23:00, 10.00 eligible: deductible 10,
fund 0 (the window opened, 20 left of it). 1 January 01:00, 100.00 eligible: deductible 20,
(100 − 20) × 0.55 = 44.00.
"""
from decimal import Decimal

import pytest

from claims.models import Accumulator
from claims.services import claim_reverse, claim_settle, claims_settle_batch
from tests.claims.helpers import request_for
from tests.claims.invariants import accumulated, deltas_sum
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db
NANYANG, ZIBO = "411300", "370300"
D = Decimal


def _pair(member, hospital):
    return [request_for(member=member, provider=hospital, visit_at="2024-12-31T23:00:00+08:00", inscp="10.00"),
            request_for(member=member, provider=hospital, visit_at="2025-01-01T01:00:00+08:00", inscp="100.00")]


def _paid(claim):
    return claim.act_pay_dedc, claim.hifp_pay


def test_one_by_one_the_1_january_visit_owes_what_is_left_of_the_window(city_admin):
    # given a window opened at 23:00 on 31 December by a visit charged 10
    hospital, member = make_provider(admdvs=NANYANG, level="2", kind="hospital"), make_member(admdvs=NANYANG)
    late, early = _pair(member, hospital)
    opening = claim_settle(request=late, by=city_admin)[0]
    # when the member comes back at 01:00 on 1 January
    crossing = claim_settle(request=early, by=city_admin)[0]
    # then 20 is left of the window's 30: (100 − 20) × 0.55 = 44.00
    assert _paid(opening) == (D("10.00"), D("0.00"))
    assert _paid(crossing) == (D("20.00"), D("44.00"))
    window = f"window:{hospital.fixmedins_code}:2024-12-31T23:00:00+08:00"
    # the claim records the window it saw from the previous year; each year's row holds its own charge,
    # the 1 January one as the window's entry at its own time
    entry = f"{window}@2025-01-01T01:00:00+08:00"
    assert crossing.inputs["ytd_carried"] == {window: "10.00"}
    assert "ytd_carried" not in opening.inputs
    assert crossing.deltas == {"fund": "44.00", entry: "20.00"}
    assert accumulated(member) == deltas_sum(member) == {
        (2024, window): D("10.00"), (2025, entry): D("20.00"), (2025, "fund"): D("44.00")}


def test_a_file_with_both_visits_decides_as_one_by_one(city_admin):
    hospital = make_provider(admdvs=NANYANG, level="2", kind="hospital")
    member = make_member(admdvs=NANYANG)
    # when both visits come in one set (given in reverse order), the 31 December one moved in memory
    outcomes = claims_settle_batch(requests=list(reversed(_pair(member, hospital))), by=city_admin)
    # then the same amounts as one by one
    claims = sorted((o.claim for o in outcomes), key=lambda c: c.visit_at)
    assert [_paid(c) for c in claims] == [(D("10.00"), D("0.00")), (D("20.00"), D("44.00"))]
    assert accumulated(member) == deltas_sum(member)


def test_reversing_the_1_january_visit_restores_2025_only(city_admin):
    hospital, member = make_provider(admdvs=NANYANG, level="2", kind="hospital"), make_member(admdvs=NANYANG)
    late, early = _pair(member, hospital)
    claim_settle(request=late, by=city_admin)
    crossing = claim_settle(request=early, by=city_admin)[0]
    # when the 1 January visit is reversed
    claim_reverse(setl_id=crossing.setl_id, by=city_admin)
    # then 2025 is back to nothing, 2024 keeps the window's 10
    window = f"window:{hospital.fixmedins_code}:2024-12-31T23:00:00+08:00"
    assert accumulated(member) == deltas_sum(member) == {(2024, window): D("10.00")}
    # and a visit at 02:00 owes the 20 left again
    again = claim_settle(request=request_for(member=member, provider=hospital,
                                             visit_at="2025-01-01T02:00:00+08:00", inscp="100.00"), by=city_admin)[0]
    assert _paid(again) == (D("20.00"), D("44.00"))


@pytest.mark.parametrize("admdvs", [NANYANG, ZIBO])
def test_no_previous_year_row_is_created_for_a_january_visit(admdvs, city_admin):
    # given a member with no claim in 2024
    provider, member = make_provider(admdvs=admdvs, level="2", kind="hospital"), make_member(admdvs=admdvs)
    # when they visit on 1 January 2025
    claim = claim_settle(request=request_for(member=member, provider=provider,
                                             visit_at="2025-01-01T01:00:00+08:00", inscp="100.00"), by=city_admin)[0]
    # then only the 2025 row exists, and nothing was carried
    assert list(Accumulator.objects.filter(member=member).values_list("year", flat=True)) == [2025]
    assert "ytd_carried" not in claim.inputs
