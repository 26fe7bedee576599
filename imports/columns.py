"""The columns of each import kind: Chinese header (what templates and exports show), the contract's
English field name (also accepted as a header), whether it is required, and an example value.

Headers are matched after NFKC normalisation, trimming and lower-casing, so ``身份证号``, ``certno``,
``CERTNO`` and ``身份证号 `` all name the same column; a few common synonyms are accepted too.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = True
    example: str = ""
    synonyms: tuple[str, ...] = ()


PROVIDERS = (
    Column("fixmedins_code", "定点机构编码", example="H36010200001", synonyms=("机构编码",)),
    Column("fixmedins_name", "定点机构名称", example="南昌市东湖区某某社区卫生服务中心", synonyms=("机构名称",)),
    Column("admdvs", "统筹区", example="360100", synonyms=("统筹区编码", "医保区划")),
    Column("district", "县区", example="360102", synonyms=("县区编码",)),
    Column("dedc_hosp_lv", "等级", example="1", synonyms=("医院等级", "机构等级")),
    Column("kind", "类别", example="community", synonyms=("机构类别",)),
    Column("parent_code", "上级中心编码", required=False, example="", synonyms=("上级机构编码",)),
    Column("status", "状态", required=False, example="active"),
)

MEMBERS = (
    Column("certno", "身份证号", example="360102197005010112", synonyms=("证件号码", "公民身份号码")),
    Column("psn_name", "姓名", example="张三"),
    Column("admdvs", "统筹区", example="360100", synonyms=("统筹区编码", "医保区划")),
    Column("insutype", "险种", example="390", synonyms=("险种类型",)),
    Column("psn_type", "人员类别", example="1501"),
    Column("district", "县区", example="360102", synonyms=("县区编码",)),
    Column("enrolled_on", "参保日期", example="2020-01-01"),
    Column("retired_on", "退休办理日期", required=False, example=""),
    Column("contribution_base", "缴费基数", required=False, example=""),
    Column("poverty", "建档立卡贫困人口", required=False, example="否", synonyms=("建档立卡",)),
    Column("inpatient_only", "只参加住院保险", required=False, example="否",
           synonyms=("只参加住院保险(不建账户)", "不建账户")),
)

SIGNUPS = (
    Column("certno", "身份证号", example="360102197005010112", synonyms=("证件号码",)),
    Column("admdvs", "统筹区", example="360100", synonyms=("统筹区编码",)),
    Column("fixmedins_code", "定点机构编码", example="H36010200001", synonyms=("签约机构编码", "机构编码")),
    Column("applied_on", "申请日期", example="2024-03-01"),
    Column("reason", "原因", example="first", synonyms=("签约原因",)),
    Column("family_doctor", "家庭医生签约", required=False, example="否"),
)

CLAIMS = (
    Column("certno", "身份证号", example="360102197005010112", synonyms=("证件号码",)),
    Column("admdvs", "统筹区", example="360100", synonyms=("统筹区编码",)),
    Column("fixmedins_code", "定点机构编码", example="H36010200001", synonyms=("就诊机构编码", "机构编码")),
    Column("visit_at", "就诊时间", example="2024-03-01 10:00:00"),
    Column("benefit", "门诊类别", required=False, example="ordinary"),
    Column("emergency", "急诊抢救", required=False, example="否"),
    Column("referral", "转诊", required=False, example="否"),
    Column("out_of_area", "异地就医", required=False, example="none"),
    Column("channel", "结算方式", required=False, example="direct"),
    Column("exclusion", "除外情形", required=False, example=""),
    Column("prescribing_fixmedins_code", "外配处方开方机构编码", required=False, example="",
           synonyms=("开方机构编码", "外配处方机构编码")),
    Column("medfee_sumamt", "医疗费总额", example="120.00"),
    Column("fulamt_ownpay_amt", "全自费金额", required=False, example="10.00"),
    Column("overlmt_selfpay", "超限价自费", required=False, example="0.00"),
    Column("preselfpay_amt", "先行自付", required=False, example="10.00"),
    Column("inscp_scp_amt", "政策范围内费用", example="100.00"),
    Column("acct_used", "使用个人账户", required=False, example="否"),
    Column("idempotency_key", "幂等键", required=False, example="", synonyms=("结算流水号",)),
)

REGISTRATIONS = (
    Column("certno", "身份证号", example="360102197005010112", synonyms=("证件号码",)),
    Column("admdvs", "统筹区", example="411300", synonyms=("参保地统筹区", "统筹区编码")),
    Column("kind", "备案类别", example="long_term", synonyms=("类别",)),
    Column("dest_admdvs", "就医地统筹区", example="440100", synonyms=("就医地", "就医地编码")),
    Column("start_on", "开始日期", example="2024-05-02"),
    Column("end_on", "结束日期", required=False, example=""),
)

KINDS: dict[str, tuple[Column, ...]] = {
    "providers": PROVIDERS, "members": MEMBERS, "signups": SIGNUPS, "claims": CLAIMS,
    "registrations": REGISTRATIONS,
}


def header_key(text) -> str:
    return unicodedata.normalize("NFKC", str(text if text is not None else "")).strip().lower().replace(" ", "")


class HeaderError(ValueError):
    """The header row does not fit the kind; the message names what is missing or doubled."""


def map_header(kind: str, header: list) -> list[str | None]:
    """For each column position of the file, the field it holds (None: ignored extra column).

    Refuses the file when a required column is missing or one column appears twice.
    """
    columns = KINDS[kind]
    names: dict[str, str] = {}
    for column in columns:
        for name in (column.header, column.field, *column.synonyms):
            names[header_key(name)] = column.field
    mapping: list[str | None] = []
    seen: dict[str, int] = {}
    for position, text in enumerate(header):
        field = names.get(header_key(text))
        if field is not None and field in seen:
            raise HeaderError(f"列“{text}”重复（第{seen[field] + 1}列和第{position + 1}列）")
        if field is not None:
            seen[field] = position
        mapping.append(field)
    missing = [c for c in columns if c.required and c.field not in seen]
    if missing:
        wanted = "、".join(f"{c.header}({c.field})" for c in missing)
        raise HeaderError(f"缺少必填列：{wanted}")
    return mapping

