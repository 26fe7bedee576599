"""Monthly indicators per provider 机构月度监测指标 (Nanyang 第二十二条(二), Zibo 第十六条).

``indicators_compute`` aggregates one region-month with set-based statements over the claims (sums,
including the per-claim fee-detail sums; members and repeat visits — ``supervision.sql``) and writes
one ``ProviderIndicator`` per treating provider, replacing the month's rows in one transaction.

Definitions (amounts net of reversals — see ``supervision.sql``):
  visits               counted claims                       members   distinct members among them
  avg_cost 次均费用     total ÷ visits (fen, half-up)        fund_per_member   fund payment ÷ members
  visits_per_member    visits ÷ members
  self_paid_share      (fully self-paid + over-limit + pre-self-paid) ÷ total
  exam_share           exam items ÷ all items of the counted claims' fee details
  out_of_catalogue_share   items with chrgitm_lv 03 ÷ all items
  growth_mom / growth_yoy  (total − total of the previous month / same month last year) ÷ that total
  repeat_visit_days    (member, day) groups with more than ``max_visits_per_day`` visits (the settings
                       in force; it also tells warnings_detect which providers to look into)
Ratios are exact decimals rounded half-up to 4 places; a ratio with a zero (or missing) base is NULL.
**Reading:** growth compares with the stored rows of those earlier months (a provider without a row,
or a zero total, there has no growth figure). (Re)computing a month also refreshes the growth figures
that compare with it — the month after, the same month next year — where those months have rows, so
months may be computed, or re-run, in any order; the warnings of those later months follow on their
own next run. The item shares use the fee-detail total as denominator (``Claim.itemised_amount``, with
``exam_amount`` and ``out_of_catalogue_amount`` summed per claim when it is written: no join to the
claim items), so claims sent without details neither dilute nor inflate them.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from providers.models import Provider
from supervision import sql
from supervision.models import ProviderIndicator
from supervision.periods import month_add
from supervision.selectors import supervision_settings_for

NO_LIMIT = 2_000_000_000  # no supervision settings in force: repeat-visit groups are not counted
FOUR = Decimal("0.0001")
CENT = Decimal("0.01")


def ratio(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    if numerator is None or denominator is None or Decimal(denominator) <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR, rounding=ROUND_HALF_UP)


def money_ratio(numerator: Decimal, denominator: int) -> Decimal:
    if not denominator:
        return Decimal("0.00")
    return (Decimal(numerator) / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def growth(current: Decimal, previous: Decimal | None) -> Decimal | None:
    if previous is None or previous <= 0:
        return None
    return ratio(current - previous, previous)


def period_lock(*, admdvs: str, period: date) -> None:
    """Serialise two computations of the same region-month: a transaction advisory lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [int(admdvs), period.year * 100 + period.month])


def indicator_build(*, provider: Provider, period: date, claims: dict, items: dict | None,
                    previous: Decimal | None, last_year: Decimal | None) -> ProviderIndicator:
    total = claims["medfee_sumamt"]
    item_amt = items["item_amt"] if items else None
    return ProviderIndicator(
        provider=provider, admdvs_id=provider.admdvs_id, district_id=provider.district_id,
        level=provider.benefit_level, period=period,
        visits=claims["visits"], members=claims["members"], medfee_sumamt=total,
        selfpaid_amt=claims["selfpaid_amt"], hifp_pay=claims["hifp_pay"],
        item_amt=item_amt, exam_amt=items["exam_amt"] if items else None,
        out_of_catalogue_amt=items["out_of_catalogue_amt"] if items else None,
        avg_cost=money_ratio(total, claims["visits"]),
        fund_per_member=money_ratio(claims["hifp_pay"], claims["members"]),
        visits_per_member=ratio(claims["visits"], claims["members"]) or Decimal("0"),
        self_paid_share=ratio(claims["selfpaid_amt"], total),
        exam_share=ratio(items["exam_amt"], item_amt) if items else None,
        out_of_catalogue_share=ratio(items["out_of_catalogue_amt"], item_amt) if items else None,
        growth_mom=growth(total, previous), growth_yoy=growth(total, last_year),
        repeat_visit_days=claims["repeat_visit_days"],
    )


def indicators_growth_refresh(*, admdvs: str, period: date) -> int:
    """Re-derive the growth figures that compare with ``period``'s stored totals: ``growth_mom`` of the
    month after and ``growth_yoy`` of the same month a year later, for the rows those months already
    have (a provider without a row, or with a zero total, in ``period`` gets NULL). Returns the rows
    whose figure changed; a second call changes nothing.

    Set-based: one read of each month and one bulk UPDATE, the figures computed by ``growth``, the very
    function (and Decimal half-up rounding) ``indicator_build`` uses. Call inside a transaction: it
    takes each later month's lock (always after the earlier month's: locks are taken in period order,
    no deadlock) so that a concurrent compute of that month cannot write growth against the totals
    being replaced."""
    totals = dict(ProviderIndicator.objects.filter(admdvs_id=admdvs, period=period)
                  .values_list("provider_id", "medfee_sumamt"))
    changed = 0
    for months, field in ((1, "growth_mom"), (12, "growth_yoy")):
        later = month_add(period, months)
        period_lock(admdvs=admdvs, period=later)
        rows = []
        for row in ProviderIndicator.objects.filter(admdvs_id=admdvs, period=later).only(
                "id", "provider_id", "medfee_sumamt", field):
            value = growth(row.medfee_sumamt, totals.get(row.provider_id))
            if getattr(row, field) != value:
                setattr(row, field, value)
                rows.append(row)
        ProviderIndicator.objects.bulk_update(rows, [field], batch_size=500)
        changed += len(rows)
    return changed


def indicators_compute(*, admdvs: str, period: date) -> int:
    """(Re)compute the region's indicators for the month starting ``period``; returns the row count.

    The month's rows are replaced, and the growth figures of the month after and of the same month
    next year that compare with them are refreshed (``indicators_growth_refresh``), in one transaction.
    The earlier months' totals are read under the month's lock, so a concurrent re-run of the month
    before cannot slip stale figures in between."""
    start, end = period, month_add(period, 1)
    settings = supervision_settings_for(admdvs=admdvs, period=period)
    with sql.month_snapshot():
        claims = sql.claim_aggregates(admdvs=admdvs, start=start, end=end,
                                      max_per_day=settings.max_visits_per_day if settings else NO_LIMIT)
    if settings is None:
        for figures in claims.values():
            figures["repeat_visit_days"] = None
    providers = list(Provider.objects.filter(pk__in=list(claims), admdvs_id=admdvs).only(
        "id", "admdvs_id", "district_id", "dedc_hosp_lv"))
    with transaction.atomic():
        period_lock(admdvs=admdvs, period=period)
        previous = dict(ProviderIndicator.objects.filter(admdvs_id=admdvs, period=month_add(period, -1))
                        .values_list("provider_id", "medfee_sumamt"))
        last_year = dict(ProviderIndicator.objects.filter(admdvs_id=admdvs, period=month_add(period, -12))
                         .values_list("provider_id", "medfee_sumamt"))
        rows = [
            indicator_build(provider=provider, period=period, claims=claims[provider.pk],
                            items=claims[provider.pk]["items"], previous=previous.get(provider.pk),
                            last_year=last_year.get(provider.pk))
            for provider in providers
        ]
        ProviderIndicator.objects.filter(admdvs_id=admdvs, period=period).delete()
        ProviderIndicator.objects.bulk_create(rows, batch_size=500)
        indicators_growth_refresh(admdvs=admdvs, period=period)
    return len(rows)
