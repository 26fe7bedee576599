"""Fee-for-service monthly runs (RULES.md "Paying providers"; settlement.md "Fee-for-service, Nanyang,
March 2024"), through the API, region by region."""
from datetime import date

import pytest

from budgets.models import SettlementRun
from claims.models import Claim
from tests.budgets.helpers import (approve_as_second_person, lines_by_code, make_claim, make_member, make_provider,
                                   make_signup, post_run, reverse_claim)

pytestmark = pytest.mark.django_db
FFS = "fee_for_service"


@pytest.fixture
def nanyang():
    """Given hospital H, pharmacy P, centre C with village clinic V, and a member of Nanyang."""
    region = "411300"
    h = make_provider(code="NY-H", admdvs=region, level="2", kind="hospital")
    p = make_provider(code="NY-P", admdvs=region, kind="pharmacy")
    c = make_provider(code="NY-C", admdvs=region, kind="township")
    v = make_provider(code="NY-V", admdvs=region, kind="village", parent=c)
    return region, h, p, c, v, make_member(admdvs=region)


def test_given_settlement_md_march_when_run_then_h_132_and_p_38_50(staff_client, nanyang):
    region, h, p, c, v, member = nanyang
    make_claim(member=member, charged=h, visit=date(2024, 3, 4), hifp_pay="38.50", medfee="70.00")
    reversed_visit = make_claim(member=member, charged=h, visit=date(2024, 3, 11), hifp_pay="55.00", medfee="100.00")
    make_claim(member=member, charged=h, visit=date(2024, 3, 20), hifp_pay="93.50", medfee="170.00")
    reverse_claim(reversed_visit)                                           # in March, before the run
    make_claim(member=member, charged=p, visit=date(2024, 3, 21), hifp_pay="38.50", medfee="70.00")
    make_claim(member=member, charged=c, provider=v, visit=date(2024, 3, 22), hifp_pay="12.00", medfee="20.00")

    response = post_run(staff_client, region, FFS, "2024-03")

    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["kind"], run["period"], run["status"]) == (FFS, "2024-03", "draft")
    lines = lines_by_code(staff_client, run["id"])
    assert set(lines) == {"NY-H", "NY-P", "NY-C"}                           # the village clinic is in its centre
    # H: 38.50 + 55.00 + 93.50 − 55.00 = 132.00; visits 3 − 1 = 2; cost 70 + 100 + 170 − 100 = 240.00
    h_line = lines["NY-H"]
    assert (h_line["actual"], h_line["paid"], h_line["visits"], h_line["medfee_sumamt"]) == ("132.00", "132.00", 2,
                                                                                            "240.00")
    assert (h_line["deductions"], lines["NY-P"]["actual"], lines["NY-P"]["paid"]) == ("0.00", "38.50", "38.50")
    assert (lines["NY-C"]["actual"], lines["NY-C"]["visits"]) == ("12.00", 1)
    # run total 132.00 + 38.50 + 12.00 = 182.50
    assert run["totals"]["paid"] == "182.50" and run["totals"]["visits"] == 4


def test_given_reversal_after_approval_when_april_runs_then_netted_there(staff_client, nanyang):
    region, h, p, c, v, member = nanyang
    make_claim(member=member, charged=h, visit=date(2024, 3, 4), hifp_pay="38.50")
    reversed_visit = make_claim(member=member, charged=h, visit=date(2024, 3, 11), hifp_pay="55.00", medfee="100.00")
    make_claim(member=member, charged=h, visit=date(2024, 3, 20), hifp_pay="93.50")
    march = post_run(staff_client, region, FFS, "2024-03").json()
    assert approve_as_second_person(staff_client, march["id"]).status_code == 200
    reversal = reverse_claim(reversed_visit)                                # after March was approved
    make_claim(member=member, charged=h, visit=date(2024, 4, 2), hifp_pay="150.00", medfee="250.00")

    april = post_run(staff_client, region, FFS, "2024-04").json()

    # April H: −55.00 + 150.00 = 95.00; visits −1 + 1 = 0; cost −100 + 250 = 150.00
    line = lines_by_code(staff_client, april["id"])["NY-H"]
    assert (line["actual"], line["paid"], line["visits"], line["medfee_sumamt"]) == ("95.00", "95.00", 0, "150.00")
    assert lines_by_code(staff_client, march["id"])["NY-H"]["actual"] == "187.00"    # 38.50 + 55.00 + 93.50
    assert approve_as_second_person(staff_client, april["id"]).status_code == 200
    assert Claim.objects.get(pk=reversal.pk).monthly_run_id == april["id"]


