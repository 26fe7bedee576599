"""Approval of settlement runs (issue 20, point 5), at the service: one four-eyes rule for every kind
(the person who computed a run may not approve it; a scheduled run, computed by nobody, may be
approved by any approver), and a run made stale by a claim or reversal recorded after it was
computed is refused with the message to recompute — until it is recomputed."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from budgets.models import SettlementRun
from budgets.selectors import settlement_run_stale_claims, settlement_runs_with_staleness
from budgets.services import settlement_run_approve, settlement_run_compute
from claims.models import Claim
from config.errors import Conflict
from tests.budgets.helpers import make_claim, make_member, make_provider, make_signup, make_staff, reverse_claim

pytestmark = pytest.mark.django_db

NC, NY = "360100", "411300"


def approver(admdvs: str):
    return make_staff(admdvs=admdvs, perms=["budgets.approve_settlement", "budgets.add_settlementrun"])


@pytest.fixture
def nanchang_march():
    """One Nanchang clinic, one member born 1954 (quota 226 ÷ 12 = 18.83 a month) with one March
    visit paid 30.00 by the fund."""
    provider = make_provider(code="APR-NC", admdvs=NC)
    member = make_member(birth=date(1954, 1, 1))
    make_signup(member=member, provider=provider, effective_from=date(2022, 1, 1))
    claim = make_claim(member=member, charged=provider, visit=date(2024, 3, 7), hifp_pay="30.00")
    return provider, member, claim


@pytest.fixture
def nanyang_march():
    provider = make_provider(code="APR-NY", admdvs=NY, district="411302")
    member = make_member(admdvs=NY, district="411302", birth=date(1960, 1, 1))
    make_claim(member=member, charged=provider, visit=date(2024, 3, 4), hifp_pay="38.50")
    return provider, member


@pytest.mark.parametrize("admdvs, kind, period", [(NC, "monthly", "2024-03"), (NC, "year_end", "2024"),
                                                  (NY, "fee_for_service", "2024-03")])
def test_given_run_computed_by_a_person_when_same_person_approves_then_refused_in_chinese_and_still_draft(
        admdvs, kind, period, nanchang_march, nanyang_march):
    # given a run computed by one approver
    same = approver(admdvs)
    run = settlement_run_compute(admdvs=admdvs, kind=kind, period=period, by=same)

    # when the same person approves it
    with pytest.raises(PermissionDenied) as refused:
        settlement_run_approve(run=run, by=same)

    # then it is refused, in Chinese, and the run is untouched; a second person may approve it
    assert "计算人以外的另一人审核" in str(refused.value)
    assert SettlementRun.objects.get(pk=run.pk).status == "draft"
    assert settlement_run_approve(run=run, by=approver(admdvs)).status == "approved"


def test_given_scheduled_run_without_computing_person_when_approver_approves_then_approved(nanchang_march):
    run = settlement_run_compute(admdvs=NC, kind="monthly", period="2024-03")      # the beat: by nobody

    approved = settlement_run_approve(run=run, by=approver(NC))

    assert approved.status == "approved" and approved.computed_by is None


def test_given_reversal_recorded_after_compute_when_approving_then_stale_refused_until_recomputed(nanchang_march):
    provider, member, claim = nanchang_march
    computer, second = approver(NC), approver(NC)
    run = settlement_run_compute(admdvs=NC, kind="monthly", period="2024-03", by=computer)
    assert run.totals["actual"] == "30.00" and settlement_run_stale_claims(run=run) == 0

    # given the March visit reversed after the run was computed
    reverse_claim(claim)

    # then the run knows it is stale (alone and in a list), and approval is refused with "recompute"
    assert settlement_run_stale_claims(run=run) == 1 and run.is_stale
    assert settlement_runs_with_staleness(SettlementRun.objects.filter(pk=run.pk)).get().later_claims is True
    with pytest.raises(Conflict) as refused:
        settlement_run_approve(run=run, by=second)
    assert refused.value.code == "run_stale" and "重新计算" in refused.value.message
    assert SettlementRun.objects.get(pk=run.pk).status == "draft"
    assert not Claim.objects.filter(monthly_run_id=run.pk).exists()              # nothing stamped

    # when recomputed: actual 30.00 − 30.00 = 0.00, no longer stale, and the second person approves
    run = settlement_run_compute(admdvs=NC, kind="monthly", period="2024-03", by=computer)
    assert run.totals["actual"] == "0.00" and settlement_run_stale_claims(run=run) == 0
    assert settlement_run_approve(run=run, by=second).status == "approved"
    assert Claim.objects.filter(monthly_run_id=run.pk).count() == 2               # the visit and its reversal


def test_given_claims_of_other_months_or_regions_after_compute_then_run_not_stale(nanchang_march, nanyang_march):
    provider, member, _ = nanchang_march
    run = settlement_run_compute(admdvs=NC, kind="monthly", period="2024-03", by=approver(NC))

    make_claim(member=member, charged=provider, visit=date(2024, 4, 2), hifp_pay="10.00")   # April
    ny_provider, ny_member = nanyang_march
    make_claim(member=ny_member, charged=ny_provider, visit=date(2024, 3, 9), hifp_pay="5.00")  # Nanyang
    make_claim(member=member, charged=provider, visit=date(2024, 3, 9), hifp_pay="0.00", status="not_covered")

    assert settlement_run_stale_claims(run=run) == 0
    assert settlement_run_approve(run=run, by=approver(NC)).status == "approved"
