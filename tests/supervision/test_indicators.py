"""Monthly indicators per provider, hand-computed on a small month of claims."""
from datetime import date
from decimal import Decimal

import pytest

from supervision.models import ProviderIndicator
from supervision.services import supervision_period_run
from supervision.services.indicators import indicators_compute
from tests.factories import make_member, make_provider
from tests.supervision.helpers import make_claim, needs_items, reverse_claim

pytestmark = pytest.mark.django_db
MARCH = date(2024, 3, 1)
NY = "411300"


@pytest.fixture
def month():
    """Provider A (level 1) in March 2024:
        m1 03-05 total 100.00 fund 50.00, self-paid 10 + 5 + 5   items exam/01 40, drug/01 30, material/03 30
        m1 03-06 total  50.00 fund 30.00                         items exam/02 10, treatment/03 40
        m2 03-07 total  30.01 fund 18.00, self-paid 3            (no fee details)
        m3 03-08 total 500.00 fund 300.00  -> reversed (same day): neither row counts
        m2 03-20 total  40.00 fund 20.00   -> reversed by a row dated 04-02: neither counts anywhere
        m2 02-28 total  80.00 and m4 04-01 total 70.00: other months
        m1 at provider B 03-05 total 10.00 fund 6.00
    """
    a = make_provider(code="A", admdvs=NY, level="1")
    b = make_provider(code="B", admdvs=NY, level="2")
    m1, m2, m3, m4 = (make_member(admdvs=NY) for _ in range(4))
    make_claim(member=m1, provider=a, day=date(2024, 3, 5), total="100.00", fund="50.00", ownpay="10.00",
               overlmt="5.00", preself="5.00", items=[("exam", "01", "40.00"), ("drug", "01", "30.00"),
                                                     ("material", "03", "30.00")])
    make_claim(member=m1, provider=a, day=date(2024, 3, 6), total="50.00", fund="30.00",
               items=[("exam", "02", "10.00"), ("treatment", "03", "40.00")])
    make_claim(member=m2, provider=a, day=date(2024, 3, 7), total="30.01", fund="18.00", ownpay="3.00")
    reverse_claim(make_claim(member=m3, provider=a, day=date(2024, 3, 8), total="500.00", fund="300.00",
                             items=[("exam", "01", "500.00")]))
    late = make_claim(member=m2, provider=a, day=date(2024, 3, 20), total="40.00", fund="20.00")
    reversal = reverse_claim(late)
    type(reversal).objects.filter(pk=reversal.pk).update(visit_date=date(2024, 4, 2))
    make_claim(member=m2, provider=a, day=date(2024, 2, 28), total="80.00", fund="40.00")
    make_claim(member=m4, provider=a, day=date(2024, 4, 1), total="70.00", fund="40.00")
    make_claim(member=m1, provider=b, day=date(2024, 3, 5), total="10.00", fund="6.00")
    return a, b


def test_given_a_month_with_reversals_when_computed_then_figures_match_hand_computation(month):
    a, b = month
    # When
    assert indicators_compute(admdvs=NY, period=MARCH) == 2
    # Then
    row = ProviderIndicator.objects.get(provider=a, period=MARCH)
    assert (row.visits, row.members) == (3, 2)
    assert row.medfee_sumamt == Decimal("180.01")
    assert row.selfpaid_amt == Decimal("23.00")
    assert row.hifp_pay == Decimal("98.00")
    assert row.avg_cost == Decimal("60.00")              # 180.01 / 3 = 60.0033
    assert row.fund_per_member == Decimal("49.00")       # 98.00 / 2
    assert row.visits_per_member == Decimal("1.5000")
    assert row.self_paid_share == Decimal("0.1278")      # 23 / 180.01 = 0.12777
    assert row.level == "1" and row.district_id == a.district_id
    assert row.growth_mom is None and row.growth_yoy is None
    other = ProviderIndicator.objects.get(provider=b, period=MARCH)
    assert (other.visits, other.members, other.medfee_sumamt, other.level) == (1, 1, Decimal("10.00"), "2")


