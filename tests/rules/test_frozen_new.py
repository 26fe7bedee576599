"""policy.rules.common.frozen_new builds the same frozen instance as the constructor (the core's
Decision, the engine's VisitFacts and YearToDate), and refuses anything but exactly the fields."""
from dataclasses import FrozenInstanceError, fields
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from policy.rules.common import Decision, Step, VisitFacts, YearToDate, frozen_new

DECISION = dict(status="settled", reason=None, deductible=Decimal("50.00"), ratio=Decimal("0.60"),
                fund_pay=Decimal("30.00"), annual_cap=Decimal("4000"), charged_provider_code="P1",
                deltas={"fund": Decimal("30.00")}, steps=(Step("fund_pay", Decimal("30.00"), "n"),))


@pytest.mark.parametrize("cls, values", [
    (Decision, DECISION),
    (YearToDate, {"year": 2024, "buckets": {"fund": Decimal("1.00")}, "previous": {}}),
    (VisitFacts, dict(visit_at=datetime(2024, 3, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), eligible=Decimal("100.00"),
                      total=Decimal("100.00"), benefit="ordinary", emergency=False, referral=False, out_of_area="none",
                      channel="direct", exclusion=None, registration=None, prescriber=None)),
])
def test_given_every_field_when_built_then_it_is_the_constructors_instance_and_frozen(cls, values):
    built, constructed = frozen_new(cls, dict(values)), cls(**values)
    assert built == constructed and repr(built) == repr(constructed)
    assert all(getattr(built, f.name) is getattr(constructed, f.name) for f in fields(cls))
    with pytest.raises(FrozenInstanceError):
        built.year = 1   # still frozen


def test_given_a_field_missing_or_one_too_many_when_built_then_refused():
    with pytest.raises(TypeError):
        frozen_new(YearToDate, {"year": 2024})
    with pytest.raises(TypeError):
        frozen_new(YearToDate, {"year": 2024, "buckets": {}, "previous": {}, "extra": 1})
