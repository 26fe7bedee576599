"""Supervision's tallies (``supervision.tallies``) against the month statement they replaced
(``tests/supervision/month_statement_reference.py``) and the statements over ``effective_where``: the
same figures on generated months, whichever way the claims were counted in (one by one, in sets, by
the claims writer, or rebuilt from the claims)."""
import io
import random
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from claims.models import Claim
from claims.services import claim_reverse, claims_settle_batch
from supervision import sql
from supervision import tallies
from supervision.models import MemberDayTally, ProviderMonthTally, TalliedClaimAhead, TallyWatermark, VisitsPerDayTally
from supervision.periods import month_add
from supervision.tallies import claim_tallies_add, month_aggregates, tallies_catch_up
from supervision.tasks import tallies_catch_up_task
from tests.claims.helpers import request_for
from tests.factories import make_member, make_provider
from tests.supervision import month_statement_reference as reference
from tests.supervision.helpers import make_claim, reverse_claim

pytestmark = pytest.mark.django_db
NY = "411300"
MONTHS = (date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1))
LIMITS = (0, 1, 2, 3)


def _generated_month(*, seed: int, tally: bool) -> list[Claim]:
    """Four providers, 25 members, 400 visits over the first days of February to April (so members
    come back the same day: repeat groups of up to five), random amounts, fee details on about half,
    three statuses; a fifth reversed, one of them by a reversal dated in another month. Returns the
    rows in the order written (originals and reversals)."""
    rng = random.Random(seed)
    providers = [make_provider(admdvs=NY, level=level) for level in "1123"]
    members = [make_member(admdvs=NY) for _ in range(25)]
    written = []
    for _ in range(400):
        cents = rng.randint(100, 90_000)
        ownpay, overlmt = rng.randint(0, cents // 4), rng.choice([0, cents // 10])
        items = []
        if rng.random() < 0.5:
            exam = rng.randint(0, cents // 2)
            items = [("exam", "01", _yuan(exam)), ("drug", rng.choice(["01", "03"]), _yuan(cents - exam))]
        claim = make_claim(member=rng.choice(members), provider=rng.choice(providers),
                           day=date(2024, rng.choice([2, 3, 4]), rng.randint(1, 4)), total=_yuan(cents),
                           fund=_yuan(cents * 6 // 10), ownpay=_yuan(ownpay), overlmt=_yuan(overlmt),
                           items=items, hour=rng.randint(7, 20), tally=tally,
                           status=rng.choice(["settled", "settled", "not_covered", "pending_review"]))
        written.append(claim)
        if rng.random() < 0.2:
            reversed_now = rng.choice(written[-40:])
            if reversed_now.status != "reversal" and not Claim.objects.filter(reverses=reversed_now).exists():
                written.append(reverse_claim(reversed_now, tally=tally))
    moved = next(c for c in written if c.status == "reversal")
    Claim.objects.filter(pk=moved.pk).update(visit_date=month_add(moved.visit_date, 1))
    return written


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _same_figures_as_the_reference() -> int:
    """Every (month, limit): the tallies' rows equal the former month statement's and the range
    statements'; returns how many repeat-visit days they counted (so a caller sees the data had some)."""
    repeat_days = 0
    for month in MONTHS:
        for limit in LIMITS:
            tallied = sorted(month_aggregates(admdvs=NY, month=month, max_per_day=limit, itemised=True))
            old = sorted(reference.month_aggregates(admdvs=NY, month=month, max_per_day=limit, itemised=True))
            ranged = sorted(sql._range_statements(admdvs=NY, start=month, end=month_add(month, 1),
                                                  max_per_day=limit, itemised=True))
            assert tallied == old, (month, limit)
            assert tallied == ranged, (month, limit)
            repeat_days += sum(row[10] for row in tallied) if limit == 1 else 0
    return repeat_days


def _tally_rows() -> tuple[set, set, set]:
    """The three tables' rows that count something (a group or month emptied by reversals stays as a
    zero row when counted in, and is simply absent when rebuilt)."""
    return (set(MemberDayTally.objects.exclude(visits=0).values_list()),
            set(VisitsPerDayTally.objects.exclude(member_days=0).values_list()),
            set(ProviderMonthTally.objects.exclude(visits=0).values_list()))


def test_given_generated_months_counted_claim_by_claim_then_the_figures_of_the_former_month_statement():
    # Given 400 visits, each original and reversal counted in as it is written
    written = _generated_month(seed=24, tally=True)
    assert sum(c.status == "reversal" for c in written) > 40
    # Then, for three months and four limits, the same rows as the statement over the claims
    assert _same_figures_as_the_reference() > 0


def test_given_generated_months_counted_in_sets_then_the_same_tallies_as_one_by_one_and_as_rebuilt():
    # Given the same visits written uncounted, then counted in sets of 1 to 60 rows (an original and
    # its reversal may fall in one set: they cancel out)
    written = _generated_month(seed=7, tally=False)
    rng = random.Random(1)
    ids = [c.pk for c in written]
    while ids:
        size = rng.randint(1, 60)
        claim_tallies_add(claim_ids=ids[:size])
        ids = ids[size:]
    assert _same_figures_as_the_reference() > 0
    counted_in = _tally_rows()
    # When rebuilt from the claims (the backfill of an existing database)
    call_command("supervision_tallies_rebuild", stdout=io.StringIO())
    # Then the same tallies
    assert _tally_rows() == counted_in
    assert _same_figures_as_the_reference() > 0


def _this_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def test_given_claims_written_uncounted_when_caught_up_in_sets_then_the_same_tallies_as_rebuilt(monkeypatch):
    # Given the same kind of visits written uncounted (as the claims writer leaves them: each row
    # carries its transaction's id, here the test's, above the watermark)
    written = _generated_month(seed=11, tally=False)
    assert {c.written_xid for c in Claim.objects.all()} == {_this_transaction()}
    # When the catch-up counts them in, 37 claims a statement (the last set is short; an original and
    # its reversal may fall in one set or in two)
    monkeypatch.setattr(tallies, "CATCH_UP_SET", 37)
    assert tallies_catch_up() == len(written)
    # Then they are listed as counted ahead (this transaction is still open: the watermark stays at
    # or below its id), a second catch-up counts nothing, the figures are the former statement's and
    # the tallies the rebuild's
    assert TallyWatermark.objects.get().counted_below <= _this_transaction()
    assert TalliedClaimAhead.objects.count() == len(written)
    assert tallies_catch_up() == 0
    assert _same_figures_as_the_reference() > 0
    counted_in = _tally_rows()
    call_command("supervision_tallies_rebuild", stdout=io.StringIO())
    assert _tally_rows() == counted_in


def test_given_counted_claims_when_rebuilt_then_a_catch_up_counts_none_of_them_again():
    # Given a month counted claim by claim (each listed ahead of the watermark as it is counted)
    written = _generated_month(seed=13, tally=True)
    assert TalliedClaimAhead.objects.count() == len(written)
    # When rebuilt
    call_command("supervision_tallies_rebuild", stdout=io.StringIO())
    # Then the watermark and the list say what the rebuild counted (all of them), so a catch-up
    # counts nothing and the figures are the former statement's (not a claim twice)
    watermark = TallyWatermark.objects.get().counted_below
    assert set(TalliedClaimAhead.objects.values_list("claim_id", flat=True)) == {
        c.pk for c in Claim.objects.filter(written_xid__gte=watermark)} == {c.pk for c in written}
    assert tallies_catch_up() == 0
    assert _same_figures_as_the_reference() > 0


def test_given_claims_written_before_the_tallies_when_rebuilt_then_the_month_run_counts_them():
    # Given claims recorded without tallies (a database from before migration supervision 0005)
    _generated_month(seed=3, tally=False)
    assert not ProviderMonthTally.objects.exists()
    # When
    call_command("supervision_tallies_rebuild", stdout=io.StringIO())
    # Then
    assert _same_figures_as_the_reference() > 0


def test_given_the_claims_writer_when_a_batch_is_settled_and_one_visit_reversed_then_the_tallies_follow():
    # Given Zibo provider p; m1 visits twice on 03-01 and m2 once on 03-02, 100.00 each (no self-paid
    # part), settled as one batch by the claims writer
    member_1, member_2 = make_member(admdvs="370300"), make_member(admdvs="370300")
    provider = make_provider(admdvs="370300", level="2", kind="hospital")
    outcomes = claims_settle_batch(requests=[
        request_for(member=member_1, provider=provider, visit_at="2024-03-01T09:00"),
        request_for(member=member_1, provider=provider, visit_at="2024-03-01T15:00"),
        request_for(member=member_2, provider=provider, visit_at="2024-03-02T10:00")], by=None)
    assert all(outcome.error is None for outcome in outcomes)
    fund = sum((o.claim.hifp_pay for o in outcomes), Decimal("0"))
    # (the writer wrote nothing of supervision's, only its transaction's id on each claim: the
    # tallies are counted in when the month is read)
    assert not ProviderMonthTally.objects.exists() and not TalliedClaimAhead.objects.exists()
    assert set(Claim.objects.values_list("written_xid", flat=True)) == {_this_transaction()}
    # Then 3 visits, 2 members, one (member, day) group over a limit of 1
    (row,) = month_aggregates(admdvs="370300", month=date(2024, 3, 1), max_per_day=1, itemised=True)
    assert (row[0], row[1], row[2], row[3], row[4], row[9], row[10]) == (
        provider.pk, 3, Decimal("300.00"), Decimal("0.00"), fund, 2, 1)
    # When m1's first visit is reversed through the claims service
    claim_reverse(setl_id=outcomes[0].claim.setl_id, by=None)
    # Then 2 visits (200.00), still 2 members, no group over 1; two groups over 0
    (row,) = month_aggregates(admdvs="370300", month=date(2024, 3, 1), max_per_day=1, itemised=True)
    assert (row[1], row[2], row[4], row[9], row[10]) == (
        2, Decimal("200.00"), fund - outcomes[0].claim.hifp_pay, 2, 0)
    assert month_aggregates(admdvs="370300", month=date(2024, 3, 1), max_per_day=0, itemised=True)[0][10] == 2
    for limit in (0, 1):
        assert (month_aggregates(admdvs="370300", month=date(2024, 3, 1), max_per_day=limit, itemised=True)
                == reference.month_aggregates(admdvs="370300", month=date(2024, 3, 1), max_per_day=limit,
                                              itemised=True))


def test_given_the_month_run_then_it_reads_the_tallies_not_the_claims():
    # Given a month of claims, all counted in (nothing new since)
    _generated_month(seed=5, tally=True)
    # When the month's aggregates are read, with every statement logged
    statements = []
    with connection.execute_wrapper(lambda execute, text, *args: statements.append(text) or execute(text, *args)):
        sql.claim_aggregates(admdvs=NY, start=date(2024, 3, 1), end=date(2024, 4, 1), max_per_day=2)
    # Then the catch-up: its lock, the watermark, the claims above it (none new), the watermark
    # moved; and one statement over the tallies. Only the catch-up's look for new claims reads the
    # claims table, by the transaction ids above the watermark (its BRIN index's tail)
    assert [text.split()[0] for text in statements] == ["LOCK", "SELECT", "SELECT", "WITH", "SELECT"]
    (reading_claims,) = [text for text in statements if Claim._meta.db_table in text]
    assert reading_claims == statements[2] and "c.written_xid >= " in reading_claims


def test_given_claims_written_uncounted_when_the_beat_task_runs_then_they_are_counted_in_once():
    # Given a month written uncounted, as the claims writer leaves it
    written = _generated_month(seed=17, tally=False)
    # When the minute's catch-up runs (the beat's entry, eager here), twice
    assert settings.CELERY_BEAT_SCHEDULE["tallies-catch-up"]["task"] == tallies_catch_up_task.name
    assert tallies_catch_up_task.delay().get() == len(written)
    assert tallies_catch_up_task.delay().get() == 0
    # Then the tallies hold the month, each claim once
    assert not MemberDayTally.objects.filter(visits__lt=0).exists()
    assert _same_figures_as_the_reference() > 0
