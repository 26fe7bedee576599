"""signup_request: every reason's effective date in Nanchang and Heyuan, and every refusal with its field.

Dates are computed by hand from RULES.md "Sign-up requests": first -> that day; annual -> 1 January
next (window Nanchang 10-01..12-31, Heyuan 09-01..12-31); address_change -> 1st of the next month;
provider_suspended -> that day.
"""
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.models import SignUp
from members.selectors import signup_in_effect
from members.services import signup_request
from tests.factories import make_member, make_provider, make_signup

pytestmark = pytest.mark.django_db
REGIONS = ["360100", "441600"]


def ask(member, provider, applied_on, reason, **extra):
    return signup_request(admdvs=member.admdvs_id, certno=member.certno, fixmedins_code=provider.fixmedins_code,
                          applied_on=applied_on, reason=reason, **extra)


def refused(member, provider, applied_on, reason, **extra) -> dict:
    before = SignUp.objects.count()
    with pytest.raises(ValidationError) as caught:
        ask(member, provider, applied_on, reason, **extra)
    assert SignUp.objects.count() == before
    return caught.value.message_dict


@pytest.fixture(params=REGIONS)
def region(request):
    return request.param


@pytest.mark.parametrize("reason, applied_on, effective_from", [
    ("address_change", date(2024, 4, 20), date(2024, 5, 1)),
    ("address_change", date(2024, 4, 30), date(2024, 5, 1)),
    ("address_change", date(2024, 12, 10), date(2025, 1, 1)),
    ("annual", date(2024, 10, 1), date(2025, 1, 1)),
    ("annual", date(2024, 12, 31), date(2025, 1, 1)),
])
def test_given_signed_member_when_change_requested_then_effective_date_follows_reason(
        region, reason, applied_on, effective_from):
    member = make_member(admdvs=region)
    make_signup(member=member, provider=make_provider(admdvs=region), effective_from=date(2024, 1, 1))
    signup = ask(member, make_provider(admdvs=region), applied_on, reason)
    assert signup.effective_from == effective_from


def test_given_new_member_when_first_signup_then_effective_that_day(region):
    member = make_member(admdvs=region, enrolled_on=date(2024, 3, 1))
    signup = ask(member, make_provider(admdvs=region), date(2024, 3, 15), "first")
    assert (signup.reason, signup.effective_from, signup.applied_on) == ("first", date(2024, 3, 15), date(2024, 3, 15))


def test_given_current_provider_suspended_when_member_moves_then_effective_that_day(region):
    member = make_member(admdvs=region)
    old = make_provider(admdvs=region)
    make_signup(member=member, provider=old, effective_from=date(2024, 1, 1))
    old.status, old.status_changed_on = "suspended", date(2024, 6, 1)
    old.save()
    signup = ask(member, make_provider(admdvs=region), date(2024, 6, 3), "provider_suspended")
    assert signup.effective_from == date(2024, 6, 3)


def test_given_request_dated_before_the_suspension_when_provider_suspended_reason_then_refused(region):
    member = make_member(admdvs=region)
    old = make_provider(admdvs=region, status="suspended", status_changed_on=date(2024, 6, 1))
    make_signup(member=member, provider=old, effective_from=date(2024, 1, 1))
    errors = refused(member, make_provider(admdvs=region), date(2024, 5, 31), "provider_suspended")
    assert "2024-06-01" in errors["applied_on"][0]


def test_given_current_provider_active_when_provider_suspended_reason_then_refused(region):
    member = make_member(admdvs=region)
    make_signup(member=member, provider=make_provider(admdvs=region), effective_from=date(2024, 1, 1))
    errors = refused(member, make_provider(admdvs=region), date(2024, 6, 3), "provider_suspended")
    assert "未被暂停或终止" in errors["reason"][0]


def test_nanchang_window_opens_on_1_october():
    member = make_member(admdvs="360100")
    make_signup(member=member, provider=make_provider(admdvs="360100"), effective_from=date(2024, 1, 1))
    errors = refused(member, make_provider(admdvs="360100"), date(2024, 9, 30), "annual")
    assert "10-01 至 12-31" in errors["reason"][0]


def test_heyuan_window_opens_on_1_september():
    member = make_member(admdvs="441600")
    make_signup(member=member, provider=make_provider(admdvs="441600"), effective_from=date(2024, 1, 1))
    assert "09-01 至 12-31" in refused(member, make_provider(admdvs="441600"), date(2024, 8, 31), "annual")["reason"][0]
    assert ask(member, make_provider(admdvs="441600"), date(2024, 9, 1), "annual").effective_from == date(2025, 1, 1)


def test_given_annual_choice_when_asking_for_provider_by_date_then_old_until_year_end():
    member = make_member(admdvs="360100")
    old, new = make_provider(admdvs="360100"), make_provider(admdvs="360100")
    make_signup(member=member, provider=old, effective_from=date(2024, 1, 1))
    ask(member, new, date(2024, 11, 5), "annual")
    assert signup_in_effect(member=member, day=date(2024, 12, 31)).provider == old
    assert signup_in_effect(member=member, day=date(2025, 1, 1)).provider == new


