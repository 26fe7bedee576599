"""Nanyang 南阳 — employee scheme 职工医保, 宛政办〔2022〕42号, in force from 2022-07-01.

Sources: 第五条 (deductible, ratios, caps), 第六条 (retirement switch), 第八条 (personal account),
第十五条 (out-of-area direct settlement). See shared/policy/RULES.md "Nanyang".
"""
from datetime import date

from .params import Spec

ADMDVS = "411300"
NAME = "南阳市"
INSUTYPE = "310"
HAS_SIGNUP = False

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
PARAMETERS = {
    "deductible_per_visit": Spec("money_by_level", "按次起付标准 by level (第五条)"),
    "deductible_window_hours": Spec("int", "visits to the same provider within this many hours share one deductible"),
    "ratio_employed": Spec("ratio_by_level", "在职 payment ratio by level"),
    "ratio_retired": Spec("ratio_by_level", "退休 payment ratio by level"),
    "annual_cap_employed": Spec("money", "在职 annual fund cap"),
    "annual_cap_retired": Spec("money", "退休 annual fund cap (what was paid before the switch counts)"),
    "account_rate_employed": Spec("ratio", "在职 monthly credit, share of the contribution base (第八条)"),
    "account_rate_retired": Spec("ratio", "退休 fixed credit, share of the 2021 average pension"),
    "average_pension": Spec("money", "本市2021年月人均基本养老金 — entered by staff", nullable=True),
}

SEED = [
    {
        "effective_from": date(2022, 7, 1),
        "effective_to": None,
        "note": "宛政办〔2022〕42号",
        "values": {
            "deductible_per_visit": {"1": "0", "2": "30", "3": "50"},
            "deductible_window_hours": 24,
            "ratio_employed": {"1": "0.60", "2": "0.55", "3": "0.50"},
            "ratio_retired": {"1": "0.70", "2": "0.65", "3": "0.60"},
            "annual_cap_employed": "1500",
            "annual_cap_retired": "2000",
            "account_rate_employed": "0.02",
            "account_rate_retired": "0.02",
            "average_pension": None,
        },
    },
]