@needs_items
def test_given_fee_details_when_computed_then_exam_and_out_of_catalogue_shares_use_item_total(month):
    a, _ = month
    indicators_compute(admdvs=NY, period=MARCH)
    row = ProviderIndicator.objects.get(provider=a, period=MARCH)
    assert row.item_amt == Decimal("150.00")             # the reversed claim's 500 exam does not count
    assert row.exam_amt == Decimal("50.00")
    assert row.out_of_catalogue_amt == Decimal("70.00")
    assert row.exam_share == Decimal("0.3333")           # 50 / 150
    assert row.out_of_catalogue_share == Decimal("0.4667")  # 70 / 150


def test_given_earlier_months_when_computed_then_growth_against_previous_month_and_last_year(month):
    a, _ = month
    m = make_member(admdvs=NY)
    make_claim(member=m, provider=a, day=date(2023, 3, 15), total="200.00")
    indicators_compute(admdvs=NY, period=date(2023, 3, 1))
    indicators_compute(admdvs=NY, period=date(2024, 2, 1))   # February: 80.00
    indicators_compute(admdvs=NY, period=MARCH)
    row = ProviderIndicator.objects.get(provider=a, period=MARCH)
    assert row.growth_mom == Decimal("1.2501")           # (180.01 - 80) / 80 = 1.250125
    assert row.growth_yoy == Decimal("-0.1000")          # (180.01 - 200) / 200 = -0.09995, half-up


def test_given_a_computed_month_when_recomputed_then_rows_are_replaced_not_added(month):
    a, _ = month
    supervision_period_run(admdvs=NY, period=MARCH)
    # Given a late reversal of the 30.01 visit
    from claims.models import Claim

    reverse_claim(Claim.objects.get(provider=a, medfee_sumamt=Decimal("30.01")))
    # When
    supervision_period_run(admdvs=NY, period=MARCH)
    supervision_period_run(admdvs=NY, period=MARCH)
    # Then
    assert ProviderIndicator.objects.filter(period=MARCH).count() == 2
    row = ProviderIndicator.objects.get(provider=a, period=MARCH)
    assert (row.visits, row.members, row.medfee_sumamt) == (2, 1, Decimal("150.00"))


def test_given_only_reversed_visits_when_computed_then_no_row():
    p = make_provider(admdvs=NY)
    reverse_claim(make_claim(member=make_member(admdvs=NY), provider=p, day=date(2024, 3, 2), total="9.00"))
    assert indicators_compute(admdvs=NY, period=MARCH) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_given_no_open_transaction_when_computed_then_one_snapshot_and_same_figures():
    # Given (outside any test transaction: month_snapshot opens its own)
    p = make_provider(admdvs=NY)
    m = make_member(admdvs=NY)
    for hour in (8, 9, 10):
        make_claim(member=m, provider=p, day=date(2024, 3, 2), total="10.00", hour=hour)
    # When
    assert indicators_compute(admdvs=NY, period=MARCH) == 1
    # Then
    row = ProviderIndicator.objects.get(provider=p)
    assert (row.visits, row.members, row.repeat_visit_days, row.medfee_sumamt) == (3, 1, 1, Decimal("30.00"))


def test_given_no_supervision_settings_when_computed_then_repeat_days_unknown_and_no_warnings():
    from supervision.models import SupervisionSettings

    SupervisionSettings.objects.filter(region_id=NY).delete()
    p, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    for hour in (8, 9, 10):
        make_claim(member=m, provider=p, day=date(2024, 3, 2), total="10.00", hour=hour)
    result = supervision_period_run(admdvs=NY, period=MARCH)
    assert ProviderIndicator.objects.get(provider=p).repeat_visit_days is None
    assert result["warnings"]["skipped_no_settings"] == 1


