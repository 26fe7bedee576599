"""Out-of-area visits through the REST API, region by region (RULES.md "Out-of-area care"), with
numbers computed by hand. ``out_of_area`` is never sent unless the test says so: the back office
derives it from the treating provider's admdvs and the registration in force, records it on the
claim, and explains it in the first step with the registration used."""
from datetime import date

import pytest

from claims.models import Claim
from tests.claims.helpers import body
from tests.factories import make_member, make_provider, make_registration

pytestmark = pytest.mark.django_db
CLAIMS = "/api/v1/claims/"
NANYANG, ZIBO, GANZHOU = "411300", "370300", "360700"
GUANGZHOU, SUZHOU, SHENZHEN = "440100", "320500", "440300"


def post(api_client, member, provider, visit_at, inscp, **extra):
    response = api_client.post(CLAIMS, body(member=member, provider=provider, visit_at=visit_at, inscp=inscp,
                                            **extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def outcome(data):
    return data["status"], data["reason"], data["out_of_area"], data["hifp_pay"]


@pytest.fixture
def away():
    """Designated providers of Guangzhou and Suzhou (no region of ours)."""
    return {"GZ-C1": make_provider(code="GZ-C1", admdvs=GUANGZHOU, level="1", kind="community"),
            "GZ-H3": make_provider(code="GZ-H3", admdvs=GUANGZHOU, level="3", kind="hospital"),
            "SZ-H2": make_provider(code="SZ-H2", admdvs=SUZHOU, level="2", kind="hospital")}


# -- Nanyang 第十五条: registration first, direct settlement only ----------------------------------

def test_nanyang_unregistered_registered_and_manual(api_client, city_admin, away):
    member = make_member(admdvs=NANYANG, psn_type="1101")
    registration = make_registration(member=member, kind="long_term", dest_admdvs=GUANGZHOU, start_on=date(2024, 5, 2))
    api_client.force_authenticate(city_admin)
    # the day before the registration: not covered
    before = post(api_client, member, away["GZ-H3"], "2024-05-01T10:00", "100.00")
    assert outcome(before) == ("not_covered", "out_of_area_not_registered", "unregistered", "0.00")
    assert before["steps"][0]["rule"] == "out_of_area"
    # registered, direct: L3 deductible 50, (100 − 50) × 50% = 25.00
    direct = post(api_client, member, away["GZ-H3"], "2024-05-03T10:00", "100.00")
    assert outcome(direct) == ("settled", None, "long_term", "25.00")
    assert (direct["act_pay_dedc"], direct["pool_prop_selfpay"]) == ("50.00", "0.5000")
    assert f"第{registration.pk}号" in direct["steps"][0]["note"]
    # registered, manual reimbursement: 0
    manual = post(api_client, member, away["GZ-H3"], "2024-05-04T10:00", "100.00", channel="manual")
    assert outcome(manual) == ("not_covered", "manual_out_of_area", "long_term", "0.00")
    # recorded on the claim with the registration used
    claim = Claim.objects.get(setl_id=direct["setl_id"])
    assert (claim.out_of_area, claim.inputs["registration"]["id"]) == ("long_term", registration.pk)


def test_nanyang_temporary_registration_follows_the_local_rules(api_client, city_admin, away):
    member = make_member(admdvs=NANYANG, psn_type="1101")
    make_registration(member=member, kind="temporary", dest_admdvs=GUANGZHOU, start_on=date(2024, 7, 1),
                      end_on=date(2024, 7, 31))
    api_client.force_authenticate(city_admin)
    # L1: no deductible, 100 × 60% = 60.00
    assert outcome(post(api_client, member, away["GZ-C1"], "2024-07-10T10:00", "100.00")) == (
        "settled", None, "temporary", "60.00")
    # the day after its end: unregistered
    assert outcome(post(api_client, member, away["GZ-C1"], "2024-08-01T10:00", "100.00"))[:3] == (
        "not_covered", "out_of_area_not_registered", "unregistered")


def test_a_registration_to_another_city_does_not_cover_this_one(api_client, city_admin, away):
    member = make_member(admdvs=NANYANG, psn_type="1101")
    make_registration(member=member, kind="long_term", dest_admdvs=SHENZHEN, start_on=date(2024, 1, 1))
    api_client.force_authenticate(city_admin)
    assert outcome(post(api_client, member, away["GZ-C1"], "2024-03-01T10:00", "100.00"))[2] == "unregistered"


@pytest.mark.parametrize("sent, at_home", [("none", False), ("unregistered", False), ("temporary", False),
                                           ("long_term", True), ("unregistered", True)])
def test_a_sent_out_of_area_that_disagrees_is_a_400_and_writes_nothing(api_client, city_admin, away, sent, at_home):
    # given a member registered long-term in Guangzhou, visiting Guangzhou (long_term) or home (none)
    member = make_member(admdvs=NANYANG, psn_type="1101")
    make_registration(member=member, kind="long_term", dest_admdvs=GUANGZHOU, start_on=date(2024, 1, 1))
    provider = make_provider(admdvs=NANYANG, level="2", kind="hospital") if at_home else away["GZ-H3"]
    api_client.force_authenticate(city_admin)
    # when the request says otherwise
    response = api_client.post(CLAIMS, body(member=member, provider=provider, visit_at="2024-03-01T10:00",
                                            out_of_area=sent), format="json")
    # then it is refused on out_of_area and nothing is recorded
    assert response.status_code == 400 and "out_of_area" in response.json(), response.content
    assert not Claim.objects.exists()


def test_a_sent_out_of_area_that_agrees_is_accepted(api_client, city_admin, away):
    member = make_member(admdvs=NANYANG, psn_type="1101")
    make_registration(member=member, kind="long_term", dest_admdvs=GUANGZHOU, start_on=date(2024, 1, 1))
    api_client.force_authenticate(city_admin)
    data = post(api_client, member, away["GZ-C1"], "2024-03-01T10:00", "100.00", out_of_area="long_term")
    assert outcome(data) == ("settled", None, "long_term", "60.00")


# -- Zibo 第六条: temporary pays 10% first; unregistered is temporary; long-term as local -----------

def test_zibo_unregistered_is_temporary_registered_temporary_and_long_term(api_client, city_admin, away):
    api_client.force_authenticate(city_admin)
    unregistered = make_member(admdvs=ZIBO, psn_type="1101")
    # 300 at L1: first pay 10% = 30.00; L1 annual deductible 50; (270 − 50) × 60% = 132.00
    data = post(api_client, unregistered, away["GZ-C1"], "2024-02-03T10:00", "300.00")
    assert outcome(data) == ("settled", None, "unregistered", "132.00")
    assert [s["rule"] for s in data["steps"][:3]] == ["out_of_area", "eligible", "temporary_out_of_area"]
    assert data["steps"][2]["amount"] == "30.00"
    temporary = make_member(admdvs=ZIBO, psn_type="1101")
    make_registration(member=temporary, kind="temporary", dest_admdvs=SUZHOU, start_on=date(2024, 3, 1),
                      end_on=date(2024, 3, 31))
    # 1000 at L2: first pay 100.00; L2 deductible 500; (900 − 500) × 60% = 240.00
    assert outcome(post(api_client, temporary, away["SZ-H2"], "2024-03-05T10:00", "1000.00")) == (
        "settled", None, "temporary", "240.00")
    long_term = make_member(admdvs=ZIBO, psn_type="1101")
    make_registration(member=long_term, kind="long_term", dest_admdvs=SUZHOU, start_on=date(2023, 6, 1))
    # as local, same level: (1000 − 500) × 60% = 300.00; a manual claim too (Zibo sets no such rule)
    assert outcome(post(api_client, long_term, away["SZ-H2"], "2024-03-05T10:00", "1000.00", channel="manual")) == (
        "settled", None, "long_term", "300.00")


# -- Ganzhou 第八条: registered as local at the treating level; unregistered not covered ------------

def test_ganzhou_registered_unregistered_and_manual(api_client, city_admin, away):
    api_client.force_authenticate(city_admin)
    member = make_member(admdvs=GANZHOU, psn_type="1101")
    assert outcome(post(api_client, member, away["GZ-H3"], "2024-03-01T10:00", "1000.00")) == (
        "not_covered", "out_of_area_not_registered", "unregistered", "0.00")
    make_registration(member=member, kind="long_term", dest_admdvs=GUANGZHOU, start_on=date(2024, 3, 2))
    # ordinary at L3: annual deductible 600; (1000 − 600) × 50% = 200.00 (the refused visit paid none)
    assert outcome(post(api_client, member, away["GZ-H3"], "2024-03-05T10:00", "1000.00")) == (
        "settled", None, "long_term", "200.00")
    # a manual claim is not restricted in Ganzhou: L1, deductible already met, 100 × 60% = 60.00
    assert outcome(post(api_client, member, away["GZ-C1"], "2024-03-06T10:00", "100.00", channel="manual")) == (
        "settled", None, "long_term", "60.00")
    traveller = make_member(admdvs=GANZHOU, psn_type="1101")
    make_registration(member=traveller, kind="temporary", dest_admdvs=GUANGZHOU, start_on=date(2024, 4, 1),
                      end_on=date(2024, 4, 30))
    # temporary: the same local rules, L1: (1000 − 600) × 60% = 240.00
    assert outcome(post(api_client, traveller, away["GZ-C1"], "2024-04-02T10:00", "1000.00")) == (
        "settled", None, "temporary", "240.00")


def test_registrations_cost_one_statement_and_only_where_they_are_read(city_admin, away):
    # given a Zibo member with a registration, one claim each already made (rows exist)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.services import claim_settle
    from tests.claims.helpers import request_for

    member = make_member(admdvs=ZIBO, psn_type="1101")
    make_registration(member=member, kind="long_term", dest_admdvs=SUZHOU, start_on=date(2024, 1, 1))
    home = make_provider(admdvs=ZIBO, level="2", kind="hospital")
    claim_settle(request=request_for(member=member, provider=home, visit_at="2024-03-01T10:00"), by=city_admin)
    # when a local visit is settled: member with its locked row, provider; the record, then the row (no
    # registrations; nothing of supervision's, which finds the claim by its transaction's id)
    with CaptureQueriesContext(connection) as local:
        claim_settle(request=request_for(member=member, provider=home, visit_at="2024-03-02T10:00"), by=city_admin)
    # when an out-of-area visit is settled: the same plus one statement for the registrations
    with CaptureQueriesContext(connection) as away_visit:
        claim_settle(request=request_for(member=member, provider=away["SZ-H2"], visit_at="2024-03-03T10:00"),
                     by=city_admin)
    verbs = [[q["sql"].split()[0].upper() for q in c.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
             for c in (local, away_visit)]
    assert verbs == [["SELECT", "SELECT", "INSERT", "UPDATE"],
                     ["SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"]]
