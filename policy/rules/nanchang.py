"""Nanchang 南昌 — resident scheme 城乡居民医保, 2019 暂行办法, in force from 2020-01-01.

Sources: 第六–十五条 (sign-up, ratios, exclusions, changes), 第二十二–二十九条 (budget, monthly
pre-settlement, year-end settlement, county fund ceiling). See shared/policy/RULES.md "Nanchang".
"""
from datetime import date
from decimal import Decimal

from .capitation import YearEndAmounts, balance
from .money import to_fen
from .params import Params, Spec

ADMDVS = "360100"
NAME = "南昌市"
INSUTYPE = "390"
HAS_SIGNUP = True
# Provider kinds a member may sign up with (第七条): township / community centres and clinics in
# elderly-care institutions; village clinics are service points of their township centre.
SIGNUP_PROVIDER_KINDS = ("township", "community", "eldercare")

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
PARAMETERS = {
    "ratio_signed": Spec("ratio", "at the signed provider and its village service points"),
    "ratio_referral": Spec("ratio", "on referral to the county TCM hospital"),
    "ratio_poverty": Spec("ratio", "建档立卡贫困人口, signed provider and referral alike"),
    "family_doctor_bonus": Spec("ratio", "家庭医生签约: points added at the signed provider only"),
    "resettled_annual_cap": Spec("money", "异地安置: per-capita pooling fund amount, the yearly cap", nullable=True),
    "age_groups": Spec("age_groups", "budget standard per person per year by age group (age = year − birth year)"),
    "year_end_lower_band": Spec("ratio", "below this share of the budget the actual is paid"),
    "year_end_upper_band": Spec("ratio", "from this share of the budget the budget is paid"),
    "year_end_middle_share": Spec("ratio", "between the bands: actual + this share of (budget − actual)"),
    "selection_window_start": Spec("month_day", "annual re-selection opens"),
    "selection_window_end": Spec("month_day", "annual re-selection closes"),
}

SEED = [
    {
        "effective_from": date(2020, 1, 1),
        "effective_to": None,
        "note": "南昌市城乡居民门诊统筹暂行办法 (2019)",
        "values": {
            "ratio_signed": "0.60",
            "ratio_referral": "0.40",
            "ratio_poverty": "0.65",
            "family_doctor_bonus": "0.05",
            "resettled_annual_cap": None,
            "age_groups": [
                {"group": 1, "standard": "37", "ages": "0,14-25"},
                {"group": 2, "standard": "70", "ages": "1,10-13,26-32,90+"},
                {"group": 3, "standard": "141", "ages": "2,7-9,33-52,88,89"},
                {"group": 4, "standard": "181", "ages": "6,53-64,81,83-87"},
                {"group": 5, "standard": "226", "ages": "3-5,65-80,82"},
            ],
            "year_end_lower_band": "0.80",
            "year_end_upper_band": "0.90",
            "year_end_middle_share": "0.50",
            "selection_window_start": "10-01",
            "selection_window_end": "12-31",
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Budget and settlement (第二十二–二十九条)
# ---------------------------------------------------------------------------------------------


def age_group(params: Params, *, budget_year: int, birth_year: int) -> tuple[int, Decimal]:
    """(group, yearly standard) for a member; age = budget year − birth year, per RULES.md."""
    age = budget_year - birth_year
    for group in params.get("age_groups"):
        for low, high in group["ranges"]:
            if age >= low and (high is None or age <= high):
                return group["group"], group["standard"]
    raise ValueError(f"age {age} belongs to no budget group")


def monthly_quota(*, standard_total_of_signed_members: Decimal) -> Decimal:
    """Quota = Σ over members signed that month of (standard ÷ 12), rounded once per line."""
    return to_fen(Decimal(standard_total_of_signed_members) / 12)


def monthly_paid(*, actual: Decimal, quota: Decimal) -> Decimal:
    """月预结算: the month's actual fund payments if below the quota, else the quota."""
    return min(actual, quota)


def year_end(params: Params, *, budget: Decimal, actual: Decimal, prepaid: Decimal) -> YearEndAmounts:
    """年度决算 by the 80%/90% bands (第二十六条)."""
    lower = params.get("year_end_lower_band")
    upper = params.get("year_end_upper_band")
    if actual < lower * budget:
        band, determined = "below_80", actual
        why = f"actual {actual} < {lower} × budget {budget}: the actual is paid"
    elif actual < upper * budget:
        share = params.get("year_end_middle_share")
        band, determined = "80_to_90", to_fen(actual + share * (budget - actual))
        why = f"{lower} ≤ actual/budget < {upper}: actual + {share} × (budget − actual)"
    else:
        band, determined = "90_and_over", budget
        why = f"actual ≥ {upper} × budget {budget}: the budget is paid"
    return YearEndAmounts(band=band, determined=determined, balance_due=balance(determined, prepaid), explanation=why)
