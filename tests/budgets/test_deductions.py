"""Assessments 考核 and deductions 扣款 (RULES.md "Assessment and deductions"; settlement.md "An approved
assessment deduction of 200.00 for H with April's actual 150.00").

Amounts are by hand: a deduction is taken off the payment of the provider's next run up to that
payment (never below zero), the rest is carried to the following run."""
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from budgets.assessments import (assessment_approve, assessment_enter, deduction_approve, deduction_enter,
                                 providers_flagged_for_renewal)
from budgets.models import Deduction
from budgets.services import settlement_run_compute
from config.errors import Conflict
from staff.models import AuditEvent
from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_claim, make_member, make_provider,
                                   make_staff, members_signed, post_run)

pytestmark = pytest.mark.django_db
NANYANG, HEYUAN, FFS = "411300", "441600", "fee_for_service"


def clerk():
    return make_staff(all_regions=True)


def checker():
    return make_staff(all_regions=True, perms=["budgets.approve_assessment"])


def approved_deduction(provider, amount, kind="assessment") -> Deduction:
    deduction = deduction_enter(provider=provider, year=2024, kind=kind, amount=amount, reason="考核不达标",
                                document_no="宛医保〔2024〕12号", by=clerk())
    return deduction_approve(deduction=deduction, by=checker())


def ffs_line(client, month: str, code: str) -> dict:
    run = post_run(client, NANYANG, FFS, month).json()
    assert approve_as_second_person(client, run["id"]).status_code == 200
    return lines_by_code(client, run["id"])[code]


def test_given_deduction_200_when_next_runs_are_smaller_then_carried_over_twice(staff_client):
    hospital = make_provider(code="NY-H", admdvs=NANYANG, level="2", kind="hospital")
    member = make_member(admdvs=NANYANG)
    approved_deduction(hospital, "200.00")
    make_claim(member=member, charged=hospital, visit=date(2024, 4, 8), hifp_pay="150.00")
    make_claim(member=member, charged=hospital, visit=date(2024, 5, 8), hifp_pay="30.00")
    make_claim(member=member, charged=hospital, visit=date(2024, 6, 8), hifp_pay="100.00")

    april, may, june = (ffs_line(staff_client, month, "NY-H") for month in ("2024-04", "2024-05", "2024-06"))

    # April: 150.00 − min(200.00, 150.00) = 0.00, carried 200.00 − 150.00 = 50.00
    assert (april["actual"], april["deductions"], april["paid"], april["deductions_carried"]) == (
        "150.00", "150.00", "0.00", "50.00")
    # May: 30.00 − min(50.00, 30.00) = 0.00, carried 50.00 − 30.00 = 20.00
    assert (may["actual"], may["deductions"], may["paid"], may["deductions_carried"]) == (
        "30.00", "30.00", "0.00", "20.00")
    # June: 100.00 − 20.00 = 80.00, nothing left
    assert (june["actual"], june["deductions"], june["paid"], june["deductions_carried"]) == (
        "100.00", "20.00", "80.00", "0.00")


def test_given_recovery_month_when_deduction_pending_then_nothing_taken_and_all_carried(staff_client):
    hospital = make_provider(code="NY-R", admdvs=NANYANG, kind="hospital")
    member = make_member(admdvs=NANYANG)
    make_claim(member=member, charged=hospital, visit=date(2024, 4, 8), hifp_pay="-10.00", status="reversal")
    approved_deduction(hospital, "25.00", kind="violation")

    line = ffs_line(staff_client, "2024-04", "NY-R")

    assert (line["paid"], line["deductions"], line["deductions_carried"]) == ("-10.00", "0.00", "25.00")


def test_given_unapproved_deduction_when_run_then_not_taken(staff_client):
    hospital = make_provider(code="NY-D", admdvs=NANYANG, kind="hospital")
    make_claim(member=make_member(admdvs=NANYANG), charged=hospital, visit=date(2024, 4, 8), hifp_pay="50.00")
    deduction_enter(provider=hospital, year=2024, kind="assessment", amount="20.00", reason="考核", document_no="1",
                    by=clerk())

    line = ffs_line(staff_client, "2024-04", "NY-D")

    assert (line["paid"], line["deductions"]) == ("50.00", "0.00")


