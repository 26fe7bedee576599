"""The Chinese label of every code a staff page shows: the ONE place to add one.

A new reason code (``policy.rules.common.REASONS``), step rule, channel, out-of-area kind, audit
action, parameter or JSON key that a page shows gets its label here; ``tests/browser/test_crawl.py``
fails on a page that shows a known code raw, and ``tests/ui/test_labels.py`` on a reason code, a
parameter of a region or a supervision indicator without a label here.

Choices of model fields (``Claim.Status``, ``Warning.Kind`` ...) carry their labels on the model; the
codes below are the ones stored as free text or inside JSON.
"""
from __future__ import annotations

import re

# Claim.reason (policy.rules.common.REASONS: the rules' own, English, explanation of each).
REASON_LABELS = {
    "special_item_at_pharmacy": "特殊检查治疗不能在药店结算",
    "inpatient_only_scheme": "只参加住院保险，不享受门诊统筹",
    "out_of_area_not_registered": "未办理异地就医备案",
    "resettlement_cancelled": "已取消异地安置备案",
    "outside_policy_period": "就诊日无有效的政策参数版本",
    "not_enrolled": "就诊早于参保日期",
    "left_scheme": "就诊晚于终止参保日期",
    "provider_inactive": "就诊机构已暂停或终止协议",
    "pharmacy_not_covered": "定点零售药店不属于普通门诊统筹支付范围",
    "excluded_work_injury": "应由工伤保险基金支付",
    "excluded_third_party": "应由第三人负担",
    "excluded_public_health": "应由公共卫生负担",
    "excluded_abroad": "境外就医",
    "excluded_inpatient": "住院期间发生的门诊费用",
    "chronic_benefit": "属门诊慢特病待遇",
    "excluded_inpatient_fund_emergency": "急诊抢救费用已由住院统筹基金支付",
    "manual_out_of_area": "异地就医未直接结算，不予支付",
    "not_signed_provider": "非签约/选定机构就诊，且非急诊抢救或经批准转诊",
    "resettled_waiting_year": "异地安置人员：登记次年起方可享受",
    "resettled_not_primary_care": "异地安置人员：仅支付基层（一级）医疗机构门诊费用",
    "ratio_not_configured": "该门诊类别的支付比例尚未录入",
    "cap_not_configured": "该待遇的支付限额尚未录入",
}

# Claim.steps[].rule: the steps name a rule, or end with the reason code of an unpaid decision.
STEP_LABELS = {
    "where": "就诊机构", "eligible": "政策范围内费用", "deductible": "起付线", "ratio": "按比例支付",
    "annual_cap": "年度最高支付限额", "per_visit_cap": "单次支付限额", "subcap": "两病专项限额",
    "fund_pay": "统筹基金支付", "reversal": "撤销", "temporary_out_of_area": "临时外出先行自付",
    "first_pay": "先行自付", "signup": "签约/选点机构", "prescription": "外配处方", "out_of_area": "异地就医（备案）",
}

CHANNEL_LABELS = {"direct": "直接结算", "manual": "手工报销"}
OUT_OF_AREA_LABELS = {"none": "本地就医", "long_term": "异地长期居住", "temporary": "临时外出就医",
                      "unregistered": "未备案异地就医"}
EXCLUSION_LABELS = {
    "work_injury": "工伤", "third_party": "应由第三人负担", "public_health": "应由公共卫生负担",
    "abroad": "境外就医", "inpatient": "住院期间门诊", "chronic": "门诊慢特病",
    "inpatient_fund_emergency": "急诊抢救已由住院基金支付",
}
PERSON_TYPE_LABELS = {"employed": "在职", "retired": "退休"}
PROVIDER_LEVEL_LABELS = {"1": "一级", "2": "二级", "3": "三级"}

# staff.AuditEvent.channel / action and staff.AccessLog.action.
AUDIT_CHANNEL_LABELS = {"admin": "管理后台", "api": "接口", "web": "页面", "import": "批量导入", "system": "系统",
                        "shell": "命令行",
                        "task": "后台任务"}
AUDIT_ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除", "bulk_create": "批量新增",
                       "bulk_update": "批量修改", "list": "查看列表", "view": "查看", "export": "导出"}