@needs_items
def test_given_reversals_inside_repeat_groups_when_computed_then_members_and_repeat_days_count_what_remains():
    # Given max_visits_per_day 2 and at provider p, every visit total 10.00, fund 6.00, self-paid
    # 1.00 + 0.50 + 0.20, items exam/01 4.00 and drug/03 6.00:
    #   m1 03-05 three visits, one reversed -> two remain: no longer a repeat day
    #   m1 03-06 four visits, one reversed  -> three remain: a repeat day
    #   m2 03-07 one visit, reversed        -> m2 has no counted visit: not a member
    #   m3 03-08 three visits               -> a repeat day
    #   m3 03-09 two visits, both reversed  -> nothing that day, m3 still a member
    p = make_provider(admdvs=NY)
    m1, m2, m3 = (make_member(admdvs=NY) for _ in range(3))

    def visits(member, day, count, reversed_count=0):
        made = [make_claim(member=member, provider=p, day=date(2024, 3, day), total="10.00", fund="6.00",
                           ownpay="1.00", overlmt="0.50", preself="0.20", hour=8 + n,
                           items=[("exam", "01", "4.00"), ("drug", "03", "6.00")]) for n in range(count)]
        for claim in made[:reversed_count]:
            reverse_claim(claim)

    visits(m1, 5, 3, 1)
    visits(m1, 6, 4, 1)
    visits(m2, 7, 1, 1)
    visits(m3, 8, 3)
    visits(m3, 9, 2, 2)
    # When
    indicators_compute(admdvs=NY, period=MARCH)
    # Then  8 counted visits (2 + 3 + 0 + 3 + 0)
    row = ProviderIndicator.objects.get(provider=p, period=MARCH)
    assert (row.visits, row.members, row.repeat_visit_days) == (8, 2, 2)   # m1, m3; (m1, 03-06), (m3, 03-08)
    assert (row.medfee_sumamt, row.hifp_pay, row.selfpaid_amt) == (Decimal("80.00"), Decimal("48.00"),
                                                                    Decimal("13.60"))   # 8 x 1.70
    assert (row.item_amt, row.exam_amt, row.out_of_catalogue_amt) == (Decimal("80.00"), Decimal("32.00"),
                                                                       Decimal("48.00"))
    assert row.visits_per_member == Decimal("4.0000")


def test_given_more_parallel_workers_when_computed_then_the_provider_ranges_give_the_same_figures(month):
    # Given four parallel workers: the month is read in two provider ranges (A in the first, B in the
    # second: the cut is at the region's second provider)
    a, b = month
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 4")
    # When
    assert indicators_compute(admdvs=NY, period=MARCH) == 2
    # Then the figures of the first test
    row = ProviderIndicator.objects.get(provider=a, period=MARCH)
    assert (row.visits, row.members, row.medfee_sumamt, row.selfpaid_amt, row.hifp_pay) == (
        3, 2, Decimal("180.01"), Decimal("23.00"), Decimal("98.00"))
    other = ProviderIndicator.objects.get(provider=b, period=MARCH)
    assert (other.visits, other.members, other.medfee_sumamt) == (1, 1, Decimal("10.00"))


def test_given_a_range_that_is_not_a_calendar_month_when_aggregated_then_the_month_indexes_figures(month):
    # Given repeat-visit groups at A on top of the month (at most 2 visits a day): member m with three
    # visits on 03-10, four on 03-11 (one reversed: still a repeat day), three on 03-12 (one reversed:
    # no longer one)
    from supervision import sql

    a, _b = month
    m = make_member(admdvs=NY)
    for day, count, reversed_count in ((10, 3, 0), (11, 4, 1), (12, 3, 1)):
        made = [make_claim(member=m, provider=a, day=date(2024, 3, day), total="10.00", fund="6.00", hour=8 + n)
                for n in range(count)]
        for claim in made[:reversed_count]:
            reverse_claim(claim)
    by_month = sql.claim_aggregates(admdvs=NY, start=MARCH, end=date(2024, 4, 1), max_per_day=2)
    # When the same claims are read as a range of days (none falls on 03-01 or 03-31), which the
    # statements over effective_where serve instead of the month indexes
    by_range = sql.claim_aggregates(admdvs=NY, start=date(2024, 3, 2), end=date(2024, 3, 31), max_per_day=2)
    # Then both paths give the same figures
    assert by_range == by_month
    assert (by_month[a.pk]["visits"], by_month[a.pk]["members"], by_month[a.pk]["repeat_visit_days"],
            by_month[a.pk]["medfee_sumamt"]) == (3 + 3 + 3 + 2, 3, 2, Decimal("260.01"))
