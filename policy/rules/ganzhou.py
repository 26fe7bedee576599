"""Ganzhou 赣州 — employee scheme 职工医保, 赣市府办发〔2022〕27号, 2023-01-01 … 2024-12-31.

Sources: 第五条 (benefit categories, deductibles, ratios, caps, sub-caps, special items),
第六条/第七条 (personal account). See shared/policy/RULES.md "Ganzhou".
"""
from datetime import date

from .params import Spec

ADMDVS = "360700"
NAME = "赣州市"
INSUTYPE = "310"
HAS_SIGNUP = False

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
PARAMETERS = {
    "deductible_ordinary": Spec("money", "普通门诊 annual deductible (shared accumulator with TCM)"),
    "deductible_tcm": Spec("money", "中医门诊 annual deductible (shared accumulator with ordinary)"),
    "ratio_employed": Spec("ratio_by_level", "普通门诊 在职 ratio by level"),
    "retired_bonus": Spec("ratio", "退休 points added to the ratio"),
    "tcm_bonus": Spec("ratio", "中医门诊 points added to the ratio"),
    "annual_cap_employed": Spec("money", "在职 ordinary cap (TCM and two-disease included)"),
    "annual_cap_retired": Spec("money", "退休 ordinary cap"),
    "two_disease_subcap": Spec("money_by_key", "两病 drug sub-caps inside the ordinary cap",
                               keys=("hypertension", "diabetes")),
    "special_item_ratio": Spec("ratio", "特殊检查治疗: the inpatient ratio (not in the source; staff enter it)",
                               nullable=True),
    "account_rate_employed": Spec("ratio", "在职/灵活就业: share of the contribution base"),
    "account_rate_retired": Spec("ratio", "退休: share of the provincial average pension"),
    "average_pension": Spec("money", "全省改革当年基本养老金平均水平 — entered by staff", nullable=True),
}

SEED = [
    {
        "effective_from": date(2023, 1, 1),
        "effective_to": date(2024, 12, 31),
        "note": "赣市府办发〔2022〕27号 第五、六条",
        "values": {
            "deductible_ordinary": "600",
            "deductible_tcm": "300",
            "ratio_employed": {"1": "0.60", "2": "0.55", "3": "0.50"},
            "retired_bonus": "0.05",
            "tcm_bonus": "0.05",
            "annual_cap_employed": "1800",
            "annual_cap_retired": "2000",
            "two_disease_subcap": {"hypertension": "500", "diabetes": "600"},
            "special_item_ratio": None,
            "account_rate_employed": "0.02",
            "account_rate_retired": "0.025",
            "average_pension": None,
        },
    },
]