def test_given_heyuan_deductions_when_monthly_and_year_end_then_taken_off_both(staff_client):
    """100 members all year (settlement.md Heyuan): prepayment 2 133.33 a month, total 32 000.00."""
    clinic = make_provider(code="HY-1", admdvs=HEYUAN, kind="community")
    members = members_signed(n=100, provider=clinic, birth=date(1980, 1, 1), since=date(2023, 1, 1), admdvs=HEYUAN)
    make_claim(member=members[0], charged=clinic, visit=date(2024, 7, 1), hifp_pay="27000.00")
    approved_deduction(clinic, "100.00")
    monthly = []
    for month in range(1, 13):
        run = post_run(staff_client, HEYUAN, "monthly", f"2024-{month:02d}").json()
        assert approve_as_second_person(staff_client, run['id']).status_code == 200
        monthly.append(lines_by_code(staff_client, run["id"])["HY-1"])
    approved_deduction(clinic, "1000.00")

    year = post_run(staff_client, HEYUAN, "year_end", "2024").json()

    # January: 2 133.33 − 100.00 = 2 033.33; February on: 2 133.33
    assert (monthly[0]["paid"], monthly[0]["deductions"]) == ("2033.33", "100.00")
    assert {(m["paid"], m["deductions"]) for m in monthly[1:]} == {("2133.33", "0.00")}
    line = lines_by_code(staff_client, year["id"])["HY-1"]
    # prepaid counts the withheld 100.00: 12 × 2 133.33 = 25 599.96; determined 27 000 + 80% × 5 000
    # = 31 000.00; balance 31 000.00 − 25 599.96 = 5 400.04, minus the 1 000.00 deduction = 4 400.04
    assert (line["prepaid"], line["determined"], line["deductions"], line["balance_due"]) == (
        "25599.96", "31000.00", "1000.00", "4400.04")


def test_given_two_drafts_taking_one_deduction_when_both_approved_then_second_is_stale(staff_client):
    clinic = make_provider(code="HY-2", admdvs=HEYUAN, kind="community")
    members_signed(n=3, provider=clinic, birth=date(1980, 1, 1), since=date(2023, 1, 1), admdvs=HEYUAN)
    approved_deduction(clinic, "10.00")
    march = settlement_run_compute(admdvs=HEYUAN, kind="monthly", period="2024-03")
    april = settlement_run_compute(admdvs=HEYUAN, kind="monthly", period="2024-04")

    first = approve_as_second_person(staff_client, march.pk)
    second = approve_as_second_person(staff_client, april.pk)
    april = settlement_run_compute(admdvs=HEYUAN, kind="monthly", period="2024-04")

    # 3 members: 320 ÷ 12 × 3 × 80% = 64.00; March 64.00 − 10.00 = 54.00
    assert first.status_code == 200 and lines_by_code(staff_client, march.pk)["HY-2"]["paid"] == "54.00"
    assert second.status_code == 409 and second.json()["code"] == "run_stale"
    assert (lines_by_code(staff_client, april.pk)["HY-2"]["paid"], april.status) == ("64.00", "draft")


def test_given_entry_when_same_person_approves_then_refused_and_second_person_approves_audited():
    provider = make_provider(admdvs=HEYUAN, kind="hospital")
    both = make_staff(all_regions=True, perms=["budgets.approve_assessment"])
    assessment = assessment_enter(provider=provider, year=2024, score="58.5", passed=False, document_no="河医保1",
                                  by=both)

    with pytest.raises(PermissionDenied):
        assessment_approve(assessment=assessment, by=both)
    with pytest.raises(PermissionDenied):
        assessment_approve(assessment=assessment, by=clerk())                # no approval permission
    approved = assessment_approve(assessment=assessment, by=checker())

    assert approved.is_approved and list(providers_flagged_for_renewal()) == [approved]
    with pytest.raises(Conflict):
        assessment_enter(provider=provider, year=2024, score="90", passed=True, document_no="x", by=both)
    events = AuditEvent.objects.filter(model="budgets.Assessment", object_id=str(assessment.pk))
    assert sorted(events.values_list("action", flat=True)) == ["approve", "create"]


@pytest.mark.parametrize("field, kwargs", [
    ("amount", {"amount": "0"}), ("amount", {"amount": "1.005"}), ("kind", {"kind": "fine"}),
    ("reason", {"reason": " "}), ("document_no", {"document_no": ""}), ("year", {"year": 1999}),
])
def test_given_bad_deduction_when_entered_then_400_naming_the_field(field, kwargs):
    provider = make_provider(admdvs=NANYANG, kind="hospital")
    values = {"year": 2024, "kind": "violation", "amount": "10.00", "reason": "违规", "document_no": "1", **kwargs}

    with pytest.raises(ValidationError) as error:
        deduction_enter(provider=provider, by=clerk(), **values)

    assert field in error.value.message_dict and not Deduction.objects.exists()
