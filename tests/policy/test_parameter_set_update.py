"""parameter_set_update: a set a claim used is frozen (only its end date may be set), others are editable."""
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from policy.models import ParameterSet
from policy.services import parameter_set_update
from tests.factories import make_claim_using, make_staff

pytestmark = pytest.mark.django_db


def nanchang_set() -> ParameterSet:
    return ParameterSet.objects.filter(region_id="360100").order_by("effective_from").first()


def refusal(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_given_an_unused_set_when_a_value_and_the_note_change_then_saved():
    ps = nanchang_set()

    updated = parameter_set_update(parameter_set=ps, values=dict(ps.values, ratio_signed="0.62"), note="2024 调整",
                                   by=make_staff())

    ps.refresh_from_db()
    assert ps.values["ratio_signed"] == "0.62" and ps.note == "2024 调整"
    assert updated.values == ps.values


def test_given_an_unused_set_when_a_value_is_out_of_range_then_refused_naming_the_key():
    ps = nanchang_set()

    with pytest.raises(ValidationError) as exc:
        parameter_set_update(parameter_set=ps, values=dict(ps.values, ratio_signed="1.60"))

    assert any("ratio_signed" in message for message in refusal(exc)["values"])
    ps.refresh_from_db()
    assert ps.values["ratio_signed"] == "0.60"


@pytest.mark.parametrize("field, value", [
    ("values", "ratio_signed=0.62"),
    ("note", "改一下说明"),
    ("effective_from", date(2020, 2, 1)),
    ("region", "411300"),
])
def test_given_a_set_a_claim_used_when_a_frozen_field_changes_then_refused_naming_field_and_rule(field, value):
    ps = nanchang_set()
    make_claim_using(ps)
    if field == "values":
        value = dict(ps.values, ratio_signed="0.62")

    with pytest.raises(ValidationError) as exc:
        parameter_set_update(parameter_set=ps, **{field: value}, effective_to=date(2023, 12, 31))

    messages = refusal(exc)
    assert list(messages) == [field]
    assert "该版本已被结算使用" in messages[field][0]
    assert str(ParameterSet._meta.get_field(field).verbose_name) in messages[field][0]
    ps.refresh_from_db()
    assert ps.effective_to is None and ps.values["ratio_signed"] == "0.60"  # nothing of the call was saved


def test_given_a_set_a_claim_used_when_only_its_end_date_is_set_then_saved():
    ps = nanchang_set()
    make_claim_using(ps, visit_date=date(2023, 3, 1))

    parameter_set_update(parameter_set=ps, effective_to=date(2023, 3, 1), values=dict(ps.values), note=ps.note)

    ps.refresh_from_db()
    assert ps.effective_to == date(2023, 3, 1)  # unchanged frozen fields passed along are no change


def test_given_a_set_a_claim_used_when_its_end_date_is_cleared_then_refused():
    ps = nanchang_set()
    make_claim_using(ps)

    with pytest.raises(ValidationError) as exc:
        parameter_set_update(parameter_set=ps, effective_to=None)

    assert refusal(exc) == {"effective_to": ["该版本已被结算使用：只能填写失效日期"]}


def test_given_a_set_a_claim_used_when_it_would_end_before_that_visit_then_refused_naming_the_date():
    ps = nanchang_set()
    make_claim_using(ps, visit_date=date(2023, 3, 1))

    with pytest.raises(ValidationError) as exc:
        parameter_set_update(parameter_set=ps, effective_to=date(2023, 2, 28))

    assert "2023-03-01" in refusal(exc)["effective_to"][0]
    ps.refresh_from_db()
    assert ps.effective_to is None


def test_given_a_caller_holding_a_stale_copy_when_updating_then_the_stored_row_decides():
    # The admin's form has already copied its edits onto the instance it passes: the freeze is judged
    # against the stored row, not against that copy.
    ps = nanchang_set()
    make_claim_using(ps)
    ps.note = "表单里已改"

    with pytest.raises(ValidationError) as exc:
        parameter_set_update(parameter_set=ps, note="表单里已改", effective_to=date(2023, 12, 31))

    assert list(refusal(exc)) == ["note"]
