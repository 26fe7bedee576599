"""A scenario's parameters as the settle step asks for them: ``(set id, Params) | None`` per day.

The baseline reads the region's stored parameter sets afresh (not policy.selectors' short cache),
the way the claims were settled: by the visit day. A draft is one ``Params`` built from the
scenario's own values, answered for every day of the period, with no set id (it is no set).
"""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

from policy.models import ParameterSet
from policy.rules import REGIONS
from policy.rules.params import Params, validate_values

from .models import Scenario


def draft_values_check(*, admdvs: str, values) -> None:
    """The region's own parameter validation (the one ``ParameterSet.clean`` runs), as a
    ValidationError naming each parameter."""
    problems = validate_values(REGIONS[admdvs].PARAMETERS, values)
    if problems:
        raise ValidationError({"values": [f"{name}: {message}" for name, message in problems]})


def stored_sets(admdvs: str) -> list[tuple[int, Params]]:
    spec = REGIONS[admdvs].PARAMETERS
    return [(ps.pk, Params(spec, ps.values, version=ps.version, effective_from=ps.effective_from,
                           effective_to=ps.effective_to))
            for ps in ParameterSet.objects.filter(region_id=admdvs).order_by("effective_from")]


def scenario_parameters(*, scenario: Scenario, admdvs: str, year: int, sets: list[tuple[int, Params]] | None = None):
    """The callable the ledger's ``parameters`` takes for ``scenario``."""
    if scenario.is_baseline:
        sets = stored_sets(admdvs) if sets is None else sets
        # The answer per day, looked up once (the settle step asks for every visit and scenario; a
        # year has 365 days and the sets do not change while this callable lives: one partition).
        answers: dict[date, tuple | None] = {}

        def in_force(*, admdvs: str, day: date):
            found = answers.get(day, answers)
            if found is answers:
                found = answers[day] = next(((pk, params) for pk, params in sets if params.covers(day)), None)
            return found
        return in_force
    based = scenario.based_on
    draft = Params(REGIONS[admdvs].PARAMETERS, scenario.values, version=f"测算方案 {scenario.label}",
                   effective_from=based.effective_from if based else date(year, 1, 1),
                   effective_to=based.effective_to if based else date(year, 12, 31))
    answer = (None, draft)
    return lambda *, admdvs, day: answer


def parameters_for_year_end(*, scenario: Scenario, admdvs: str, year: int) -> Params | None:
    """The parameters a year-end capitation settlement of ``year`` would price with under the
    scenario (the baseline: the set in force on 31 December, as budgets.services does)."""
    found = scenario_parameters(scenario=scenario, admdvs=admdvs, year=year)(admdvs=admdvs, day=date(year, 12, 31))
    return found[1] if found else None
