"""Zibo 淄博 — employee scheme 职工医保, 淄政办发〔2022〕12号, 2023-01-01 … 2027-12-31.

Sources: 第五条 (personal account), 第六条 (deductible, ratios, cap, out of area), 第八条 (exclusions).
See shared/policy/RULES.md "Zibo".
"""
from datetime import date

from .params import Spec

ADMDVS = "370300"
NAME = "淄博市"
INSUTYPE = "310"
# 第十四条 mentions 签约管理 but sets no rule; RULES.md reading: not enforced.
HAS_SIGNUP = False

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
PARAMETERS = {
    "deductible_annual": Spec("money_by_level", "年度起付标准 by level; one accumulator per level"),
    "ratio_employed": Spec("ratio_by_level", "在职 payment ratio by level"),
    "ratio_retired": Spec("ratio_by_level", "退休 payment ratio by level"),
    "annual_cap": Spec("money", "年度最高支付限额"),
    "temporary_out_of_area_selfpay": Spec("ratio", "临时外出: share of the eligible amount the member pays first"),
    "account_rate_employed": Spec("ratio", "在职: share of the contribution base credited monthly (个人缴费 2%)"),
    "account_employer_part": Spec("money", "在职: employer part still credited monthly (2023: half the former standard; 2024: 0)",
                                  nullable=True),
    "account_rate_retired_under_70": Spec("ratio", "退休 under 70: share of the 2023 average pension"),
    "account_rate_retired_70_plus": Spec("ratio", "退休 70 and over: share of the 2023 average pension"),
    "average_pension": Spec("money", "本市2023年度基本养老金平均水平 — entered by staff", nullable=True),
    "retired_account_fixed": Spec("money", "2023: the unchanged retired monthly credit — entered by staff", nullable=True),
}

_COMMON = {
    "deductible_annual": {"1": "50", "2": "500", "3": "700"},
    "temporary_out_of_area_selfpay": "0.10",
    "account_rate_employed": "0.02",
    "account_rate_retired_under_70": "0.02",
    "account_rate_retired_70_plus": "0.025",
    "average_pension": None,
}

SEED = [
    {
        "effective_from": date(2023, 1, 1),
        "effective_to": date(2023, 12, 31),
        "note": "淄政办发〔2022〕12号 第五、六条 (2023)",
        "values": {
            **_COMMON,
            "ratio_employed": {"1": "0.60", "2": "0.60", "3": "0.50"},
            "ratio_retired": {"1": "0.60", "2": "0.60", "3": "0.50"},
            "annual_cap": "3000",
            "account_employer_part": None,
            "retired_account_fixed": None,
        },
    },
    {
        "effective_from": date(2024, 1, 1),
        "effective_to": date(2027, 12, 31),
        "note": "淄政办发〔2022〕12号 第五、六条 (from 2024: cap 4000, retired +5 points)",
        "values": {
            **_COMMON,
            "ratio_employed": {"1": "0.60", "2": "0.60", "3": "0.50"},
            "ratio_retired": {"1": "0.65", "2": "0.65", "3": "0.55"},
            "annual_cap": "4000",
            "account_employer_part": "0",
            "retired_account_fixed": None,
        },
    },
]