@pytest.mark.parametrize("region, level", [("370300", "1"), ("360700", "1")])
def test_given_zibo_or_ganzhou_month_when_run_then_one_line_per_paid_provider(staff_client, region, level):
    hospital = make_provider(admdvs=region, level=level, kind="hospital")
    pharmacy = make_provider(admdvs=region, kind="pharmacy")
    centre = make_provider(admdvs=region, kind="community")
    village = make_provider(admdvs=region, kind="village", parent=centre)
    member = make_member(admdvs=region)
    late = make_claim(member=member, charged=hospital, visit=date(2024, 5, 31), hifp_pay="40.00")
    make_claim(member=member, charged=hospital, visit=date(2024, 5, 3), hifp_pay="21.15")
    early = make_claim(member=member, charged=pharmacy, visit=date(2024, 5, 6), hifp_pay="17.25")
    reverse_claim(early)                                                    # before the run
    make_claim(member=member, charged=pharmacy, visit=date(2024, 5, 7), hifp_pay="9.90")
    make_claim(member=member, charged=centre, provider=village, visit=date(2024, 5, 8), hifp_pay="6.60")
    make_claim(member=member, charged=hospital, visit=date(2024, 6, 1), hifp_pay="99.00")     # June: not in May

    may = post_run(staff_client, region, FFS, "2024-05").json()
    lines = lines_by_code(staff_client, may["id"])
    approve_as_second_person(staff_client, may["id"])
    reverse_claim(late)                                                     # after approval
    june = post_run(staff_client, region, FFS, "2024-06").json()

    # May: hospital 40.00 + 21.15 = 61.15; pharmacy 17.25 − 17.25 + 9.90 = 9.90; centre 6.60 (its village)
    assert {code: (line["actual"], line["visits"]) for code, line in lines.items()} == {
        hospital.fixmedins_code: ("61.15", 2), pharmacy.fixmedins_code: ("9.90", 1),
        centre.fixmedins_code: ("6.60", 1)}
    # June: hospital 99.00 − 40.00 = 59.00, visits 1 − 1 = 0
    june_line = lines_by_code(staff_client, june["id"])[hospital.fixmedins_code]
    assert (june_line["actual"], june_line["paid"], june_line["visits"]) == ("59.00", "59.00", 0)


