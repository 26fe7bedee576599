"""Out-of-area registrations by ``manage.py import_data registrations`` (the same row-error rules as the
other kinds: every refused row reported, nothing written), and out-of-area providers 异地定点机构 in the
provider import, the API and the scope (RULES.md "Out-of-area care")."""
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from claims.models import Claim
from imports.models import ImportJob
from imports.services import import_file
from members.models import OutOfAreaRegistration
from providers.models import Provider
from tests.claims.helpers import body
from tests.factories import make_member, make_provider, make_registration, make_staff
from tests.imports.helpers import write_csv, write_xlsx

pytestmark = pytest.mark.django_db
REG_HEADER = ["身份证号", "统筹区", "备案类别", "就医地统筹区", "开始日期", "结束日期"]
PROVIDER_HEADER = ["定点机构编码", "定点机构名称", "统筹区", "县区", "等级", "类别", "上级中心编码", "状态"]


def test_registrations_import_then_reimport_writes_nothing(tmp_path):
    # given two Nanyang members, one of them with two successive registrations in the file
    first, second = make_member(admdvs="411300"), make_member(admdvs="411300")
    rows = [[first.certno, "411300", "long_term", "440100", "2024-01-01", "2024-03-31"],
            [first.certno, "411300", "临时外出就医", "320500", "2024-04-01", "2024-04-30"],
            [second.certno, "411300", "resettled", "110100", "2023-05-01", ""]]
    path = write_csv(tmp_path / "r.csv", REG_HEADER, rows)
    # when imported through the command
    out = StringIO()
    call_command("import_data", "registrations", str(path), stdout=out)
    # then all three are recorded, as the API would record them
    assert "done" in out.getvalue()
    assert sorted(OutOfAreaRegistration.objects.values_list("kind", "dest_admdvs")) == [
        ("long_term", "440100"), ("resettled", "110100"), ("temporary", "320500")]
    # and the same rows again (another file) are skipped, writing nothing
    again = import_file(kind="registrations", path=str(write_xlsx(tmp_path / "r.xlsx", REG_HEADER, rows)))
    assert again.status == ImportJob.Status.DONE and (again.rows_written, again.rows_skipped) == (0, 3)
    assert OutOfAreaRegistration.objects.count() == 3


def test_registrations_import_reports_every_refused_row_and_writes_nothing(tmp_path):
    # given a Heyuan member, a Nanchang member and a Nanyang member with a stored open registration
    heyuan, nanchang, nanyang = make_member(admdvs="441600"), make_member(admdvs="360100"), make_member(
        admdvs="411300")
    make_registration(member=nanyang, kind="long_term", start_on=date(2024, 1, 1))
    rows = [[heyuan.certno, "441600", "long_term", "440100", "2024-01-01", ""],          # fine
            [heyuan.certno, "441600", "long_term", "440300", "2024-06-01", ""],          # overlaps row 2
            [nanchang.certno, "360100", "temporary", "440100", "2024-01-01", "2024-02-01"],  # kind
            [nanyang.certno, "411300", "temporary", "320500", "2024-05-01", "2024-05-10"],   # overlaps stored
            [nanyang.certno, "411300", "long_term", "411300", "2020-01-01", "2020-02-01"],   # own region
            ["360102197005010112", "411300", "long_term", "440100", "2024-01-01", ""],       # unknown member
            [heyuan.certno, "441600", "long_term", "440100", "2024-13-01", ""]]              # bad date
    job = import_file(kind="registrations", path=str(write_csv(tmp_path / "r.csv", REG_HEADER, rows)))
    # then the file is refused with one error per bad row, naming the column
    assert job.status == ImportJob.Status.REFUSED
    assert sorted((e["row"], e["column"]) for e in job.errors) == [
        (3, "开始日期"), (4, "备案类别"), (5, "开始日期"), (6, "就医地统筹区"), (7, "身份证号"), (8, "开始日期")]
    # and nothing is written (the stored registration alone remains)
    assert OutOfAreaRegistration.objects.count() == 1


