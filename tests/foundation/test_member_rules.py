"""members.rules.member_fields_check: the one set of member rules (API, admin and import), without a database."""
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from members.certno import make_certno
from members.rules import (
    INSUTYPES,
    MAX_CONTRIBUTION_BASE,
    NAME_MAX_LENGTH,
    STATUSES,
    member_fields_check,
)

TODAY = date(2024, 6, 30)
CERTNO = make_certno(area="411302", birth=date(1965, 3, 9), sequence=12)  # even sequence: female


def employee(**overrides) -> dict:
    """A valid Nanyang employee and the facts the caller looked up for it."""
    values = dict(certno=CERTNO, psn_name="李四", admdvs="411300", insutype="310", psn_type="1101", district="411302",
                  enrolled_on=date(2010, 1, 1), contribution_base=Decimal("5000.00"), region_insutype="310",
                  district_region="411300", today=TODAY)
    values.update(overrides)
    return values


def problems(**overrides) -> dict[str, list[tuple[str, str]]]:
    check = member_fields_check(**employee(**overrides))
    return {name: [(p.rule, p.message) for p in found] for name, found in check.errors.items()}


def test_given_a_valid_employee_when_checked_then_no_problem_and_birth_gender_from_the_certno():
    check = member_fields_check(**employee())
    assert check.errors == {}
    assert (check.certno, check.brdy, check.gend, check.psn_name) == (CERTNO, date(1965, 3, 9), "2", "李四")


def test_given_full_width_certno_and_name_when_checked_then_normalised_to_their_ascii_forms():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in CERTNO)
    check = member_fields_check(**employee(certno=f" {full_width.lower()}\u3000", psn_name="\u3000Ｚｈａｎｇ 三 "))
    assert check.errors == {}
    assert (check.certno, check.psn_name) == (CERTNO, "Zhang 三")


@pytest.mark.parametrize("overrides, field, rule", [
    ({"certno": CERTNO[:-1] + ("0" if CERTNO[-1] != "0" else "1")}, "certno", "certno"),  # checksum
    ({"certno": "١" * 18}, "certno", "certno"),                     # Arabic-Indic digits are not ASCII
    ({"psn_name": " \u3000"}, "psn_name", "required"),
    ({"psn_name": "名" * (NAME_MAX_LENGTH + 1)}, "psn_name", "invalid"),
    ({"region_insutype": None}, "admdvs", "unknown_region"),
    ({"region_insutype": "390"}, "insutype", "insutype_region"),
    ({"insutype": "999"}, "insutype", ["insutype_region", "enum"]),  # not the region's, and no scheme at all
    ({"psn_type": "1501"}, "psn_type", "psn_type_insutype"),
    ({"psn_type": "11²³"}, "psn_type", "psn_type_insutype"),        # str.isdigit() is true for it
    ({"district_region": None}, "district", "unknown_district"),
    ({"district_region": "360100"}, "district", "district_region"),
    ({"enrolled_on": None}, "enrolled_on", "required"),
    ({"enrolled_on": date(1960, 1, 1)}, "enrolled_on", "range"),     # before birth
    ({"enrolled_on": date(2024, 7, 1)}, "enrolled_on", "range"),     # after today
    ({"retired_on": date(2020, 5, 1)}, "retired_on", "retired_on"),  # 1101 is employed
    ({"psn_type": "1201", "retired_on": date(2024, 7, 1)}, "retired_on", "range"),
    ({"psn_type": "1201", "retired_on": date(1960, 1, 1)}, "retired_on", "range"),
    ({"contribution_base": Decimal("-0.01")}, "contribution_base", "range"),
    ({"contribution_base": MAX_CONTRIBUTION_BASE + Decimal("0.01")}, "contribution_base", "range"),
    ({"contribution_base": Decimal("12.345")}, "contribution_base", "invalid"),
    ({"contribution_base": Decimal("NaN")}, "contribution_base", "invalid"),
    ({"contribution_base": 12.5}, "contribution_base", "invalid"),  # a float is never money
    ({"status": "gone"}, "status", "enum"),
    ({"status": "deceased"}, "left_on", "required"),
    ({"left_on": date(2024, 7, 1)}, "left_on", "range"),
    ({"chronic_diseases": "M01"}, "chronic_diseases", "invalid"),
])
def test_given_one_broken_rule_when_checked_then_only_that_field_is_named_with_its_rule(overrides, field, rule):
    found = problems(**overrides)
    assert list(found) == [field]
    assert [r for r, _ in found[field]] == (rule if isinstance(rule, list) else [rule])


def test_given_a_retired_employee_with_a_retirement_date_when_checked_then_accepted():
    assert problems(psn_type="1201", retired_on=date(2020, 5, 31)) == {}


def test_given_a_field_whose_value_is_unknown_when_checked_then_rules_tying_others_to_it_are_skipped():
    # (an import cell that could not be read is None: its own message is already written)
    found = problems(admdvs=None, region_insutype=None, insutype=None, certno=None)
    assert set(found) == {"certno", "admdvs", "insutype"}  # not district, psn_type or the dates


def test_given_a_problem_when_rendered_then_the_service_and_the_import_read_it_in_chinese():
    # the staff pages are Chinese only (docs/staff.md): no English catalog, so no English in brackets
    check = member_fields_check(**employee(district_region="360100"))
    (problem,) = check.errors["district"]
    with translation.override("zh-hans"):
        assert check.messages() == {"district": ["县区 411302 不属于统筹区 411300"]}
    assert problem.bilingual() == "县区 411302 不属于统筹区 411300"


def test_given_the_rules_constants_then_they_match_the_member_model():
    from members.models import Member

    base = Member._meta.get_field("contribution_base")
    assert MAX_CONTRIBUTION_BASE == Decimal(10) ** (base.max_digits - base.decimal_places) - Decimal("0.01")
    assert NAME_MAX_LENGTH == Member._meta.get_field("psn_name").max_length
    assert list(STATUSES) == Member.Status.values
    assert list(INSUTYPES) == [code for code, _ in Member._meta.get_field("insutype").choices]
