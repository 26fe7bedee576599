"""Warnings from indicators: thresholds just below / just above, and the peer percentile rule."""
from datetime import date
from decimal import Decimal

import pytest

from supervision.models import SupervisionSettings, Warning
from supervision.services import supervision_period_run
from tests.factories import make_member, make_provider
from tests.supervision.helpers import make_claim, needs_items

pytestmark = pytest.mark.django_db
FEB, MARCH = date(2024, 2, 1), date(2024, 3, 1)
NY = "411300"


def settings(**changes) -> SupervisionSettings:
    row = SupervisionSettings.objects.get(region_id=NY)
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


def kinds(provider) -> set[tuple[str, str]]:
    return set(Warning.objects.filter(provider=provider).values_list("kind", "indicator"))


@pytest.mark.parametrize("march_total, breached", [("130.00", False), ("130.01", True)])
def test_given_growth_against_previous_month_when_at_or_above_30_percent_then_warning_only_above(march_total, breached):
    # Given February 100.00, March 130.00 (growth 0.3000) or 130.01 (0.3001); threshold 0.30
    p, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    make_claim(member=m, provider=p, day=date(2024, 2, 10), total="100.00")
    make_claim(member=m, provider=p, day=date(2024, 3, 10), total=march_total)
    supervision_period_run(admdvs=NY, period=FEB)
    # When
    supervision_period_run(admdvs=NY, period=MARCH)
    # Then
    assert (("threshold", "growth_mom") in kinds(p)) is breached
    if breached:
        warning = Warning.objects.get(provider=p, indicator="growth_mom")
        assert warning.figures["value"] == "0.3001" and warning.figures["threshold"] == "0.3000"
        assert warning.figures["compared_medfee_sumamt"] == "100.00"
        assert warning.status == "open" and warning.events.get().action == "opened"


@pytest.mark.parametrize("march_total, breached", [("130.00", False), ("130.01", True)])
def test_given_growth_against_same_month_last_year_when_above_threshold_then_warning(march_total, breached):
    p, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    make_claim(member=m, provider=p, day=date(2023, 3, 10), total="100.00")
    make_claim(member=m, provider=p, day=date(2024, 3, 10), total=march_total)
    supervision_period_run(admdvs=NY, period=date(2023, 3, 1))
    supervision_period_run(admdvs=NY, period=MARCH)
    assert (("threshold", "growth_yoy") in kinds(p)) is breached


@pytest.mark.parametrize("ownpay, breached", [("20.00", False), ("20.01", True)])
def test_given_a_self_paid_ceiling_when_share_just_below_or_above_then_warning_only_above(ownpay, breached):
    settings(self_paid_share_max=Decimal("0.2000"))
    p = make_provider(admdvs=NY)
    make_claim(member=make_member(admdvs=NY), provider=p, day=date(2024, 3, 3), total="100.00", ownpay=ownpay)
    supervision_period_run(admdvs=NY, period=MARCH)
    assert (("threshold", "self_paid_share") in kinds(p)) is breached


@needs_items
@pytest.mark.parametrize("indicator, setting, items, breached", [
    ("exam_share", "exam_share_max", [("exam", "01", "25.00"), ("drug", "01", "75.00")], False),
    ("exam_share", "exam_share_max", [("exam", "01", "25.01"), ("drug", "01", "74.99")], True),
    ("out_of_catalogue_share", "out_of_catalogue_share_max", [("drug", "03", "25.00"), ("drug", "01", "75.00")], False),
    ("out_of_catalogue_share", "out_of_catalogue_share_max", [("drug", "03", "25.01"), ("drug", "02", "74.99")], True),
])
def test_given_item_share_ceilings_when_just_below_or_above_then_warning_only_above(indicator, setting, items,
                                                                                   breached):
    settings(**{setting: Decimal("0.2500")})
    p = make_provider(admdvs=NY)
    make_claim(member=make_member(admdvs=NY), provider=p, day=date(2024, 3, 3), total="100.00", items=items)
    supervision_period_run(admdvs=NY, period=MARCH)
    assert (("threshold", indicator) in kinds(p)) is breached


