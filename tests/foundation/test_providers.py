"""Provider services: registration rules, status changes, and moving a suspended provider's members."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from members.models import SignUp
from members.selectors import signup_in_effect
from providers.models import Provider
from providers.services import provider_create, provider_members_reassign, provider_set_status, provider_update
from tests.factories import make_member, make_provider, make_signup, make_staff

pytestmark = pytest.mark.django_db
ON = date(2024, 6, 3)


def located(code, lat, lon, **extra):
    return make_provider(code=code, latitude=Decimal(lat), longitude=Decimal(lon), **extra)


def suspended(provider, on=date(2024, 6, 1)):
    return provider_set_status(provider=provider, status="suspended", on=on)


def test_given_valid_data_when_provider_created_then_saved_active():
    provider = provider_create(fixmedins_code="H441600001", fixmedins_name="源城区人民医院", admdvs="441600",
                               district="441602", dedc_hosp_lv="2", kind="hospital")
    assert (provider.status, provider.status_changed_on) == ("active", None)


@pytest.mark.parametrize("overrides, field", [
    ({"district": "360102"}, "district"),
    ({"admdvs": "999999"}, "admdvs"),
    ({"dedc_hosp_lv": "4"}, "dedc_hosp_lv"),
    ({"kind": "village"}, "parent_code"),                 # a village clinic needs its centre
    ({"parent_code": "NOPE"}, "parent_code"),             # only village clinics have one
    ({"latitude": Decimal("91")}, "latitude"),
    ({"fixmedins_code": "DUP"}, "fixmedins_code"),
])
def test_given_bad_field_when_provider_created_then_400_names_it(overrides, field):
    make_provider(code="DUP", admdvs="441600")
    before = Provider.objects.count()
    values = dict(fixmedins_code="NEW1", fixmedins_name="某卫生院", admdvs="441600", district="441602",
                  dedc_hosp_lv="1", kind="township")
    with pytest.raises(ValidationError) as caught:
        provider_create(**{**values, **overrides})
    assert field in caught.value.message_dict
    assert Provider.objects.count() == before


def test_given_provider_when_status_changes_then_change_day_recorded():
    provider = make_provider()
    provider_update(provider=provider, data={"status": "terminated"})
    provider.refresh_from_db()
    assert (provider.status, provider.status_changed_on) == ("terminated", timezone.localdate())
    assert suspended(make_provider(), on=ON).status_changed_on == ON


def test_given_provider_when_code_or_region_changed_then_refused():
    provider = make_provider(admdvs="360100")
    with pytest.raises(ValidationError) as caught:
        provider_update(provider=provider, data={"fixmedins_code": "OTHER", "admdvs": "441600"})
    assert {"fixmedins_code", "admdvs"} <= set(caught.value.message_dict)


def test_given_suspended_nanchang_centre_when_reassigned_then_members_go_to_nearest_eligible_in_district():
    # A at 28.68N 115.89E. X is 0.05° east, Y 0.045° north. In raw degrees Y looks nearer (0.002025 <
    # 0.0025), but a degree of longitude at 28.68° is cos(28.68°) = 0.8773 of one of latitude:
    # X = (0.05 × 0.8773)² = 0.001924 < Y = 0.002025, i.e. 4.88 km against 5.01 km. X is the nearest.
    a = located("NC-A", "28.680000", "115.890000")
    x = located("NC-X", "28.680000", "115.940000")
    y = located("NC-Y", "28.725000", "115.890000")
    located("NC-Z", "28.681000", "115.891000", district="360103")              # another district
    located("NC-V", "28.680100", "115.890100", kind="village", parent=x)      # a service point
    located("NC-H", "28.680200", "115.890200", kind="hospital", level="2")    # not a sign-up kind
    located("NC-S", "28.680300", "115.890300", status="suspended")
    moving = [make_member() for _ in range(2)]
    for member in moving:
        make_signup(member=member, provider=a, effective_from=date(2024, 1, 1), family_doctor=True)
    elsewhere, gone = make_member(), make_member(status="left", left_on=date(2024, 3, 1))
    make_signup(member=elsewhere, provider=y, effective_from=date(2024, 1, 1))
    make_signup(member=gone, provider=a, effective_from=date(2024, 1, 1))
    clerk = make_staff(admdvs="360100")

    created = provider_members_reassign(provider=suspended(a), on=ON, by=clerk)

    assert len(created) == 2
    for member in moving:
        signup = signup_in_effect(member=member, day=ON)
        assert (signup.provider, signup.reason, signup.effective_from, signup.applied_on) == (
            x, "provider_suspended", ON, ON)
        assert signup.family_doctor is False and signup.created_by == clerk
        assert signup_in_effect(member=member, day=date(2024, 6, 2)).provider == a
    assert signup_in_effect(member=elsewhere, day=ON).provider == y
    assert signup_in_effect(member=gone, day=ON).provider == a
    assert provider_members_reassign(provider=a, on=ON) == []   # already moved: nothing twice


def test_given_no_coordinates_when_reassigned_then_lowest_code_of_the_district():
    a = make_provider(code="NC-A")
    make_provider(code="NC-B2")
    make_provider(code="NC-B1")
    member = make_member()
    make_signup(member=member, provider=a, effective_from=date(2024, 1, 1))
    provider_members_reassign(provider=suspended(a), on=ON)
    assert signup_in_effect(member=member, day=ON).provider.fixmedins_code == "NC-B1"


def test_given_some_candidates_unlocated_when_reassigned_then_located_ones_first():
    a = located("NC-A", "28.680000", "115.890000")
    make_provider(code="NC-0")   # no coordinates, lower code
    far = located("NC-F", "28.900000", "116.100000")
    member = make_member()
    make_signup(member=member, provider=a, effective_from=date(2024, 1, 1))
    provider_members_reassign(provider=suspended(a), on=ON)
    assert signup_in_effect(member=member, day=ON).provider == far


def test_given_active_provider_when_reassigned_then_refused():
    with pytest.raises(ValidationError) as caught:
        provider_members_reassign(provider=make_provider(), on=ON)
    assert "provider" in caught.value.message_dict


def test_given_no_eligible_provider_in_district_when_reassigned_then_refused_and_nothing_written():
    a = make_provider()
    make_signup(member=make_member(), provider=a, effective_from=date(2024, 1, 1))
    before = SignUp.objects.count()
    with pytest.raises(ValidationError) as caught:
        provider_members_reassign(provider=suspended(a), on=ON)
    assert "target" in caught.value.message_dict and SignUp.objects.count() == before


def test_given_heyuan_when_reassigned_then_target_required_and_used():
    a, chosen = make_provider(admdvs="441600"), make_provider(admdvs="441600", kind="hospital", level="2")
    member = make_member(admdvs="441600")
    make_signup(member=member, provider=a, effective_from=date(2024, 1, 1))
    suspended(a)
    with pytest.raises(ValidationError) as caught:
        provider_members_reassign(provider=a, on=ON)
    assert "自行选点" in caught.value.message_dict["target"][0]
    provider_members_reassign(provider=a, on=ON, target=chosen)
    assert signup_in_effect(member=member, day=ON).provider == chosen


def test_given_reassignment_before_the_suspension_when_asked_then_refused():
    a = make_provider()
    make_provider()
    with pytest.raises(ValidationError) as caught:
        provider_members_reassign(provider=suspended(a, on=ON), on=date(2024, 6, 2))
    assert "on" in caught.value.message_dict
