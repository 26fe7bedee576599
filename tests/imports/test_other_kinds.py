"""Providers, sign-ups and claims imports: their own rules, the services they go through, re-import."""
from decimal import Decimal

import pytest

from claims.models import Claim
from imports.models import ImportJob
from imports.services import import_file
from members.models import SignUp
from providers.models import Provider
from tests.factories import make_member, make_provider

from .helpers import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

PROVIDER_HEADER = ["定点机构编码", "定点机构名称", "统筹区", "县区", "等级", "类别", "上级中心编码", "状态"]
SIGNUP_HEADER = ["身份证号", "统筹区", "定点机构编码", "申请日期", "原因", "家庭医生签约"]
CLAIM_HEADER = ["身份证号", "统筹区", "定点机构编码", "就诊时间", "医疗费总额", "全自费金额", "超限价自费", "先行自付",
                "政策范围内费用"]


def test_providers_with_a_village_clinic_whose_centre_comes_later_in_the_file(tmp_path):
    # given a village clinic listed before its township centre, labels given in Chinese
    rows = [["V001", "某村卫生室", "360100", "360102", "1", "村卫生室/站", "T001", ""],
            ["T001", "某乡镇卫生院", "360100", "360102", "一级及以下", "township", "", "active"]]
    path = write_csv(tmp_path / "p.csv", PROVIDER_HEADER, rows)
    # when imported
    job = import_file(kind="providers", path=str(path))
    # then both exist, the clinic attached to its centre
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Provider.objects.get(fixmedins_code="V001").parent_id == "T001"


def test_provider_with_unknown_centre_is_refused_at_its_row(tmp_path):
    rows = [["T001", "卫生院", "360100", "360102", "1", "township", "", ""],
            ["V001", "村卫生室", "360100", "360102", "1", "village", "NOPE", ""],
            ["H001", "医院", "360100", "360102", "5", "hospital", "", ""]]
    job = import_file(kind="providers", path=str(write_csv(tmp_path / "p.csv", PROVIDER_HEADER, rows)))
    assert job.status == ImportJob.Status.REFUSED
    assert {(e["row"], e["column"], e["rule"]) for e in job.errors} == {
        (3, "上级中心编码", "unknown_provider"), (4, "等级", "enum")}
    assert Provider.objects.count() == 0


def test_signups_go_through_the_signup_rules(tmp_path):
    # given a Nanchang member and township centre; row 2 a first sign-up, row 3 an annual re-selection in March
    member = make_member(admdvs="360100")
    make_provider(code="T100", admdvs="360100")
    make_provider(code="T200", admdvs="360100")
    rows = [[member.certno, "360100", "T100", "2024-03-01", "first", "否"],
            [member.certno, "360100", "T200", "2024-03-05", "annual", "否"]]
    job = import_file(kind="signups", path=str(write_csv(tmp_path / "s.csv", SIGNUP_HEADER, rows)))
    # then row 3 is refused with the window rule and nothing is written (not even row 2)
    assert job.status == ImportJob.Status.REFUSED
    assert [e["row"] for e in job.errors] == [3]
    assert "年度重新选择只能在" in job.errors[0]["message"]
    assert SignUp.objects.count() == 0


def test_signups_import_and_reimport_writes_nothing_the_second_time(tmp_path):
    member = make_member(admdvs="360100")
    make_provider(code="T100", admdvs="360100")
    rows = [[member.certno, "360100", "T100", "2024-03-01", "首次签约", "是"]]
    path = write_csv(tmp_path / "s.csv", SIGNUP_HEADER, rows)
    assert import_file(kind="signups", path=str(path)).status == ImportJob.Status.DONE
    assert SignUp.objects.get().family_doctor is True
    # when the same rows come again in another file
    again = import_file(kind="signups", path=str(write_xlsx(tmp_path / "s.xlsx", SIGNUP_HEADER, rows)))
    assert again.status == ImportJob.Status.DONE and again.rows_skipped == 1 and again.rows_written == 0
    assert SignUp.objects.count() == 1


def _claims_setup():
    member = make_member(admdvs="411300")
    make_provider(code="NY1", admdvs="411300", level="1", kind="hospital")
    return member


def test_claims_are_adjudicated_by_the_claims_service_in_visit_order(tmp_path):
    member = _claims_setup()
    # given two visits, the later one first in the file
    rows = [[member.certno, "411300", "NY1", "2024-03-02 09:00:00", "100.00", "0", "0", "0", "100.00"],
            [member.certno, "411300", "NY1", "2024-03-01 09:00:00", "50.00", "10.00", "0", "0", "40.00"]]
    path = write_csv(tmp_path / "c.csv", CLAIM_HEADER, rows)
    job = import_file(kind="claims", path=str(path))
    assert job.status == ImportJob.Status.DONE, job.errors
    claims = list(Claim.objects.order_by("visit_at"))
    assert [c.medfee_sumamt for c in claims] == [Decimal("50.00"), Decimal("100.00")]
    assert claims[0].hifp_pay == Decimal("24.00")  # (40 - 0) × 60%, Nanyang L1 employed
    # when the same visits are imported again from a different file (xlsx)
    again = import_file(kind="claims", path=str(write_xlsx(tmp_path / "c.xlsx", CLAIM_HEADER, rows)))
    # then nothing more is written: the derived idempotency keys replay the first results
    assert again.status == ImportJob.Status.DONE and again.rows_skipped == 2
    assert Claim.objects.count() == 2


def test_claim_amounts_that_do_not_add_up_are_refused(tmp_path):
    member = _claims_setup()
    rows = [[member.certno, "411300", "NY1", "2024-03-01 09:00", "100.00", "10", "0", "0", "80.00"],
            [member.certno, "411300", "NOPE", "2024-03-02 09:00", "10", "0", "0", "0", "10"],
            ["110101198001010010", "411300", "NY1", "2024-03-03 09:00", "10", "0", "0", "0", "10"]]
    job = import_file(kind="claims", path=str(write_csv(tmp_path / "c.csv", CLAIM_HEADER, rows)))
    assert job.status == ImportJob.Status.REFUSED
    assert [(e["row"], e["column"], e["rule"]) for e in job.errors] == [
        (2, "医疗费总额", "amounts"), (3, "定点机构编码", "unknown_provider"), (4, "身份证号", "unknown_member")]
    assert Claim.objects.count() == 0


def test_claims_dry_run_settles_nothing(tmp_path):
    member = _claims_setup()
    rows = [[member.certno, "411300", "NY1", "2024-03-01 09:00", "100", "0", "0", "0", "100"]]
    job = import_file(kind="claims", path=str(write_csv(tmp_path / "c.csv", CLAIM_HEADER, rows)), dry_run=True)
    assert job.status == ImportJob.Status.PREVIEWED, job.errors
    assert "'claims': 1" in job.message
    assert Claim.objects.count() == 0
