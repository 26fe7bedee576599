"""Re-running a month refreshes the growth figures that compare with it (the month after, the same
month next year), hand-computed."""
from datetime import date
from decimal import Decimal

import pytest

from supervision.models import ProviderIndicator
from supervision.services.indicators import indicators_compute, indicators_growth_refresh
from tests.factories import make_member, make_provider
from tests.supervision.helpers import make_claim, reverse_claim

pytestmark = pytest.mark.django_db
NY = "411300"
FEB, MAR, FEB_NEXT_YEAR = date(2024, 2, 1), date(2024, 3, 1), date(2025, 2, 1)


def row(provider, period):
    return ProviderIndicator.objects.get(provider=provider, period=period)


def test_given_later_months_computed_when_an_earlier_month_is_rerun_then_their_growth_follows_it():
    # Given  A: Feb 2024 100.00, Mar 2024 150.00, Feb 2025 120.00;  B: Feb 2024 50.00, Mar 2024 40.00
    a, b = make_provider(admdvs=NY), make_provider(admdvs=NY)
    m = make_member(admdvs=NY)
    make_claim(member=m, provider=a, day=date(2024, 2, 10), total="100.00")
    b_february = make_claim(member=m, provider=b, day=date(2024, 2, 11), total="50.00")
    make_claim(member=m, provider=a, day=date(2024, 3, 10), total="150.00")
    make_claim(member=m, provider=b, day=date(2024, 3, 11), total="40.00")
    make_claim(member=m, provider=a, day=date(2025, 2, 10), total="120.00")
    for period in (FEB, MAR, FEB_NEXT_YEAR):
        indicators_compute(admdvs=NY, period=period)
    assert row(a, MAR).growth_mom == Decimal("0.5000")            # (150 - 100) / 100
    assert row(b, MAR).growth_mom == Decimal("-0.2000")           # (40 - 50) / 50
    assert row(a, FEB_NEXT_YEAR).growth_yoy == Decimal("0.2000")  # (120 - 100) / 100
    # When  a late February claim of 25.00 at A arrives, B's February claim is reversed, February re-run
    make_claim(member=m, provider=a, day=date(2024, 2, 20), total="25.00")
    reverse_claim(b_february)
    indicators_compute(admdvs=NY, period=FEB)
    # Then  A's February is 125.00 and B has no February row any more
    assert row(a, FEB).medfee_sumamt == Decimal("125.00")
    assert not ProviderIndicator.objects.filter(provider=b, period=FEB).exists()
    assert row(a, MAR).growth_mom == Decimal("0.2000")            # (150 - 125) / 125
    assert row(b, MAR).growth_mom is None                         # nothing to compare with
    assert row(a, FEB_NEXT_YEAR).growth_yoy == Decimal("-0.0400")  # (120 - 125) / 125
    # and only the growth figures moved: March's own figures and last year's comparison are untouched
    assert (row(a, MAR).medfee_sumamt, row(a, MAR).visits, row(a, MAR).growth_yoy) == (Decimal("150.00"), 1, None)
    assert row(a, FEB_NEXT_YEAR).growth_mom is None              # January 2025 has no row


def test_given_growth_already_refreshed_when_refreshed_again_then_nothing_changes():
    # Given  A: Feb 2024 80.00, Mar 2024 100.00, computed in that order
    a, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    make_claim(member=m, provider=a, day=date(2024, 2, 5), total="80.00")
    make_claim(member=m, provider=a, day=date(2024, 3, 5), total="100.00")
    indicators_compute(admdvs=NY, period=FEB)
    indicators_compute(admdvs=NY, period=MAR)
    # When / Then  the figure is already (100 - 80) / 80 = 0.25: a refresh has nothing to change
    assert indicators_growth_refresh(admdvs=NY, period=FEB) == 0
    assert row(a, MAR).growth_mom == Decimal("0.2500")


def test_given_a_month_computed_before_the_one_it_compares_with_when_that_one_is_computed_then_growth_appears():
    # Given  March 2024 (60.00) computed while February (48.00) was not: no growth figure yet
    a, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    make_claim(member=m, provider=a, day=date(2024, 2, 5), total="48.00")
    make_claim(member=m, provider=a, day=date(2024, 3, 5), total="60.00")
    indicators_compute(admdvs=NY, period=MAR)
    assert row(a, MAR).growth_mom is None
    # When
    indicators_compute(admdvs=NY, period=FEB)
    # Then  (60 - 48) / 48 = 0.25
    assert row(a, MAR).growth_mom == Decimal("0.2500")


def test_given_a_growth_warning_when_the_month_before_is_rerun_then_the_warning_follows():
    # Given  February 100.00 and March 131.00 at A, both run: growth (131 - 100) / 100 = 0.31 > 0.30 opens
    # a warning on March
    from supervision.models import Warning
    from supervision.services import supervision_period_run

    a, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    make_claim(member=m, provider=a, day=date(2024, 2, 10), total="100.00")
    make_claim(member=m, provider=a, day=date(2024, 3, 10), total="131.00")
    supervision_period_run(admdvs=NY, period=FEB)
    supervision_period_run(admdvs=NY, period=MAR)
    warning = Warning.objects.get(provider=a, period=MAR, indicator="growth_mom")
    assert warning.figures["value"] == "0.3100" and warning.reproduced
    # When  a late February claim of 10.00 arrives and February is run again
    make_claim(member=m, provider=a, day=date(2024, 2, 20), total="10.00")
    result = supervision_period_run(admdvs=NY, period=FEB)
    # Then  March's growth is (131 - 110) / 110 = 0.1909, under the threshold: the warning is marked as
    # no longer reproduced (status and owner untouched), and the run says so for March
    warning.refresh_from_db()
    assert row(a, MAR).growth_mom == Decimal("0.1909")
    assert not warning.reproduced and warning.status == "open"
    assert result["later_months_warnings"]["2024-03"]["not_reproduced"] == 1
    # and February 2025, never run, got no detection
    assert "2025-02" not in result["later_months_warnings"]
