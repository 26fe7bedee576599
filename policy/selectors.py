"""Read side of the policy data: which parameters are in force on a day."""
import threading
import time
from datetime import date

from policy.rules import REGIONS
from policy.rules.params import Params

from .models import ParameterSet

# Claims read the parameters on every visit; they change a few times a year. Each process keeps the
# region's sets for a short time (and drops them at once when this process saves a set), so another
# process sees a staff edit within CACHE_SECONDS at most.
CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, list[tuple[int, Params]]]] = {}
_lock = threading.Lock()


def parameter_cache_clear() -> None:
    with _lock:
        _cache.clear()


def _region_sets(admdvs: str) -> list[tuple[int, Params]]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(admdvs)
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    spec = REGIONS[admdvs].PARAMETERS
    sets = [
        (ps.pk, Params(spec, ps.values, version=ps.version, effective_from=ps.effective_from,
                       effective_to=ps.effective_to))
        for ps in ParameterSet.objects.filter(region_id=admdvs).order_by("effective_from")
    ]
    with _lock:
        _cache[admdvs] = (now, sets)
    return sets


def parameters_in_force(*, admdvs: str, day: date) -> tuple[int, Params] | None:
    """(ParameterSet id, Params) in force for the region on ``day``; None outside every period."""
    for pk, params in _region_sets(admdvs):
        if params.covers(day):
            return pk, params
    return None


def parameter_set_used_by_claims(*, parameter_set: ParameterSet) -> bool:
    """Whether any claim recorded this set as the version it was computed with."""
    return parameter_set.claims.exists()


def parameter_set_last_visit(*, parameter_set: ParameterSet) -> date | None:
    """The latest visit date settled with this set (None: no claim used it)."""
    return parameter_set.claims.order_by("-visit_date").values_list("visit_date", flat=True).first()
