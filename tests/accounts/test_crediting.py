"""Monthly crediting, hand-computed per region (RULES.md "Personal accounts")."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, AccountEntry, CreditRun
from accounts.services import account_credit_month, member_mark_no_account
from accounts.tasks import previous_month
from tests.accounts.conftest import GANZHOU, HEYUAN, NANCHANG, NANYANG, ZIBO, employee, retiree, set_parameters
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def credit_of(member, period: date) -> Decimal | None:
    entry = AccountEntry.objects.filter(account__member=member, kind="credit", period=period).first()
    return entry.amount if entry else None


def test_nanyang_employed_and_retired(db):
    # given: base 4321.25 (2% = 86.425 → 86.43 half-up) and the 2021 average pension 3187.55 (2% = 63.751)
    set_parameters(NANYANG, date(2024, 3, 1), average_pension="3187.55")
    worker = employee(NANYANG, base="4321.25")
    pensioner = retiree(NANYANG)
    # when
    run = account_credit_month(admdvs=NANYANG, period="2024-03", by=None)
    # then
    assert credit_of(worker, date(2024, 3, 1)) == Decimal("86.43")
    assert credit_of(pensioner, date(2024, 3, 1)) == Decimal("63.75")
    assert (run.employed_count, run.employed_amount, run.retired_count, run.retired_amount) == (
        1, Decimal("86.43"), 1, Decimal("63.75"))
    assert Account.objects.get(member=worker).balance == Decimal("86.43")
    assert run.refused == []


def test_retirement_switches_from_the_month_after(db):
    # given: retirement processed on 2024-03-15, base 5000, average pension 3000 (2% = 60.00)
    set_parameters(NANYANG, date(2024, 3, 1), average_pension="3000")
    member = employee(NANYANG, base="5000.00", psn_type="1201", retired_on=date(2024, 3, 15))
    # when: the month of retirement and the month after
    account_credit_month(admdvs=NANYANG, period="2024-03", by=None)
    account_credit_month(admdvs=NANYANG, period="2024-04", by=None)
    # then: March still employed (100.00), April retired (60.00), running balances add up
    assert credit_of(member, date(2024, 3, 1)) == Decimal("100.00")
    assert credit_of(member, date(2024, 4, 1)) == Decimal("60.00")
    assert list(AccountEntry.objects.filter(account__member=member).values_list("running_balance", flat=True)) == [
        Decimal("100.00"), Decimal("160.00")]


def test_missing_average_pension_refuses_only_the_retired_part(db):
    # given: Nanyang's 2021 average pension not entered
    worker, pensioner = employee(NANYANG, base="3000.00"), retiree(NANYANG)
    # when
    run = account_credit_month(admdvs=NANYANG, period="2024-05", by=None)
    # then: employed credited 60.00, retired refused with the parameter named
    assert credit_of(worker, date(2024, 5, 1)) == Decimal("60.00")
    assert credit_of(pensioner, date(2024, 5, 1)) is None
    assert run.refused_count == 1
    assert run.refused[0]["parameter"] == "average_pension"
    assert "average_pension" in run.refused[0]["message"]
    # when staff enter it and the month is run again: only the missing member-month is credited
    set_parameters(NANYANG, date(2024, 5, 1), average_pension="2500")
    rerun = account_credit_month(admdvs=NANYANG, period="2024-05", by=None)
    assert credit_of(pensioner, date(2024, 5, 1)) == Decimal("50.00")
    assert (rerun.employed_count, rerun.retired_count, rerun.skipped_count) == (0, 1, 1)


def test_rerun_is_idempotent(db):
    # given: one month already credited
    worker = employee(GANZHOU, base="3500.00", psn_type="1103")
    account_credit_month(admdvs=GANZHOU, period="2023-06", by=None)
    # when: the same month again
    again = account_credit_month(admdvs=GANZHOU, period="2023-06", by=None)
    # then: nothing new, the balance unchanged, a second run record that says so
    assert AccountEntry.objects.filter(account__member=worker).count() == 1
    assert Account.objects.get(member=worker).balance == Decimal("70.00")
    assert (again.employed_count, again.employed_amount, again.skipped_count) == (0, Decimal("0"), 1)
    assert CreditRun.objects.filter(admdvs_id=GANZHOU).count() == 2


def test_ganzhou_flexible_worker_and_retired(db):
    # given: provincial average pension 3000 (2.5% = 75.00), flexible worker base 3500 (2% = 70.00)
    set_parameters(GANZHOU, date(2023, 6, 1), average_pension="3000.00")
    flexible, pensioner = employee(GANZHOU, base="3500.00", psn_type="1103"), retiree(GANZHOU)
    # when
    account_credit_month(admdvs=GANZHOU, period="2023-06", by=None)
    # then
    assert credit_of(flexible, date(2023, 6, 1)) == Decimal("70.00")
    assert credit_of(pensioner, date(2023, 6, 1)) == Decimal("75.00")


def test_zibo_age_69_and_70(db):
    # given: 2023 average pension 3600 → under 70: 2% = 72.00, 70 and over: 2.5% = 90.00;
    # born 1954-05-15, so 69 on 2024-05-01 and 70 on 2024-06-01 (Reading: age on the month's first day)
    set_parameters(ZIBO, date(2024, 5, 1), average_pension="3600")
    pensioner = retiree(ZIBO, birth=date(1954, 5, 15), retired_on=date(2014, 6, 1))
    # when
    account_credit_month(admdvs=ZIBO, period="2024-05", by=None)
    account_credit_month(admdvs=ZIBO, period="2024-06", by=None)
    # then
    assert credit_of(pensioner, date(2024, 5, 1)) == Decimal("72.00")
    assert credit_of(pensioner, date(2024, 6, 1)) == Decimal("90.00")


def test_zibo_2023_employer_part_and_2024_none(db):
    # given: base 6000 (2% = 120.00); the 2023 employer part not yet entered
    worker, pensioner = employee(ZIBO, base="6000.00"), retiree(ZIBO)
    # when: 2023 without the figures → both parts refused, each naming its parameter
    run = account_credit_month(admdvs=ZIBO, period="2023-04", by=None)
    assert {r["parameter"] for r in run.refused} == {"account_employer_part", "retired_account_fixed"}
    assert AccountEntry.objects.count() == 0
    # when staff enter them: employed 120.00 + 25.50 = 145.50; retired the unchanged 88.00
    set_parameters(ZIBO, date(2023, 4, 1), account_employer_part="25.50", retired_account_fixed="88.00")
    account_credit_month(admdvs=ZIBO, period="2023-04", by=None)
    assert credit_of(worker, date(2023, 4, 1)) == Decimal("145.50")
    assert credit_of(pensioner, date(2023, 4, 1)) == Decimal("88.00")
    # then from 2024: no employer part
    account_credit_month(admdvs=ZIBO, period="2024-01", by=None)
    assert credit_of(worker, date(2024, 1, 1)) == Decimal("120.00")


def test_heyuan_before_and_after_2024_12(db):
    # given: Heyuan retired fixed 102.79 for 2022-08 … 2024-12, unset from 2025
    worker, pensioner = employee(HEYUAN, base="4000.00"), retiree(HEYUAN)
    # when
    account_credit_month(admdvs=HEYUAN, period="2024-12", by=None)
    run = account_credit_month(admdvs=HEYUAN, period="2025-01", by=None)
    # then
    assert credit_of(pensioner, date(2024, 12, 1)) == Decimal("102.79")
    assert credit_of(pensioner, date(2025, 1, 1)) is None
    assert run.refused[0]["parameter"] == "retired_account_fixed"
    assert credit_of(worker, date(2025, 1, 1)) == Decimal("80.00")
    assert Account.objects.get(member=pensioner).balance == Decimal("102.79")


def test_no_account_for_inpatient_only_and_inactive_members(db):
    # given: an inpatient-only employee, a deceased one, one enrolled after the month
    inpatient_only = employee(HEYUAN)
    member_mark_no_account(member=inpatient_only, since=date(2022, 8, 1), note="第七条(四)")
    deceased = employee(HEYUAN, status="deceased")
    late = employee(HEYUAN, enrolled_on=date(2024, 4, 1))
    # when
    run = account_credit_month(admdvs=HEYUAN, period="2024-03", by=None)
    # then: none of them has an account or a credit
    assert run.employed_count == 0
    assert not Account.objects.filter(member__in=[inpatient_only, deceased, late]).exists()


def test_refused_runs_write_nothing(db):
    with pytest.raises(ValidationError) as resident:
        account_credit_month(admdvs=NANCHANG, period="2024-03", by=None)
    assert "admdvs" in resident.value.message_dict
    with pytest.raises(ValidationError) as future:
        account_credit_month(admdvs=NANYANG, period="2099-01", by=None)
    assert "period" in future.value.message_dict
    with pytest.raises(ValidationError) as before_policy:  # Heyuan's rules start in 2022-08
        account_credit_month(admdvs=HEYUAN, period="2022-07", by=None)
    assert "period" in before_policy.value.message_dict
    with pytest.raises(ValidationError):
        account_credit_month(admdvs=NANYANG, period="2024-13", by=None)
    assert CreditRun.objects.count() == 0


def test_command_and_task_period(db, capsys):
    # given
    make_member(admdvs=GANZHOU, contribution_base=Decimal("1000.00"))
    # when
    call_command("credit_accounts", "--admdvs", GANZHOU, "--period", "2023-02")
    # then
    assert "employed 1 20.00" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("credit_accounts", "--admdvs", GANZHOU, "--period", "02-2023")
    assert previous_month(date(2025, 1, 1)) == "2024-12"
    assert previous_month(date(2024, 3, 31)) == "2024-02"
