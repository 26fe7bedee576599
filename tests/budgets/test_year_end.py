"""Both year-end formulas at and around every band edge, and the Nanchang county fund ceiling."""
from datetime import date

import pytest

from budgets.models import CountyFund
from budgets.services import settlement_run_compute
from tests.budgets.helpers import make_claim, make_provider, members_signed

pytestmark = pytest.mark.django_db


def _nanchang_centre(code="YE-N", district=None):
    """Budget 3 000.00: 10 members of group 5 (226) and 20 of group 1 (37)."""
    provider = make_provider(code=code, admdvs="360100", district=district)
    members = members_signed(n=10, provider=provider, birth=date(1954, 1, 1), since=date(2020, 1, 1))
    members_signed(n=20, provider=provider, birth=date(2004, 1, 1), since=date(2020, 1, 1))
    return provider, members[0]


@pytest.mark.parametrize("actual, band, determined", [
    ("2399.70", "below_80", "2399.70"),      # 79.99%
    ("2400.00", "80_to_90", "2700.00"),      # 80%: 2 400 + 50% × 600
    ("2699.70", "80_to_90", "2849.85"),      # 89.99%: 2 699.70 + 50% × 300.30
    ("2700.00", "90_and_over", "3000.00"),   # 90%
    ("3000.00", "90_and_over", "3000.00"),   # 100%
    ("3000.30", "90_and_over", "3000.00"),   # 100.01%
])
def test_given_nanchang_budget_3000_when_actual_at_edge_then_band(actual, band, determined):
    provider, member = _nanchang_centre()
    make_claim(member=member, charged=provider, visit=date(2024, 5, 5), hifp_pay=actual)

    line = settlement_run_compute(admdvs="360100", kind="year_end", period="2024").lines.get()

    assert (str(line.budget), line.band, str(line.determined), str(line.balance_due)) == \
        ("3000.00", band, determined, determined)


@pytest.mark.parametrize("actual, band, determined", [
    ("25596.80", "below_80", "26877.44"),    # 79.99%: + 20% × 6 403.20
    ("25600.00", "80_to_100", "30720.00"),   # 80%: + 80% × 6 400
    ("28796.80", "80_to_100", "31359.36"),   # 89.99%
    ("28800.00", "80_to_100", "31360.00"),   # 90%
    ("32000.00", "80_to_100", "32000.00"),   # 100%: no surplus
    ("32003.20", "over_100", "32000.00"),    # 100.01%: 超支不补
])
def test_given_heyuan_total_32000_when_actual_at_edge_then_band(actual, band, determined):
    provider = make_provider(code="YE-H", admdvs="441600", kind="community")
    member = members_signed(n=100, provider=provider, birth=date(1980, 1, 1), since=date(2023, 1, 1),
                            admdvs="441600")[0]
    make_claim(member=member, charged=provider, visit=date(2024, 5, 5), hifp_pay=actual)

    line = settlement_run_compute(admdvs="441600", kind="year_end", period="2024").lines.get()

    assert (str(line.budget), line.band, str(line.determined)) == ("32000.00", band, determined)


def test_given_district_fund_below_determined_when_year_end_then_excess_cut_pro_rata_exactly():
    a, member_a = _nanchang_centre(code="CUT-A", district="360102")
    b, member_b = _nanchang_centre(code="CUT-B", district="360102")
    c, member_c = _nanchang_centre(code="CUT-C", district="360103")       # other district: untouched
    make_claim(member=member_a, charged=a, visit=date(2024, 5, 5), hifp_pay="2700.00")   # → 3 000.00
    make_claim(member=member_b, charged=b, visit=date(2024, 5, 5), hifp_pay="1000.00")   # → 1 000.00
    make_claim(member=member_c, charged=c, visit=date(2024, 5, 5), hifp_pay="1000.00")
    CountyFund.objects.create(admdvs_id="360100", district_id="360102", year=2024, amount="3000.01")

    run = settlement_run_compute(admdvs="360100", kind="year_end", period="2024")

    lines = {line.provider.fixmedins_code: line for line in run.lines.select_related("provider")}
    # excess 999.99: 3/4 → 749.9925, 1/4 → 249.9975; floors 749.99 + 249.99, the last fen to the
    # larger remainder (B): cuts 749.99 and 250.00, summing exactly to the excess.
    assert (str(lines["CUT-A"].ceiling_cut), str(lines["CUT-A"].determined)) == ("749.99", "2250.01")
    assert (str(lines["CUT-B"].ceiling_cut), str(lines["CUT-B"].determined)) == ("250.00", "750.00")
    assert (str(lines["CUT-C"].ceiling_cut), str(lines["CUT-C"].determined)) == ("0.00", "1000.00")
    assert lines["CUT-A"].inputs["ceiling"]["excess"] == "999.99"
    assert run.totals["ceiling_cut"] == "999.99" and run.totals["determined"] == "4000.01"


def test_given_district_fund_above_determined_when_year_end_then_no_cut():
    a, member_a = _nanchang_centre(code="NOCUT", district="360102")
    make_claim(member=member_a, charged=a, visit=date(2024, 5, 5), hifp_pay="2700.00")
    CountyFund.objects.create(admdvs_id="360100", district_id="360102", year=2024, amount="3000.00")

    line = settlement_run_compute(admdvs="360100", kind="year_end", period="2024").lines.get()

    assert (str(line.ceiling_cut), str(line.determined), "ceiling" in line.inputs) == ("0.00", "3000.00", False)