def test_given_signed_member_when_first_again_then_refused_as_second_change_without_reason(region):
    member = make_member(admdvs=region)
    make_signup(member=member, provider=make_provider(admdvs=region), effective_from=date(2024, 1, 1))
    assert "已签约" in refused(member, make_provider(admdvs=region), date(2024, 5, 1), "first")["reason"][0]


def test_given_unsigned_member_when_annual_or_change_then_refused(region):
    member = make_member(admdvs=region)
    provider = make_provider(admdvs=region)
    assert "首次签约" in refused(member, provider, date(2024, 11, 1), "annual")["reason"][0]
    assert "没有生效的签约" in refused(member, provider, date(2024, 5, 1), "address_change")["reason"][0]
    assert "没有生效的签约" in refused(member, provider, date(2024, 5, 1), "provider_suspended")["reason"][0]


def test_given_region_without_signups_when_requested_then_refused_on_admdvs():
    member = make_member(admdvs="411300")
    errors = refused(member, make_provider(admdvs="411300"), date(2024, 5, 1), "first")
    assert "不实行门诊签约" in errors["admdvs"][0]


@pytest.mark.parametrize("provider_kwargs, message", [
    ({"admdvs": "441600"}, "属于统筹区 441600"),
    ({"status": "suspended"}, "状态为"),
    ({"status": "terminated"}, "状态为"),
    ({"kind": "hospital", "level": "2"}, "不能作为签约"),
    ({"kind": "pharmacy"}, "不能作为签约"),
])
def test_given_unsuitable_provider_in_nanchang_when_first_then_refused_on_fixmedins_code(provider_kwargs, message):
    member = make_member(admdvs="360100")
    provider = make_provider(**{"admdvs": "360100", **provider_kwargs})
    assert message in refused(member, provider, date(2024, 5, 1), "first")["fixmedins_code"][0]


def test_given_nanchang_village_clinic_when_first_then_refused_pointing_at_its_centre():
    centre = make_provider(admdvs="360100", code="NC-CENTRE")
    village = make_provider(admdvs="360100", kind="village", parent=centre)
    errors = refused(make_member(admdvs="360100"), village, date(2024, 5, 1), "first")
    assert "服务点" in errors["fixmedins_code"][0] and "NC-CENTRE" in errors["fixmedins_code"][0]


def test_given_heyuan_hospital_of_any_level_when_first_then_accepted_but_pharmacy_refused():
    member = make_member(admdvs="441600")
    assert ask(member, make_provider(admdvs="441600", kind="hospital", level="3"), date(2024, 5, 1), "first")
    other = make_member(admdvs="441600")
    assert "不能作为签约" in refused(other, make_provider(admdvs="441600", kind="pharmacy"),
                                  date(2024, 5, 1), "first")["fixmedins_code"][0]


def test_given_same_provider_as_current_when_change_then_refused(region):
    member = make_member(admdvs=region)
    current = make_provider(admdvs=region)
    make_signup(member=member, provider=current, effective_from=date(2024, 1, 1))
    assert "已是" in refused(member, current, date(2024, 4, 20), "address_change")["fixmedins_code"][0]
    assert "已是" in refused(member, current, date(2024, 11, 1), "annual")["fixmedins_code"][0]


def test_given_applied_on_outside_membership_when_requested_then_refused_on_applied_on(region):
    member = make_member(admdvs=region, enrolled_on=date(2024, 3, 1))
    provider = make_provider(admdvs=region)
    assert "早于参保日期" in refused(member, provider, date(2024, 2, 29), "first")["applied_on"][0]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert "不能晚于今天" in refused(member, provider, tomorrow, "first")["applied_on"][0]


def test_given_request_older_than_the_latest_when_requested_then_refused(region):
    member = make_member(admdvs=region)
    make_signup(member=member, provider=make_provider(admdvs=region), effective_from=date(2024, 6, 1))
    errors = refused(member, make_provider(admdvs=region), date(2024, 5, 1), "address_change")
    assert "最近一次签约申请" in errors["applied_on"][0]


@pytest.mark.parametrize("status", ["suspended", "left", "deceased"])
def test_given_member_not_active_when_requested_then_refused(region, status):
    member = make_member(admdvs=region, status=status)
    assert "不能签约" in refused(member, make_provider(admdvs=region), date(2024, 5, 1), "first")["certno"][0]


def test_given_unknown_member_provider_and_reason_when_requested_then_each_field_named():
    with pytest.raises(ValidationError) as caught:
        signup_request(admdvs="360100", certno="11010519491231002X", fixmedins_code="NOPE",
                       applied_on=date(2024, 5, 1), reason="whim")
    assert {"certno", "fixmedins_code", "reason"} <= set(caught.value.message_dict)


def test_family_doctor_is_recorded_in_nanchang_and_refused_in_heyuan():
    nanchang = ask(make_member(admdvs="360100"), make_provider(admdvs="360100"), date(2024, 5, 1), "first",
                   family_doctor=True)
    assert nanchang.family_doctor is True
    errors = refused(make_member(admdvs="441600"), make_provider(admdvs="441600"), date(2024, 5, 1), "first",
                     family_doctor=True)
    assert "没有家庭医生签约待遇" in errors["family_doctor"][0]
