"""Test-only builders for settlement tests: claim rows inserted directly (the claims service is
exercised end to end in test_end_to_end.py), and API helpers."""
import itertools
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from claims.models import Claim
from tests.factories import make_member, make_provider, make_signup, make_staff  # noqa: F401

_seq = itertools.count(1)
TZ = ZoneInfo("Asia/Shanghai")


def make_claim(*, member, charged, visit: date, hifp_pay, provider=None, status="settled", reverses=None,
               out_of_area="none", medfee=None, emergency=False) -> Claim:
    """``medfee`` defaults to twice the fund payment (negative on a reversal row, like the service's)."""
    amount = Decimal(str(hifp_pay))
    provider = provider or charged
    medfee = Decimal(str(medfee)) if medfee is not None else abs(amount) * 2
    return Claim.objects.create(
        setl_id=f"T{next(_seq):010d}", admdvs_id=member.admdvs_id, district_id=member.district_id, member=member,
        provider=provider, charged_provider=charged, visit_at=datetime.combine(visit, time(9), tzinfo=TZ),
        visit_date=visit, medfee_sumamt=medfee, inscp_scp_amt=abs(medfee), status=status,
        act_pay_dedc=0, pool_prop_selfpay=Decimal("0.6000"), hifp_pay=amount, psn_part_amt=abs(amount),
        out_of_area=out_of_area, reverses=reverses, emergency=emergency)


def reverse_claim(claim: Claim) -> Claim:
    return make_claim(member=claim.member, charged=claim.charged_provider, provider=claim.provider,
                      visit=claim.visit_date, hifp_pay=-claim.hifp_pay, status="reversal", reverses=claim,
                      medfee=-claim.medfee_sumamt, out_of_area=claim.out_of_area, emergency=claim.emergency)


def members_signed(*, n: int, provider, birth: date, since: date, admdvs: str = "360100") -> list:
    out = []
    for _ in range(n):
        member = make_member(admdvs=admdvs, birth=birth)
        make_signup(member=member, provider=provider, effective_from=since)
        out.append(member)
    return out


def post_run(client, admdvs: str, kind: str, period: str):
    return client.post("/api/v1/settlement-runs/", {"admdvs": admdvs, "kind": kind, "period": period}, format="json")


def lines_by_code(client, run_id: int) -> dict:
    response = client.get(f"/api/v1/settlement-runs/{run_id}/lines/")
    assert response.status_code == 200, response.content
    return {line["fixmedins_code"]: line for line in response.json()}


def approver():
    return make_staff(all_regions=True, perms=["budgets.approve_settlement"])


def approve_as_second_person(client, run_id: int):
    """Approve through the API as another approver than the one who computed the run."""
    previous = client.user
    client.force_authenticate(approver())
    try:
        return client.post(f"/api/v1/settlement-runs/{run_id}/approve/")
    finally:
        client.force_authenticate(previous)
