"""Findings 2 and 8: no future visits, and no 500s from deep JSON, huge amounts, edge-of-calendar dates
(API and claims import alike), or an unbounded page size."""
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Accumulator, Claim
from tests.claims.helpers import body
from tests.factories import make_member, make_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api_client, city_admin):
    api_client.force_authenticate(city_admin)
    return api_client, make_member(admdvs="370300"), make_provider(admdvs="370300", level="2", kind="hospital")


def tomorrow_in_shanghai() -> str:
    return (timezone.localtime(timezone.now()) + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("visit_at", ["tomorrow", "2030-01-01T10:00:00+08:00", "9999-12-31T10:00:00+08:00"])
def test_a_future_visit_is_refused_and_nothing_is_written(world, visit_at):
    client, member, provider = world
    # when a visit dated tomorrow (service time zone), in 2030 or in 9999 is posted
    response = client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at=(
        tomorrow_in_shanghai() if visit_at == "tomorrow" else visit_at)), format="json")
    # then 400 on visit_at, no claim and no accumulator row for that year
    assert response.status_code == 400 and "visit_at" in response.json(), response.content
    assert not Claim.objects.exists() and not Accumulator.objects.exists()


@pytest.mark.parametrize("visit_at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                                      "2024-02-30T10:00:00", "2024-03-01T10:00:00+25:00", "1899-12-31T10:00:00"])
def test_edge_of_calendar_dates_are_a_400(world, visit_at):
    client, member, provider = world
    response = client.post("/api/v1/claims/", body(member=member, provider=provider, visit_at=visit_at),
                           format="json")
    assert response.status_code == 400 and "visit_at" in response.json(), response.content


@pytest.mark.parametrize("amount", ["1e400", "9" * 200, "2_0.00", "NaN", "-Infinity", "1E+2"])
def test_amounts_that_are_not_plain_money_are_a_400(world, amount):
    client, member, provider = world
    payload = {**body(member=member, provider=provider, visit_at="2024-03-01T10:00"), "medfee_sumamt": amount}
    response = client.post("/api/v1/claims/", payload, format="json")
    assert response.status_code == 400 and "medfee_sumamt" in response.json(), response.content


@pytest.mark.parametrize("raw", ["1e400", "9" * 200])
def test_json_numbers_beyond_the_column_are_a_400(world, raw):
    # the JSON number itself (not a string): parsed as Decimal, refused by range before any quantize
    client, member, provider = world
    text = (f'{{"certno": "{member.certno}", "admdvs": "370300", "fixmedins_code": "{provider.fixmedins_code}",'
            f' "visit_at": "2024-03-01T10:00", "medfee_sumamt": {raw}, "inscp_scp_amt": {raw}}}')
    response = client.post("/api/v1/claims/", text, content_type="application/json")
    assert response.status_code == 400, response.content


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400(world, depth):
    client, _member, _provider = world
    response = client.post("/api/v1/claims/", "[" * depth + "]" * depth, content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()["non_field_errors"][0]


def test_a_body_over_the_limit_is_a_413_before_it_is_read(world, settings):
    client, _member, _provider = world
    settings.REQUEST_BODY_MAX_BYTES = 1000
    response = client.post("/api/v1/claims/", '{"certno": "' + "x" * 2000 + '"}', content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"


@pytest.mark.parametrize("params", [{"limit": "1000000000"}, {"limit": "999999999999999999999"}])
def test_an_unbounded_limit_is_capped(world, params):
    client, _member, _provider = world
    response = client.get("/api/v1/members/", params)
    assert response.status_code == 200 and len(response.json()["results"]) <= 500


def test_an_offset_beyond_a_bigint_is_a_400_not_a_500(world):
    client, _member, _provider = world
    response = client.get("/api/v1/claims/", {"offset": "99999999999999999999999"})
    assert response.status_code == 400


def test_the_claims_import_refuses_edge_dates_and_amounts_by_row(world, tmp_path):
    # given a claims file whose rows carry a far-future visit with an offset and a 200-digit amount
    from imports.models import ImportJob
    from imports.services import import_file
    from tests.imports.helpers import write_csv

    _client, member, provider = world
    header = ["身份证号", "统筹区", "定点机构编码", "就诊时间", "医疗费总额", "政策范围内费用"]
    rows = [[member.certno, "370300", provider.fixmedins_code, "9999-12-31T23:59:59-12:00", "10.00", "10.00"],
            [member.certno, "370300", provider.fixmedins_code, "2024-03-01T10:00", "9" * 200, "9" * 200]]
    # when it is imported
    job = import_file(kind="claims", path=str(write_csv(tmp_path / "c.csv", header, rows)))
    # then the job is refused naming both rows, and nothing is written
    assert job.status == ImportJob.Status.REFUSED
    assert {e["row"] for e in job.errors} == {2, 3}
    assert not Claim.objects.exists()
