"""A small Nanchang world for the staff-experience tests: two districts, a provider and two members in
each, sign-ups, claims, a settlement run, and one user per role (plus a second-district clerk)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from budgets.models import SettlementRun
from claims.models import Accumulator, Claim
from members.certno import make_certno
from staff.roles import AUDITOR, CITY_ADMIN, CLAIMS_REVIEWER, DISTRICT_CLERK, SETTLEMENT_APPROVER
from tests.factories import make_member, make_provider, make_signup, make_staff

TZ = ZoneInfo("Asia/Shanghai")
NC, DISTRICT_A, DISTRICT_B = "360100", "360102", "360103"
_seq = itertools.count(1)


@dataclass
class World:
    provider_a: object
    provider_b: object
    members_a: list
    members_b: list
    claim_a: Claim
    claim_b: Claim
    run: SettlementRun
    users: dict

    @property
    def certnos(self) -> list[str]:
        return [m.certno for m in self.members_a + self.members_b]


def claim_row(*, member, provider, visit: date, fund: str, status: str = "settled") -> Claim:
    amount = Decimal(fund)
    return Claim.objects.create(
        setl_id=f"UI{next(_seq):08d}", admdvs_id=member.admdvs_id, district_id=member.district_id, member=member,
        provider=provider, charged_provider=provider, visit_at=datetime.combine(visit, time(9), tzinfo=TZ),
        visit_date=visit, medfee_sumamt=amount * 2, inscp_scp_amt=amount * 2, status=status, act_pay_dedc=0,
        pool_prop_selfpay=Decimal("0.6000"), hifp_pay=amount, psn_part_amt=amount,
        steps=[{"rule": "ratio", "amount": str(amount), "note": "60%"}])


def role_users() -> dict:
    return {
        "city_admin": make_staff(username="ui_city", admdvs=NC, groups=[CITY_ADMIN]),
        "clerk_a": make_staff(username="ui_clerk_a", admdvs=NC, districts=[DISTRICT_A], groups=[DISTRICT_CLERK]),
        "clerk_b": make_staff(username="ui_clerk_b", admdvs=NC, districts=[DISTRICT_B], groups=[DISTRICT_CLERK]),
        "reviewer": make_staff(username="ui_reviewer", admdvs=NC, groups=[CLAIMS_REVIEWER]),
        "approver": make_staff(username="ui_approver", admdvs=NC, groups=[SETTLEMENT_APPROVER]),
        "auditor": make_staff(username="ui_auditor", admdvs=NC, groups=[AUDITOR]),
    }


@pytest.fixture
def world(db) -> World:
    from budgets.services import settlement_run_compute

    provider_a = make_provider(admdvs=NC, district=DISTRICT_A, kind="township")
    provider_b = make_provider(admdvs=NC, district=DISTRICT_B, kind="community")
    members_a = [make_member(admdvs=NC, district=DISTRICT_A, name=f"甲{i}",
                             certno=make_certno(area=DISTRICT_A, birth=date(1960 + i, 3, 4), sequence=100 + i))
                 for i in range(2)]
    members_b = [make_member(admdvs=NC, district=DISTRICT_B, name=f"乙{i}",
                             certno=make_certno(area=DISTRICT_B, birth=date(1970 + i, 5, 6), sequence=200 + i))
                 for i in range(2)]
    for member in members_a:
        make_signup(member=member, provider=provider_a, effective_from=date(2024, 1, 1))
    for member in members_b:
        make_signup(member=member, provider=provider_b, effective_from=date(2024, 1, 1))
    claim_a = claim_row(member=members_a[0], provider=provider_a, visit=date(2024, 3, 5), fund="30.00")
    claim_b = claim_row(member=members_b[0], provider=provider_b, visit=date(2024, 3, 6), fund="40.00")
    for claim in (claim_a, claim_b):
        Accumulator.objects.create(member=claim.member, year=2024, fund_paid=claim.hifp_pay)
    users = role_users()
    # computed by the city administrator, so the approver (a second person) may approve it
    run = settlement_run_compute(admdvs=NC, kind="monthly", period="2024-03", by=users["city_admin"])
    return World(provider_a, provider_b, members_a, members_b, claim_a, claim_b, run, users)
