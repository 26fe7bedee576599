"""Differential check of Nanchang and Heyuan (sign-ups, claims, capitation runs) against the independent
model in model_capitation.py: seeded scenarios played through the REST API, every answer compared to the
fen; and the model itself checked against ../shared/policy/examples/settlement.md."""
from datetime import date
from decimal import Decimal

import pytest

from tests.contract import model_capitation as model
from tests.contract.scenarios_capitation import Driver, generate
from tests.contract.world import HEYUAN, NANCHANG

D = Decimal
SEEDS = range(1, 31)


def _member(key: str, birth: date, *signups: model.SignUp) -> model.Member:
    return model.Member(key, birth, signups=list(signups))


def test_model_reproduces_the_nanchang_worked_cases():
    # settlement.md "Nanchang, one township centre, 2024": 10 members born 1954 (226) and 20 born 2004 (37)
    signed = model.SignUp("A", date(2020, 1, 2), "first", date(2020, 1, 2))
    members = [_member(f"o{i}", date(1954, 3, 1), signed) for i in range(10)]
    members += [_member(f"y{i}", date(2004, 3, 1), signed) for i in range(20)]
    march = model.nanchang_monthly(members, {"A": D("300.00")}, 2024, 3)["A"]
    assert (march["quota"], march["paid"]) == (D("250.00"), D("250.00"))
    assert model.nanchang_monthly(members, {"A": D("100.00")}, 2024, 4)["A"]["paid"] == D("100.00")
    year = model.nanchang_year_end(members, {"A": D("2500.00")}, {"A": D("2800.00")}, 2024)["A"]
    assert (year["budget"], year["determined"], year["balance_due"]) == (D("3000.00"), D("2750.00"), D("-50.00"))
    assert model.nanchang_band(D("2399.99"), D("3000")) == (D("2399.99"), "below_80")
    assert model.nanchang_band(D("2700.00"), D("3000")) == (D("3000.00"), "90_and_over")
    # a first sign-up on 2024-09-15 with B: the full 226.00 in B's budget, quotas only from September
    late = _member("late", date(1954, 3, 1), model.SignUp("B", date(2024, 9, 15), "first", date(2024, 9, 15)))
    assert model.nanchang_year_end([late], {}, {}, 2024)["B"]["budget"] == D("226.00")
    assert "B" not in model.nanchang_monthly([late], {}, 2024, 8)
    assert model.nanchang_monthly([late], {}, 2024, 9)["B"]["quota"] == D("18.83")
    # signed with A since 2020, address change asked in April (effective 1 May) to B: 75.33 / 150.67
    moved = _member("moved", date(1954, 3, 1), signed,
                    model.SignUp("B", date(2024, 4, 10), "address_change", date(2024, 5, 1)))
    lines = model.nanchang_year_end([moved], {}, {}, 2024)
    assert (lines["A"]["budget"], lines["B"]["budget"]) == (D("75.33"), D("150.67"))


def test_model_reproduces_the_heyuan_worked_cases():
    # settlement.md "Heyuan, one clinic, 2024": 100 members selected all year
    signed = model.SignUp("A", date(2023, 1, 2), "first", date(2023, 1, 2))
    members = [_member(f"m{i}", date(1980, 1, 1), signed) for i in range(100)]
    month = model.heyuan_monthly(members, {}, 2024, 3)["A"]
    assert (month["quota"], month["paid"]) == (D("2666.67"), D("2133.33"))
    year = model.heyuan_year_end(members, {"A": D("27000.00")}, {"A": D("25599.96")}, 2024)["A"]
    assert (year["budget"], year["determined"], year["balance_due"]) == (D("32000.00"), D("31000.00"), D("5400.04"))
    assert model.heyuan_band(D("20000.00"), D("32000")) == (D("22400.00"), "below_80")
    assert model.heyuan_band(D("40000.00"), D("32000")) == (D("32000.00"), "over_100")
    # first selection on 2024-04-10: 240.00 of capitation and an annual cap of 1 350.00
    late = _member("late", date(1980, 1, 1), model.SignUp("A", date(2024, 4, 10), "first", date(2024, 4, 10)))
    assert model.heyuan_year_end([late], {}, {}, 2024)["A"]["budget"] == D("240.00")
    assert model.heyuan_annual_cap(late, 2024) == D("1350.00")
    # A suspended 2024-06-12, the member reassigned to B that day: 160.00 each
    moved = _member("moved", date(1980, 1, 1), signed,
                    model.SignUp("B", date(2024, 6, 12), "provider_suspended", date(2024, 6, 12)))
    lines = model.heyuan_year_end([moved], {}, {}, 2024)
    assert (lines["A"]["budget"], lines["B"]["budget"]) == (D("160.00"), D("160.00"))


@pytest.mark.django_db
@pytest.mark.parametrize("region", [NANCHANG, HEYUAN])
@pytest.mark.parametrize("seed", SEEDS)
def test_scenario_matches_the_model(world, city_admin, region, seed):
    driver = Driver(world(region), generate(region, seed), city_admin)
    driver.play()
    assert not driver.mismatches, "\n".join(driver.mismatches)