def test_given_heyuan_month_when_run_then_only_emergencies_before_any_selection(staff_client):
    """Heyuan: the in-city visits of selected members are capitation's; an emergency of a member with
    no selection yet is fee-for-service (a village clinic's to its centre); a pharmacy is never paid."""
    region = "441600"
    selected = make_provider(code="HY-SEL", admdvs=region, kind="community")
    hospital = make_provider(code="HY-H", admdvs=region, level="2", kind="hospital")
    centre = make_provider(code="HY-C", admdvs=region, kind="township")
    village = make_provider(code="HY-V", admdvs=region, kind="village", parent=centre)
    pharmacy = make_provider(code="HY-P", admdvs=region, kind="pharmacy")
    with_selection, newcomer = make_member(admdvs=region), make_member(admdvs=region)
    make_signup(member=with_selection, provider=selected, effective_from=date(2023, 1, 1))
    make_signup(member=newcomer, provider=selected, effective_from=date(2024, 3, 20))
    make_claim(member=with_selection, charged=selected, visit=date(2024, 3, 5), hifp_pay="30.00")
    make_claim(member=with_selection, charged=selected, provider=hospital, visit=date(2024, 3, 6), hifp_pay="70.00",
               emergency=True)                                              # in-city emergency: capitation
    make_claim(member=newcomer, charged=hospital, visit=date(2024, 3, 2), hifp_pay="80.00", emergency=True)
    reversed_visit = make_claim(member=newcomer, charged=hospital, visit=date(2024, 3, 3), hifp_pay="25.00",
                                emergency=True)
    reverse_claim(reversed_visit)
    village_visit = make_claim(member=newcomer, charged=centre, provider=village, visit=date(2024, 3, 9),
                               hifp_pay="45.00", emergency=True)
    make_claim(member=newcomer, charged=pharmacy, visit=date(2024, 3, 10), hifp_pay="0.00", status="not_covered")
    make_claim(member=newcomer, charged=selected, visit=date(2024, 3, 25), hifp_pay="20.00", emergency=True)

    ffs = post_run(staff_client, region, FFS, "2024-03").json()
    capitation = post_run(staff_client, region, "monthly", "2024-03").json()
    approve_as_second_person(staff_client, ffs["id"])
    reverse_claim(village_visit)                                            # after approval
    april = post_run(staff_client, region, FFS, "2024-04").json()

    lines = lines_by_code(staff_client, ffs["id"])
    # FFS: hospital 80.00 + 25.00 − 25.00 = 80.00 (1 visit); centre 45.00 (its village clinic)
    assert {code: (line["actual"], line["visits"]) for code, line in lines.items()} == {
        "HY-H": ("80.00", 1), "HY-C": ("45.00", 1)}
    # capitation actual of the selected clinic: 30.00 + 70.00 + 20.00 (after the selection) = 120.00
    assert lines_by_code(staff_client, capitation["id"])["HY-SEL"]["actual"] == "120.00"
    assert lines_by_code(staff_client, april["id"])["HY-C"]["actual"] == "-45.00"          # a recovery


def test_given_approved_run_when_posted_again_then_nothing_changes(staff_client, nanyang):
    region, h, p, c, v, member = nanyang
    make_claim(member=member, charged=h, visit=date(2024, 3, 4), hifp_pay="38.50")
    run = post_run(staff_client, region, FFS, "2024-03").json()
    approve_as_second_person(staff_client, run["id"])
    before = lines_by_code(staff_client, run["id"])
    make_claim(member=member, charged=h, visit=date(2024, 3, 5), hifp_pay="10.00")

    again = post_run(staff_client, region, FFS, "2024-03").json()

    assert again == {**run, "status": "approved", "approved_at": again["approved_at"],
                     "approved_by": again["approved_by"]}
    assert lines_by_code(staff_client, run["id"]) == before and SettlementRun.objects.count() == 1


def test_given_computing_user_when_approving_own_ffs_run_then_403(staff_client, nanyang):
    region, h, *_ = nanyang
    run = post_run(staff_client, region, FFS, "2024-03").json()

    response = staff_client.post(f"/api/v1/settlement-runs/{run['id']}/approve/")

    assert response.status_code == 403 and SettlementRun.objects.get(pk=run["id"]).status == "draft"


@pytest.mark.parametrize("body, field", [
    ({"admdvs": "360100", "kind": FFS, "period": "2024-03"}, "admdvs"),     # Nanchang: no fee-for-service run
    ({"admdvs": "411300", "kind": "monthly", "period": "2024-03"}, "admdvs"),
    ({"admdvs": "411300", "kind": FFS, "period": "2024"}, "period"),
    ({"admdvs": "411300", "kind": FFS, "period": "2999-01"}, "period"),
])
def test_given_bad_fee_for_service_request_when_posting_then_400(staff_client, body, field):
    response = staff_client.post("/api/v1/settlement-runs/", body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert SettlementRun.objects.count() == 0
