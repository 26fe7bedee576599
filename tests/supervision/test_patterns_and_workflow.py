"""Claim-level patterns, idempotent re-runs and the warning status history."""
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from config.errors import Conflict
from members.models import Member
from supervision.models import InpatientStay, Warning, WarningEvent
from supervision.services import supervision_period_run
from supervision.services.warnings import warning_assign, warning_close, warning_reopen, warning_review_start
from tests.factories import make_member, make_provider, make_staff
from tests.supervision.helpers import make_claim, reverse_claim

pytestmark = pytest.mark.django_db
MARCH = date(2024, 3, 1)
NY = "411300"


def run():
    return supervision_period_run(admdvs=NY, period=MARCH)["warnings"]


def test_given_two_visits_a_day_when_run_then_no_warning_but_three_open_one():
    # Given max_visits_per_day 2: member m three times at p on 03-05, twice at p on 03-06, once at q on 03-05
    p, q, m = make_provider(admdvs=NY), make_provider(admdvs=NY), make_member(admdvs=NY)
    claims = [make_claim(member=m, provider=p, day=date(2024, 3, 5), total="10.00", hour=h) for h in (8, 10, 15)]
    for h in (8, 10):
        make_claim(member=m, provider=p, day=date(2024, 3, 6), total="10.00", hour=h)
    make_claim(member=m, provider=q, day=date(2024, 3, 5), total="10.00")
    # When
    run()
    # Then
    warning = Warning.objects.get(kind="repeat_visits")
    assert (warning.provider_id, warning.member_id, warning.subject) == (p.pk, m.pk, f"{m.pk}:2024-03-05")
    assert warning.figures["visits"] == 3
    assert [c["setl_id"] for c in warning.figures["claims"]] == [c.setl_id for c in claims]
    from supervision.models import ProviderIndicator

    assert ProviderIndicator.objects.get(provider=p).repeat_visit_days == 1     # (m, 03-05) once, not 3 times
    assert ProviderIndicator.objects.get(provider=q).repeat_visit_days == 0


def test_given_a_third_visit_reversed_when_run_then_no_repeat_warning():
    p, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    made = [make_claim(member=m, provider=p, day=date(2024, 3, 5), total="10.00", hour=h) for h in (8, 10, 15)]
    reverse_claim(made[-1])
    run()
    assert not Warning.objects.filter(kind="repeat_visits").exists()


def test_given_an_inpatient_stay_when_visits_fall_inside_then_each_opens_a_warning():
    # Given a stay 03-10 ... 03-15 (both ends inclusive) and an open stay from 03-20
    p, m = make_provider(admdvs=NY), make_member(admdvs=NY)
    InpatientStay.objects.create(member=m, admitted_on=date(2024, 3, 10), discharged_on=date(2024, 3, 15))
    InpatientStay.objects.create(member=m, admitted_on=date(2024, 3, 20))
    inside = {}
    for day in (9, 10, 15, 16, 25):
        inside[day] = make_claim(member=m, provider=p, day=date(2024, 3, day), total="10.00")
    declared = make_claim(member=m, provider=p, day=date(2024, 3, 12), total="10.00", exclusion="inpatient",
                          status="not_covered")
    # When
    run()
    # Then
    flagged = set(Warning.objects.filter(kind="inpatient_stay").values_list("subject", flat=True))
    assert flagged == {inside[10].setl_id, inside[15].setl_id, inside[25].setl_id}
    assert declared.setl_id not in flagged
    assert Warning.objects.get(subject=inside[25].setl_id).figures["discharged_on"] is None


def test_given_a_member_who_left_when_visits_after_then_warning_for_those_only():
    p = make_provider(admdvs=NY)
    m = make_member(admdvs=NY, status=Member.Status.LEFT, left_on=date(2024, 3, 10))
    on_day = make_claim(member=m, provider=p, day=date(2024, 3, 10), total="10.00")
    after = make_claim(member=m, provider=p, day=date(2024, 3, 11), total="12.50", fund="5.00")
    run()
    warning = Warning.objects.get(kind="after_leaving")
    assert warning.subject == after.setl_id != on_day.setl_id
    assert warning.figures == {"setl_id": after.setl_id, "visit_date": "2024-03-11", "left_on": "2024-03-10",
                               "medfee_sumamt": "12.50", "hifp_pay": "5.00"}


def test_given_warnings_when_run_again_then_none_duplicated_and_history_kept():
    p = make_provider(admdvs=NY)
    m = make_member(admdvs=NY, left_on=date(2024, 3, 1))
    claim = make_claim(member=m, provider=p, day=date(2024, 3, 11), total="10.00")
    # When run twice
    assert run()["opened"] == 1
    again = run()
    # Then
    assert (again["opened"], again["unchanged"]) == (0, 1)
    assert Warning.objects.count() == 1
    warning = Warning.objects.get()
    # Given the claim is reversed afterwards, a re-run marks the warning, keeps it and its status
    warning_review_start(warning=warning, actor=None)
    reverse_claim(claim)
    assert run()["not_reproduced"] == 1
    warning.refresh_from_db()
    assert (warning.status, warning.reproduced) == ("under_review", False)
    assert list(warning.events.values_list("action", flat=True)) == ["opened", "review", "not_reproduced"]


def test_given_an_open_warning_when_worked_then_status_history_is_appended():
    p = make_provider(admdvs=NY)
    m = make_member(admdvs=NY, left_on=date(2024, 3, 1))
    make_claim(member=m, provider=p, day=date(2024, 3, 11), total="10.00")
    run()
    warning = Warning.objects.get()
    lead, clerk = make_staff(admdvs=NY), make_staff(admdvs=NY)
    # When
    warning = warning_assign(warning=warning, owner=clerk, actor=lead, note="请核查")
    warning = warning_review_start(warning=warning, actor=clerk)
    with pytest.raises(ValidationError):
        warning_close(warning=warning, actor=clerk, note="  ")
    warning = warning_close(warning=warning, actor=clerk, note="已核实为退费重结，无违规")
    with pytest.raises(Conflict):
        warning_close(warning=warning, actor=clerk, note="again")
    with pytest.raises(Conflict):
        warning_review_start(warning=warning, actor=clerk)
    warning = warning_reopen(warning=warning, actor=lead, note="需补充材料")
    # Then
    assert (warning.status, warning.owner_id) == ("open", clerk.pk)
    history = list(warning.events.values_list("action", "from_status", "to_status", "actor_id"))
    assert history == [("opened", "", "open", None), ("assigned", "open", "open", lead.pk),
                       ("review", "open", "under_review", clerk.pk), ("closed", "under_review", "closed", clerk.pk),
                       ("reopened", "closed", "open", lead.pk)]
    event = WarningEvent.objects.first()
    event.note = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
