"""The second reading's new columns in imports: a claim's 外配处方开方机构编码 (prescribing_fixmedins_code)
and a member's 只参加住院保险 (inpatient_only), with the same rules as the API."""
from decimal import Decimal

import pytest

from claims.models import Claim
from imports.models import ImportJob
from imports.services import import_file
from members.models import Member
from tests.factories import make_member, make_provider

from .helpers import MEMBER_HEADER, certno, member_row, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

CLAIM_HEADER = ["身份证号", "统筹区", "定点机构编码", "就诊时间", "医疗费总额", "政策范围内费用",
                "外配处方开方机构编码"]


def _nanyang():
    member = make_member(admdvs="411300")
    make_provider(code="NY-H2", admdvs="411300", level="2", kind="hospital")
    make_provider(code="NY-PH", admdvs="411300", level="1", kind="pharmacy")
    return member


def test_claims_import_fills_prescriptions_like_the_api(tmp_path):
    member = _nanyang()
    # given a hospital visit, its fill the same afternoon and a purchase without a prescription
    rows = [[member.certno, "411300", "NY-H2", "2024-03-01 10:00:00", "100.00", "100.00", ""],
            [member.certno, "411300", "NY-PH", "2024-03-01 15:00:00", "100.00", "100.00", "NY-H2"],
            [member.certno, "411300", "NY-PH", "2024-03-04 15:00:00", "100.00", "100.00", ""]]
    job = import_file(kind="claims", path=str(write_csv(tmp_path / "c.csv", CLAIM_HEADER, rows)))
    assert job.status == ImportJob.Status.DONE, job.errors
    # then (100 − 30) × 55% = 38.50; the fill in the window 100 × 55% = 55.00; the last is not pooled
    claims = list(Claim.objects.order_by("visit_at"))
    assert [(c.hifp_pay, c.reason, c.prescribing_provider_id) for c in claims] == [
        (Decimal("38.50"), None, None), (Decimal("55.00"), None, "NY-H2"), (0, "pharmacy_not_covered", None)]
    # and the English header is accepted too (the same visits again from xlsx: replayed, nothing written)
    english = CLAIM_HEADER[:-1] + ["prescribing_fixmedins_code"]
    again = import_file(kind="claims", path=str(write_xlsx(tmp_path / "c.xlsx", english, rows)))
    assert again.status == ImportJob.Status.DONE and again.rows_skipped == 3


def test_a_bad_prescription_refuses_the_file_at_its_row_and_column(tmp_path):
    member = _nanyang()
    rows = [[member.certno, "411300", "NY-PH", "2024-03-01 15:00:00", "100.00", "100.00", "NY-H2"],
            [member.certno, "411300", "NY-PH", "2024-03-02 15:00:00", "100.00", "100.00", "NY-PH"]]
    job = import_file(kind="claims", path=str(write_csv(tmp_path / "c.csv", CLAIM_HEADER, rows)))
    assert job.status == ImportJob.Status.REFUSED
    assert [(e["row"], e["column"], e["rule"]) for e in job.errors] == [(3, "外配处方开方机构编码", "prescription")]
    assert Claim.objects.count() == 0  # all or nothing


def test_members_import_reads_inpatient_only(tmp_path):
    header = MEMBER_HEADER + ["只参加住院保险"]
    ganzhou = {"统筹区": "360700", "险种": "310", "人员类别": "1101", "县区": "360702"}
    rows = [member_row(1, **ganzhou) + ["是"], member_row(2, **ganzhou) + ["否"], member_row(3, **ganzhou) + [""]]
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", header, rows)))
    assert job.status == ImportJob.Status.DONE, job.errors
    flags = dict(Member.objects.values_list("certno", "inpatient_only"))
    assert flags == {certno(1): True, certno(2): False, certno(3): False}
    # a re-import of the same rows (another file) writes nothing; one with the flag changed is refused
    again = import_file(kind="members", path=str(write_xlsx(tmp_path / "m2.xlsx", header, rows)))
    assert again.status == ImportJob.Status.DONE and again.rows_skipped == 3
    changed = import_file(kind="members", path=str(write_csv(tmp_path / "m3.csv", header,
                                                            [member_row(1, **ganzhou) + ["否"]])))
    assert changed.status == ImportJob.Status.REFUSED
    assert [(e["row"], e["rule"]) for e in changed.errors] == [(2, "exists")]


def test_members_import_refuses_inpatient_only_for_a_resident(tmp_path):
    header = MEMBER_HEADER + ["只参加住院保险"]
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", header, [member_row(1) + ["是"]])))
    assert job.status == ImportJob.Status.REFUSED
    assert [(e["row"], e["column"], e["rule"]) for e in job.errors] == [
        (2, "只参加住院保险", "inpatient_only_insutype")]
    assert not Member.objects.exists()


def test_members_import_without_the_column_stores_false(tmp_path):
    job = import_file(kind="members", path=str(write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1)])))
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Member.objects.get().inpatient_only is False