# Accumulator buckets (policy.rules.common: "fund", "deductible", "deductible:<level>", ...).
BUCKET_LABELS = {"fund": "统筹基金累计支付", "deductible": "起付线累计", "special": "特殊检查治疗基金支付"}
BENEFIT_LABELS = {"ordinary": "普通门诊", "tcm": "中医门诊", "hypertension": "高血压", "diabetes": "糖尿病",
                  "special_item": "特殊检查治疗"}

# Keys of JSON documents shown as tables: a claim's 输入事实, a run's 合计, a warning's 依据数据,
# audit snapshots. Model field names resolve through the model's verbose_name first (display.py).
KEY_LABELS = {
    # claim inputs
    "request": "请求", "member": "参保人", "provider": "就诊机构", "signup": "签约/选点",
    "ytd_before": "本次结算前的年度累计", "parameter_version": "政策参数版本",
    "admdvs": "统筹区", "certno": "身份证号", "fixmedins_code": "就诊机构编码", "visit_at": "就诊时间",
    "benefit": "门诊类别", "emergency": "急诊抢救", "referral": "转诊", "out_of_area": "异地就医",
    "channel": "结算方式", "exclusion": "除外情形", "acct_used": "使用个人账户", "acct_payer_certno": "家庭共济付款人",
    "medfee_sumamt": "医疗费总额", "fulamt_ownpay_amt": "全自费金额", "overlmt_selfpay": "超限价自费",
    "preselfpay_amt": "先行自付", "inscp_scp_amt": "政策范围内费用", "fee_details": "费用明细",
    "person_type": "人员身份", "psn_type": "人员类别", "poverty": "建档立卡贫困人口", "district": "县区",
    "level": "机构等级", "kind": "机构类别", "status": "状态", "parent_code": "一体化管理的乡镇/社区中心",
    "family_doctor": "家庭医生签约", "first_effective_on": "首次签约生效日", "brdy": "出生日期", "gend": "性别",
    "psn_name": "姓名", "reverses": "撤销的原结算",
    "retired_on": "退休办理日期", "contribution_base": "缴费基数", "enrolled_on": "参保日期",
    # settlement run totals
    "paid": "支付/决算金额", "lines": "机构数", "quota": "定额", "actual": "实际发生", "claims": "结算笔数",
    "members": "人数", "budget": "预算", "computed_at": "计算时间", "parameter_set_id": "政策参数版本",
    "totals": "合计", "approved_at": "审核时间", "approved_by_id": "审核人", "determined": "决算额",
    "ceiling_cut": "超县区基金总额扣减", "prepaid": "已预付", "balance_due": "应补(负数为应扣回)",
    # warning evidence
    "indicator": "指标", "label": "指标名称", "rule": "判定规则", "value": "本机构数值",
    "peer_percentile": "同级分位数", "peer_value": "同级分位数值", "peers": "同级机构数", "period": "月份",
    "basis": "计算依据", "threshold": "预警线", "setting": "预警参数", "compared_period": "对比月份",
    "compared_medfee_sumamt": "对比月份医疗费总额", "visit_date": "就诊日期", "max_visits_per_day": "每日就诊次数上限",
    "visits": "就诊人次", "setl_id": "结算ID", "hifp_pay": "统筹基金支付", "stay_id": "住院登记",
    "admitted_on": "入院日期", "discharged_on": "出院日期", "left_on": "终止参保日期",
    "repeat_visit_days": "同日多次就诊天数",
}
# Values of a warning's "rule" and "setting".
RULE_VALUE_LABELS = {"peer": "高于同级机构分位数", "threshold": "超过预警线",
                     "growth_threshold": "费用增长预警线", "self_paid_share_max": "自费比例上限",
                     "exam_share_max": "检查费用占比上限", "out_of_catalogue_share_max": "目录外项目占比上限"}

# Codes whose raw appearance on a staff page is a bug (the crawl test's list).
KNOWN_CODES = (set(REASON_LABELS) | set(STEP_LABELS) | {"direct", "manual", "long_term", "unregistered"}
               | {"avg_cost", "fund_per_member", "visits_per_member", "self_paid_share", "exam_share",
                  "out_of_catalogue_share", "growth_mom", "growth_yoy", "medfee_sumamt", "hifp_pay"}
               | {"not_reproduced", "under_review", "pending_review", "not_covered", "year_end", "county_tcm"})


def reason_label(code: str | None) -> str:
    if not code:
        return "—"
    return REASON_LABELS.get(code, code)