def test_out_of_area_providers_in_the_provider_import(tmp_path):
    rows = [["GZ-C1", "广州某社区卫生服务中心", "440100", "440106", "1", "community", "", ""],
            ["BAD-1", "省级代码", "440000", "440106", "1", "community", "", ""],
            ["BAD-2", "县区不在该市", "440100", "440306", "1", "community", "", ""]]
    job = import_file(kind="providers", path=str(write_csv(tmp_path / "p.csv", PROVIDER_HEADER, rows)))
    assert job.status == ImportJob.Status.REFUSED
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "统筹区"), (4, "县区")}, job.errors
    job = import_file(kind="providers", path=str(write_csv(tmp_path / "q.csv", PROVIDER_HEADER, rows[:1])))
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Provider.objects.get(fixmedins_code="GZ-C1").out_of_area


def provider_body(**overrides):
    values = {"fixmedins_code": "GZ-H3", "fixmedins_name": "广州某三级医院", "admdvs": "440100", "district": "440106",
              "dedc_hosp_lv": "3", "kind": "hospital", "parent_code": None}
    values.update(overrides)
    return values


@pytest.mark.parametrize("overrides, field", [({"admdvs": "440000"}, "admdvs"), ({"district": "440306"}, "district"),
                                              ({"admdvs": "4401AB"}, "admdvs")])
def test_out_of_area_provider_refusals_name_the_field(api_client, city_admin, overrides, field):
    api_client.force_authenticate(city_admin)
    response = api_client.post("/api/v1/providers/", provider_body(**overrides), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Provider.objects.exists()


def test_out_of_area_provider_scope(api_client, city_admin):
    # given an out-of-area provider registered by city-wide staff
    api_client.force_authenticate(city_admin)
    assert api_client.post("/api/v1/providers/", provider_body(), format="json").status_code == 201
    # a district clerk cannot register one, and does not see it while none of their members uses it
    clerk = make_staff(admdvs="411300", districts=["411302"])
    api_client.force_authenticate(clerk)
    assert api_client.post("/api/v1/providers/", provider_body(fixmedins_code="GZ-X"),
                           format="json").status_code == 403
    assert api_client.get("/api/v1/providers/GZ-H3/").status_code == 404
    codes = [p["fixmedins_code"] for p in api_client.get("/api/v1/providers/").json()["results"]]
    assert "GZ-H3" not in codes
    # when a member of the clerk's district registers for Guangzhou, the clerk sees it (read only)
    member = make_member(admdvs="411300", district="411302")
    make_registration(member=member, dest_admdvs="440100", start_on=date(2024, 1, 1))
    assert api_client.get("/api/v1/providers/GZ-H3/").status_code == 200
    assert api_client.patch("/api/v1/providers/GZ-H3/", {"status": "suspended"}, format="json").status_code == 403
    # a clerk of another district still does not
    other = make_staff(admdvs="411300", districts=["411303"])
    api_client.force_authenticate(other)
    assert api_client.get("/api/v1/providers/GZ-H3/").status_code == 404


def test_a_claim_at_an_out_of_area_provider_makes_it_visible_to_the_members_clerk(api_client, city_admin):
    provider = make_provider(code="SZ-1", admdvs="440300", level="1", kind="community")
    member = make_member(admdvs="370300", district="370302")
    api_client.force_authenticate(city_admin)
    response = api_client.post("/api/v1/claims/", body(member=member, provider=provider,
                                                       visit_at="2024-03-01T10:00"), format="json")
    assert response.status_code == 201 and Claim.objects.count() == 1
    api_client.force_authenticate(make_staff(admdvs="370300", districts=["370302"]))
    assert api_client.get("/api/v1/providers/SZ-1/").json()["admdvs"] == "440300"
