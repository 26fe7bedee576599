"""member_create / member_update: derived fields, the scheme rules, the audit trail, nothing half written."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from members.certno import make_certno
from members.models import Member, MemberChange
from members.services import member_create, member_update
from tests.factories import make_member, make_staff

pytestmark = pytest.mark.django_db


def employee(**overrides):
    values = dict(admdvs="411300", certno=make_certno(area="411302", birth=date(1965, 3, 9), sequence=12),
                  psn_name="李四", insutype="310", psn_type="1101", district="411302", enrolled_on=date(2010, 1, 1),
                  contribution_base=Decimal("5000.00"))
    values.update(overrides)
    return values


def refused(**overrides) -> dict:
    members, changes = Member.objects.count(), MemberChange.objects.count()
    with pytest.raises(ValidationError) as caught:
        member_create(**employee(**overrides))
    assert (Member.objects.count(), MemberChange.objects.count()) == (members, changes)
    return caught.value.message_dict


def test_given_valid_employee_when_created_then_birth_gender_derived_and_change_recorded():
    clerk = make_staff(admdvs="411300")
    certno = make_certno(area="411302", birth=date(1965, 3, 9), sequence=12)  # sequence 012: even -> female
    member = member_create(**employee(certno=certno.lower()), by=clerk)
    assert member.certno == certno and member.brdy == date(1965, 3, 9) and member.gend == "2"
    change = MemberChange.objects.get(member=member)
    assert (change.action, change.changed_by, change.before) == ("create", clerk, {})
    assert change.after["contribution_base"] == "5000.00" and change.after["district"] == "411302"


def test_given_lower_case_x_certno_when_created_then_stored_upper_case():
    member = member_create(**employee(certno="11010519491231002x", psn_type="1201", retired_on=date(2009, 12, 31)))
    assert member.certno == "11010519491231002X"


@pytest.mark.parametrize("overrides, field", [
    ({"certno": "110105194912310021"}, "certno"),               # bad checksum
    ({"certno": "110105491231002"}, "certno"),                  # 15 digits
    ({"insutype": "390", "psn_type": "1501"}, "insutype"),      # Nanyang is an employee scheme
    ({"psn_type": "1501"}, "psn_type"),                         # resident type under 310
    ({"psn_type": "11"}, "psn_type"),
    ({"retired_on": date(2020, 5, 1)}, "retired_on"),           # 1101 is employed
    ({"psn_type": "1201", "retired_on": date(2099, 1, 1)}, "retired_on"),
    ({"district": "360102"}, "district"),                       # Nanchang's district
    ({"district": "999999"}, "district"),
    ({"contribution_base": Decimal("-0.01")}, "contribution_base"),
    ({"admdvs": "999999"}, "admdvs"),
    ({"psn_name": "  "}, "psn_name"),
    ({"enrolled_on": date(1960, 1, 1)}, "enrolled_on"),         # before birth
])
def test_given_bad_field_when_created_then_400_names_it_and_nothing_written(overrides, field):
    assert field in refused(**overrides)


def test_given_resident_region_when_resident_type_then_accepted():
    member = member_create(admdvs="360100", certno=make_certno(area="360102", birth=date(2001, 1, 2), sequence=7),
                           psn_name="王五", insutype="390", psn_type="1501", district="360102",
                           enrolled_on=date(2020, 1, 1))
    assert member.insutype == "390"


def test_given_existing_member_when_same_certno_registered_again_then_400_on_certno():
    member_create(**employee())
    errors = refused()
    assert "已有身份证号" in errors["certno"][0]


def test_given_member_when_updated_then_only_changed_fields_audited():
    clerk = make_staff(admdvs="411300")
    member = member_create(**employee())
    member_update(member=member, data={"psn_type": "1201", "retired_on": date(2024, 1, 31), "psn_name": "李四"},
                  by=clerk)
    change = MemberChange.objects.filter(action="update").get()
    assert change.before == {"psn_type": "1101", "retired_on": None}
    assert change.after == {"psn_type": "1201", "retired_on": "2024-01-31"}
    assert change.changed_by == clerk


def test_given_member_when_update_changes_nothing_then_no_audit_row():
    member = member_create(**employee())
    member_update(member=member, data={"psn_name": "李四"})
    assert MemberChange.objects.filter(action="update").count() == 0


@pytest.mark.parametrize("data, field", [
    ({"certno": "11010519491231002X"}, "certno"),
    ({"brdy": date(1990, 1, 1)}, "brdy"),
    ({"district": "370302"}, "district"),
    ({"retired_on": date(2024, 1, 31)}, "retired_on"),      # still 1101
    ({"status": "left"}, "left_on"),                          # leaving needs its date
])
def test_given_bad_update_when_applied_then_400_and_member_unchanged(data, field):
    member = member_create(**employee())
    with pytest.raises(ValidationError) as caught:
        member_update(member=member, data=data)
    assert field in caught.value.message_dict
    member.refresh_from_db()
    assert (member.district_id, member.retired_on, member.status) == ("411302", None, "active")
    assert MemberChange.objects.filter(action="update").count() == 0


@pytest.mark.parametrize("retired_on, last_employed_day, first_retired_day", [
    (date(2024, 3, 15), date(2024, 3, 31), date(2024, 4, 1)),
    (date(2024, 1, 31), date(2024, 1, 31), date(2024, 2, 1)),    # processed on a month's last day
    (date(2024, 2, 29), date(2024, 2, 29), date(2024, 3, 1)),    # leap-year February
    (date(2024, 12, 31), date(2024, 12, 31), date(2025, 1, 1)),  # December: switch in the next year
    (date(2024, 12, 1), date(2024, 12, 31), date(2025, 1, 1)),
])
def test_given_retirement_processed_when_asked_around_month_end_then_retired_from_next_month(
        retired_on, last_employed_day, first_retired_day):
    member = make_member(admdvs="411300", psn_type="1201", retired_on=retired_on)
    assert member.person_type_on(retired_on) == "employed"
    assert member.person_type_on(last_employed_day) == "employed"
    assert member.person_type_on(first_retired_day) == "retired"


def test_given_retired_type_without_date_when_asked_then_retired():
    assert make_member(admdvs="411300", psn_type="1201").person_type_on(date(2024, 1, 1)) == "retired"