def _peers(level: str, totals: list[int]):
    providers = []
    for total in totals:
        p = make_provider(admdvs=NY, level=level)
        make_claim(member=make_member(admdvs=NY), provider=p, day=date(2024, 3, 4), total=f"{total}.00")
        providers.append(p)
    return providers


def test_given_ten_peers_when_one_is_above_the_90th_percentile_then_only_it_is_warned():
    # Given level-1 average costs 10, 20, ..., 100: nearest rank ceil(0.9 x 10) = 9 -> 90.00
    level1 = _peers("1", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    # and a level-2 provider far above them but with no peers of its level
    (lonely,) = _peers("2", [5000])
    # When
    supervision_period_run(admdvs=NY, period=MARCH)
    # Then only the 100.00 provider, on average cost only
    warned = Warning.objects.filter(kind="peer")
    assert [(w.provider_id, w.indicator) for w in warned] == [(level1[-1].pk, "avg_cost")]
    figures = warned.get().figures
    assert (figures["value"], figures["peer_value"], figures["peers"], figures["level"]) == ("100.00", "90.00", 10, "1")
    assert not kinds(lonely)


def test_given_a_lower_percentile_when_run_then_the_rank_moves_down():
    # Given p = 0.80: rank ceil(8) = 8 -> 80.00; 90 and 100 are above it
    settings(peer_percentile=Decimal("0.8000"))
    level1 = _peers("1", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    supervision_period_run(admdvs=NY, period=MARCH)
    assert set(Warning.objects.filter(kind="peer").values_list("provider_id", flat=True)) == {
        level1[-2].pk, level1[-1].pk}


def test_given_a_percentile_between_ranks_when_run_then_nearest_rank_rounds_up():
    # Given p = 0.85: rank ceil(8.5) = 9 -> 90.00; only 100 above
    settings(peer_percentile=Decimal("0.8500"))
    level1 = _peers("1", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    supervision_period_run(admdvs=NY, period=MARCH)
    assert list(Warning.objects.filter(kind="peer").values_list("provider_id", flat=True)) == [level1[-1].pk]


def test_given_fewer_peers_than_the_minimum_when_run_then_no_peer_warning():
    _peers("1", [10, 20, 30, 1000])               # 4 < min_peers 5
    supervision_period_run(admdvs=NY, period=MARCH)
    assert not Warning.objects.filter(kind="peer").exists()


def test_given_unrated_providers_when_compared_then_they_are_peers_of_level_1():
    # Given nine level-1 providers (10 ... 90) and an unrated one (9, treated as 1) at 100
    _peers("1", [10, 20, 30, 40, 50, 60, 70, 80, 90])
    (unrated,) = _peers("9", [100])
    supervision_period_run(admdvs=NY, period=MARCH)
    warning = Warning.objects.get(kind="peer")
    assert (warning.provider_id, warning.figures["peers"], warning.figures["level"]) == (unrated.pk, 10, "1")


def test_given_overlapping_settings_when_saved_then_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        SupervisionSettings.objects.create(region_id=NY, effective_from=date(2024, 1, 1), growth_threshold="0.2",
                                           peer_percentile="0.9", max_visits_per_day=2)
    # A later version after end-dating the current one is accepted and used from its start.
    settings(effective_to=date(2024, 2, 29))
    SupervisionSettings.objects.create(region_id=NY, effective_from=date(2024, 3, 1), growth_threshold="0.5",
                                       peer_percentile="0.9", max_visits_per_day=2)
    from supervision.selectors import supervision_settings_for

    assert supervision_settings_for(admdvs=NY, period=MARCH).growth_threshold == Decimal("0.5")
    assert supervision_settings_for(admdvs=NY, period=FEB).growth_threshold == Decimal("0.3")
