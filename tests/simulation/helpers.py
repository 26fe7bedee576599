"""Builders for the simulation tests: visits recorded through the real claims service (so the
records are what the engine decided), then a run created and executed eagerly."""
from __future__ import annotations

from decimal import Decimal

from claims.requests import claim_request_parse
from claims.services import claim_settle
from simulation.models import SimulationRun
from simulation.services import simulation_run_create
from simulation.tasks import simulation_run_task


def settle(*, member, provider, visit_at: str, eligible: str, **extra):
    """Record one visit (eligible amount only, no self-paid parts) with the claims service."""
    body = {"certno": member.certno, "admdvs": member.admdvs_id, "fixmedins_code": provider.fixmedins_code,
            "visit_at": visit_at, "medfee_sumamt": eligible, "inscp_scp_amt": eligible, **extra}
    claim, _ = claim_settle(request=claim_request_parse(body), by=None)
    return claim


def run_simulation(*, admdvs: str, year: int, drafts: list[dict]) -> SimulationRun:
    run = simulation_run_create(admdvs=admdvs, year=year, drafts=drafts)
    simulation_run_task.delay(run.pk)
    return SimulationRun.objects.get(pk=run.pk)


def breakdown(run: SimulationRun, name: str) -> dict[str, list[Decimal]]:
    """key -> fund payment per scenario column (baseline first)."""
    table = next(b for b in run.results["breakdowns"] if b["name"] == name)
    return {row["key"]: [Decimal(v) for v in row["fund_pay"]] for row in table["rows"]}