def step_label(rule: str | None) -> str:
    if not rule:
        return ""
    return STEP_LABELS.get(rule) or REASON_LABELS.get(rule) or rule


def bucket_label(name: str) -> str:
    """'deductible:2' → '起付线累计（二级）', 'subcap:diabetes' → '两病专项限额（糖尿病）'."""
    if name in BUCKET_LABELS:
        return BUCKET_LABELS[name]
    kind, _, rest = name.partition(":")
    if kind == "deductible":
        return f"起付线累计（{PROVIDER_LEVEL_LABELS.get(rest, rest)}）"
    if kind == "subcap":
        return f"两病专项限额（{BENEFIT_LABELS.get(rest, rest)}）"
    if kind == "window":
        provider, _, opened = rest.partition(":")
        return f"24小时内起付线（{provider}，{opened[:16].replace('T', ' ')} 起）"
    return name


# Values of known keys shown by their label (a claim's channel, a member's person type ...).
VALUE_LABELS = {
    "channel": CHANNEL_LABELS, "out_of_area": OUT_OF_AREA_LABELS, "exclusion": EXCLUSION_LABELS,
    "person_type": PERSON_TYPE_LABELS, "benefit": BENEFIT_LABELS, "level": PROVIDER_LEVEL_LABELS,
    "rule": RULE_VALUE_LABELS, "setting": RULE_VALUE_LABELS, "reason": REASON_LABELS,
}


def value_label(key: str, value) -> str | None:
    """The label of a coded value under a known key, or None when the value is not a code."""
    table = VALUE_LABELS.get(key)
    if table is None or not isinstance(value, str):
        return None
    return table.get(value)


# Policy parameters (policy/rules/<region>.py PARAMETERS): label, unit and help for the parameter form.
# Units: "元" money, "%" ratios (entered as percentages, stored as 0–1), others as written.
PARAMETER_LABELS = {
    "ratio_signed": ("签约机构报销比例", "%", "在签约机构及其村卫生室（服务点）就诊的统筹基金支付比例"),
    "ratio_referral": ("转诊报销比例", "%", "经转诊到县级中医医院就诊的支付比例"),
    "ratio_poverty": ("建档立卡贫困人口报销比例", "%", "签约机构与转诊均适用"),
    "family_doctor_bonus": ("家庭医生签约提高比例", "%", "仅在签约机构就诊时加上的百分点"),
    "resettled_annual_cap": ("异地安置人员年度限额", "元", "异地安置人员人均统筹基金额度，即年度最高支付限额；"
                             "未公布时留空"),
    "age_groups": ("分年龄组预算标准", "元/人/年",
                   "每组的年龄（如 0,14-25,90+）与每人每年预算标准；年龄 = 年度 − 出生年份"),
    "year_end_lower_band": ("决算下限", "%", "实际费用占预算比例低于此值时按实际费用决算"),
    "year_end_upper_band": ("决算上限", "%", "实际费用占预算比例达到此值时按预算决算"),
    "year_end_middle_share": ("中间档结余分享比例", "%", "介于上下限之间：实际费用 + 此比例 ×（预算 − 实际费用）"),
    "selection_window_start": ("年度选点开始日", "月-日", "如 10-01"),
    "selection_window_end": ("年度选点截止日", "月-日", "如 12-31"),
    "deductible_ordinary": ("普通门诊起付标准", "元", "年度起付标准，与中医门诊共用一个累计"),
    "deductible_tcm": ("中医门诊起付标准", "元", "年度起付标准，与普通门诊共用一个累计"),
    "ratio_employed": ("在职人员报销比例", "%", "按就诊（选定）机构等级"),
    "ratio_retired": ("退休人员报销比例", "%", "按就诊（选定）机构等级"),
    "retired_bonus": ("退休人员提高比例", "%", "在报销比例上加的百分点"),
    "tcm_bonus": ("中医门诊提高比例", "%", "在报销比例上加的百分点"),
    "annual_cap_employed": ("在职人员年度最高支付限额", "元", "普通门诊（含中医门诊、两病）"),
    "annual_cap_retired": ("退休人员年度最高支付限额", "元", "普通门诊；转为退休前已支付的金额一并计算"),
    "two_disease_subcap": ("两病用药专项限额", "元", "在普通门诊年度限额内，高血压、糖尿病分别计算"),
    "special_item_ratio": ("特殊检查治疗报销比例", "%", "按住院比例执行；文件未载明，由经办人员录入，未录入时留空"),
    "account_rate_employed": ("在职人员个人账户划入比例", "%", "占缴费基数的比例"),
    "account_rate_retired": ("退休人员个人账户划入比例", "%", "占基本养老金平均水平的比例"),
    "average_pension": ("基本养老金平均水平", "元/月", "由经办人员按公布数录入；未公布时留空"),
    "per_visit_cap": ("单次支付限额", "元", "每次就诊统筹基金最高支付额，按机构等级"),
    "annual_cap": ("年度最高支付限额", "元", "年中首次选点的按月折算"),
    "capitation_standard": ("包干标准", "元/人/年", "定额包干每人每年标准"),
    "capitation_first_month": ("包干起始月份", "月", "当年开始实行定额包干的月份（1–12）"),
    "prepayment_rate": ("月度预拨比例", "%", "每月按当月包干额预拨的比例"),
    "surplus_share_high": ("结余分享比例（高档）", "%", "使用率介于下限与 100% 之间时，结余中支付给机构的比例"),
    "surplus_share_low": ("结余分享比例（低档）", "%", "使用率低于下限时，结余中支付给机构的比例"),
    "retired_account_fixed": ("退休人员每月定额划入", "元/月", "未公布时留空"),
    "deductible_per_visit": ("按次起付标准", "元", "按机构等级（第五条）"),
    "deductible_window_hours": ("同一机构起付线合并时限", "小时", "在此时限内到同一机构多次就诊只计一次起付线"),
    "deductible_annual": ("年度起付标准", "元", "按机构等级，每个等级单独累计"),
    "temporary_out_of_area_selfpay": ("临时外出就医先行自付比例", "%", "政策范围内费用中由个人先行自付的比例"),
    "account_employer_part": ("单位缴费划入部分", "元/月", "在职人员仍按月划入的单位缴费部分；未公布时留空"),
    "account_rate_retired_under_70": ("70岁以下退休人员划入比例", "%", "占基本养老金平均水平的比例"),
    "account_rate_retired_70_plus": ("70岁及以上退休人员划入比例", "%", "占基本养老金平均水平的比例"),
}
PARAMETER_KEY_LABELS = {**PROVIDER_LEVEL_LABELS, "hypertension": "高血压", "diabetes": "糖尿病"}


