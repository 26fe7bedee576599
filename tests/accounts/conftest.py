"""Helpers for the personal-account tests: parameter edits and small builders."""
from datetime import date
from decimal import Decimal

import pytest

from policy.models import ParameterSet
from policy.selectors import parameter_cache_clear
from tests.factories import make_member, make_provider  # noqa: F401

NANYANG, ZIBO, GANZHOU, NANCHANG, HEYUAN = "411300", "370300", "360700", "360100", "441600"


@pytest.fixture(autouse=True)
def _fresh_parameter_cache():
    # The selector caches parameter sets per process; the test database rolls back under it.
    parameter_cache_clear()
    yield
    parameter_cache_clear()


def set_parameters(admdvs: str, day: date, **values) -> None:
    """Enter parameters (as staff would) into the set in force on ``day``."""
    ps = ParameterSet.objects.get(region_id=admdvs, effective_from__lte=day,
                                  effective_to__gte=day) if ParameterSet.objects.filter(
        region_id=admdvs, effective_from__lte=day, effective_to__gte=day).exists() else \
        ParameterSet.objects.get(region_id=admdvs, effective_from__lte=day, effective_to__isnull=True)
    ps.values = {**ps.values, **values}
    ps.save()
    parameter_cache_clear()


def employee(admdvs: str, *, base: str | None = "5000.00", **extra):
    return make_member(admdvs=admdvs, contribution_base=Decimal(base) if base else None, **extra)


def retiree(admdvs: str, *, birth: date = date(1958, 3, 1), retired_on: date = date(2018, 3, 1), **extra):
    return make_member(admdvs=admdvs, psn_type="1201", birth=birth, retired_on=retired_on, **extra)
