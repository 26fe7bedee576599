"""Members import: the happy path, encodings, and every error kind with its row number and message."""
from datetime import date, timedelta

import pytest

from imports.models import ImportJob
from imports.selectors import member_import_origin
from imports.services import import_file
from members.models import Member, MemberChange

from .helpers import MEMBER_HEADER, certno, member_row, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def errors_of(job):
    return [(e["row"], e["column"], e["rule"]) for e in job.errors]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_any_supported_encoding_is_imported(tmp_path, encoding):
    # given a members csv with Chinese names in this encoding
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1, 姓名="王小明"), member_row(2)],
                     encoding=encoding)
    # when it is imported
    job = import_file(kind="members", path=str(path))
    # then both members exist with birth date and gender from the certno, each traced to this job
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.rows_written == 2
    member = Member.objects.get(certno=certno(1))
    assert member.psn_name == "王小明" and member.brdy == date(1980, 1, 1) and member.gend == "1"
    assert member_import_origin(member.pk).job == job
    assert not MemberChange.objects.filter(member=member).exists()  # no per-member audit row by default


def test_english_headers_and_fullwidth_digits_are_accepted(tmp_path):
    # given English headers and full-width digits in the amount and district
    header = ["certno", "psn_name", "admdvs", "insutype", "psn_type", "district", "enrolled_on", "contribution_base"]
    row = [certno(3), "李四", "411300", "310", "1101", "４１１３０２", "2021/3/5", "１２３４.５０"]
    path = write_csv(tmp_path / "m.csv", header, [row])
    # when imported
    job = import_file(kind="members", path=str(path))
    # then the values are normalised exactly
    assert job.status == ImportJob.Status.DONE, job.errors
    member = Member.objects.get(certno=certno(3))
    assert member.district_id == "411302" and str(member.contribution_base) == "1234.50"
    assert member.enrolled_on == date(2021, 3, 5)


BAD_ROWS = [
    (dict(身份证号=certno(1)[:-1] + ("0" if certno(1)[-1] != "0" else "1")), "身份证号", "certno", "校验码"),
    (dict(统筹区="999999"), "统筹区", "unknown_region", "不存在"),
    (dict(县区="999999"), "县区", "unknown_district", "不存在"),
    (dict(县区="411302"), "县区", "district_region", "不属于统筹区"),
    (dict(险种="310", 人员类别="1101"), "险种", "insutype_region", "不符"),
    (dict(人员类别="1101"), "人员类别", "psn_type_insutype", "不适用于险种"),
    (dict(险种="999"), "险种", "enum", "无效"),
    (dict(参保日期=(date.today() + timedelta(days=3)).isoformat()), "参保日期", "range", "不能晚于今天"),
    (dict(参保日期="2020-02-30"), "参保日期", "invalid", "不是有效日期"),
    (dict(缴费基数="12.345"), "缴费基数", "invalid", "两位小数"),
    # the column holds 12 digits (2 after the point): a larger base is a row error, not a crash
    (dict(缴费基数="10000000000.00"), "缴费基数", "range", "金额过大"),
    (dict(姓名="=HYPERLINK(\"x\")"), "姓名", "formula", "公式"),
    (dict(建档立卡贫困人口="也许"), "建档立卡贫困人口", "invalid", "是/否"),
    (dict(退休办理日期="2020-01-01"), "退休办理日期", "retired_on", "退休人员"),
]


@pytest.mark.parametrize("overrides,column,rule,words", BAD_ROWS)
def test_each_error_kind_is_reported_with_row_column_and_rule(tmp_path, overrides, column, rule, words):
    # given a good row 2 and a bad row 3
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(10), member_row(1, **overrides)])
    # when imported
    job = import_file(kind="members", path=str(path))
    # then the file is refused, nothing is written, and row 3 is named with its column and rule
    assert job.status == ImportJob.Status.REFUSED
    assert Member.objects.count() == 0
    assert (3, column, rule) in errors_of(job)
    assert any(words in e["message"] for e in job.errors if e["row"] == 3)
    assert job.error_report.name.endswith(".xlsx")


def test_duplicate_in_file_names_the_first_row(tmp_path):
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADER, [member_row(1), member_row(2), member_row(1)])
    job = import_file(kind="members", path=str(path))
    assert errors_of(job) == [(4, "身份证号", "duplicate")]
    assert "第 2 行" in job.errors[0]["message"]
    assert Member.objects.count() == 0


def test_missing_columns_refuse_the_file_naming_them(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["身份证号", "姓名", "统筹区"], [[certno(1), "张", "360100"]])
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED
    for name in ("险种", "人员类别", "县区", "参保日期"):
        assert name in job.message


def test_wrong_headers_refuse_the_file(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["a", "b", "c"], [["1", "2", "3"]])
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.REFUSED and "表头" in job.message


def test_xlsx_with_a_formula_cell_is_refused_at_that_cell(tmp_path):
    # given an xlsx whose row 3 name is a formula
    rows = [member_row(1), member_row(2, 姓名="=CONCAT(\"a\",\"b\")")]
    path = write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER, rows)
    # when imported
    job = import_file(kind="members", path=str(path))
    # then row 3, column 姓名 is refused as a formula
    assert (3, "姓名", "formula") in errors_of(job)
    assert Member.objects.count() == 0


def test_xlsx_typed_cells_are_read_exactly(tmp_path):
    # given real date and number cells (as Excel stores them)
    row = member_row(4, 统筹区="411300", 险种="310", 人员类别="1101", 县区=411302)
    row[MEMBER_HEADER.index("参保日期")] = date(2019, 7, 1)
    row[MEMBER_HEADER.index("缴费基数")] = 5012.3
    path = write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER, [row])
    job = import_file(kind="members", path=str(path))
    assert job.status == ImportJob.Status.DONE, job.errors
    member = Member.objects.get(certno=certno(4))
    assert member.enrolled_on == date(2019, 7, 1) and str(member.contribution_base) == "5012.30"


def test_certno_stored_as_number_in_xlsx_is_explained(tmp_path):
    row = member_row(5)
    row[0] = float(row[0][:17] + "0")
    path = write_xlsx(tmp_path / "m.xlsx", MEMBER_HEADER, [row])
    job = import_file(kind="members", path=str(path))
    assert errors_of(job) == [(2, "身份证号", "invalid")] and "文本" in job.errors[0]["message"]
