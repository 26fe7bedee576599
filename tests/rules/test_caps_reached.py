"""``policy.rules.caps_reached``: the simulation's "members at the cap" answer, without the display view.
It must say exactly what the region's ``year_to_date`` view says (cap_left == 0, a sub-cap's left == 0)."""
from datetime import date

import pytest

from policy import rules
from policy.rules.common import YearToDate

from .support import D, member, params_on, provider, signup

DAY = date(2024, 6, 1)
REGION_CODES = ["411300", "370300", "360700", "360100", "441600"]
# Bucket states around each region's caps: empty, a cent below, at and beyond 1 500 (Nanyang), 2 000
# (Ganzhou), 4 000 (Zibo 2024), Heyuan's 1 800; Ganzhou's two-disease sub-caps 500 / 600 at and below.
STATES = [
    {},
    {"fund": D("1499.99")}, {"fund": D("1500.00")}, {"fund": D("1999.99")}, {"fund": D("2000.00")},
    {"fund": D("1800.00")}, {"fund": D("3999.99")}, {"fund": D("4000.00")}, {"fund": D("4000.01")},
    {"fund": D("600"), "subcap:hypertension": D("499.99")}, {"fund": D("600"), "subcap:hypertension": D("500")},
    {"fund": D("600"), "subcap:diabetes": D("600.00")}, {"deductible:2": D("500"), "special": D("80")},
]


def _signup_for(admdvs):
    # Heyuan's cap is the selected provider's year (first selected 2023: the full 1 800); Nanchang signs up too.
    if admdvs in ("360100", "441600"):
        return signup(provider("C1", "1", kind="township", admdvs=admdvs), first_effective_on=date(2023, 1, 1))
    return None


@pytest.mark.parametrize("admdvs", REGION_CODES)
@pytest.mark.parametrize("person_type", ["employed", "retired"])
def test_caps_reached_says_what_the_year_to_date_view_says(admdvs, person_type):
    # given the region's parameters in force in June 2024 and each bucket state
    params, facts, chosen = params_on(admdvs, DAY), member(person_type), _signup_for(admdvs)
    for buckets in STATES:
        # when the caps are asked both ways
        view = rules.year_to_date(admdvs, params=params, member=facts, signup=chosen, ytd=YearToDate(2024, buckets))
        answer = rules.caps_reached(admdvs, params=params, member=facts, signup=chosen, year=2024, buckets=buckets)
        # then the answers agree
        expected = (view.annual_cap is not None and view.cap_left == 0,
                    any(use.left == 0 for use in view.subcaps.values()))
        assert answer == expected, (admdvs, person_type, buckets)


def test_caps_reached_by_hand():
    zibo, ganzhou = params_on("370300", DAY), params_on("360700", DAY)
    # Zibo 2024 cap 4 000 (RULES.md): 3 999.99 paid leaves 0.01; 4 000.00 leaves 0
    assert rules.caps_reached("370300", params=zibo, member=member(), signup=None, year=2024,
                              buckets={"fund": D("3999.99")}) == (False, False)
    assert rules.caps_reached("370300", params=zibo, member=member(), signup=None, year=2024,
                              buckets={"fund": D("4000.00")}) == (True, False)
    # Ganzhou: hypertension sub-cap 500: 500 used is reached, 499.99 not; the annual cap 2 000 untouched
    assert rules.caps_reached("360700", params=ganzhou, member=member(), signup=None, year=2024,
                              buckets={"fund": D("500"), "subcap:hypertension": D("500")}) == (False, True)
    assert rules.caps_reached("360700", params=ganzhou, member=member(), signup=None, year=2024,
                              buckets={"fund": D("499.99"), "subcap:hypertension": D("499.99")}) == (False, False)