def parameter_label(name: str) -> tuple[str, str, str]:
    """(label, unit, help) of a policy parameter; an unlabelled one shows its name (and fails the test)."""
    return PARAMETER_LABELS.get(name, (name, "", ""))


# The policy core's validation messages (policy/rules/params.py) in Chinese, by pattern.
PARAMETER_MESSAGES = (
    (r"must not be negative", "不能为负数"),
    (r"money has at most 2 decimal places", "金额最多两位小数"),
    (r"a ratio lies between 0 and 1.*", "比例应在 0% 到 100% 之间"),
    (r"is missing.*|may not be empty", "必须填写"),
    (r"must be a whole number", "应为整数"),
    (r"age (\d+) is in groups (\S+) and (\S+)", r"年龄 \1 同时属于第 \2 组和第 \3 组"),
    (r"ages (\[.*\]) belong to no group", r"年龄 \1 不属于任何一组"),
    (r"age range '(.*)' runs backwards", r"年龄段“\1”起止颠倒"),
    (r"an age group needs at least one age", "每组至少填写一个年龄"),
    (r"'?(.*?)'? is not a MM-DD day of the year", r"“\1”不是有效的月-日（如 10-01）"),
    (r"'?(.*?)'? is not a (finite )?number", r"“\1”不是数字"),
    (r"is not a parameter of this region", "不是本统筹区的参数"),
)


def parameter_message(message: str) -> str:
    for pattern, chinese in PARAMETER_MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, chinese, message)
    return "参数值无效"


# Database constraints that refuse a whole import file, as the staff read them (imports/pipeline.py).
CONSTRAINT_LABELS = {
    "member_certno_region_unique": "该身份证号已在本统筹区登记",
    "member_region_district_fk": "县区不属于该统筹区",
    "providers_provider_fixmedins_code_key": "定点机构编码已存在",
}


def constraint_label(name: str | None) -> str:
    return CONSTRAINT_LABELS.get(name or "", "数据库完整性约束")
