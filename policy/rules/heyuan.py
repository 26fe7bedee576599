"""Heyuan 河源 — employee scheme 职工医保, 经办规程 under 河府办〔2022〕15号, in force from 2022-08.

Sources: 第五条 (selection), 第七–十一条 (personal account), 第十二条 (capitation 定额包干),
第十六–十八条 (ratios, caps, emergency and referral). See shared/policy/RULES.md "Heyuan".
"""
from datetime import date
from decimal import Decimal

from .capitation import YearEndAmounts, balance
from .money import to_fen
from .params import Params, Spec

ADMDVS = "441600"
NAME = "河源市"
INSUTYPE = "310"
HAS_SIGNUP = True
# Any designated provider of any level may be selected (第五条); pharmacies are not outpatient providers.
SIGNUP_PROVIDER_KINDS = ("township", "community", "eldercare", "hospital", "county_tcm")

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
PARAMETERS = {
    "ratio_employed": Spec("ratio_by_level", "在职 ratio by the level of the selected provider"),
    "ratio_retired": Spec("ratio_by_level", "退休 ratio by the level of the selected provider"),
    "per_visit_cap": Spec("money_by_level", "每次 fund cap by level"),
    "annual_cap": Spec("money", "年度最高支付限额 (prorated by month for a mid-year first selection)"),
    "capitation_standard": Spec("money", "定额包干 per member per year"),
    "capitation_first_month": Spec("int", "first month of the year that capitation runs (2022: August)"),
    "prepayment_rate": Spec("ratio", "monthly prepayment share of the month's capitation"),
    "year_end_lower_band": Spec("ratio", "usage below this: actual + the low surplus share"),
    "surplus_share_high": Spec("ratio", "usage between the lower band and 100%: share of the surplus paid"),
    "surplus_share_low": Spec("ratio", "usage below the lower band: share of the surplus paid"),
    "selection_window_start": Spec("month_day", "selection for next year opens"),
    "selection_window_end": Spec("month_day", "selection for next year closes"),
    "account_rate_employed": Spec("ratio", "在职/灵活就业: share of the monthly base"),
    "retired_account_fixed": Spec("money", "退休: fixed monthly credit", nullable=True),
}

_COMMON = {
    "ratio_employed": {"1": "0.70", "2": "0.60", "3": "0.55"},
    "ratio_retired": {"1": "0.75", "2": "0.65", "3": "0.60"},
    "per_visit_cap": {"1": "60", "2": "120", "3": "150"},
    "annual_cap": "1800",
    "capitation_standard": "320",
    "capitation_first_month": 1,
    "prepayment_rate": "0.80",
    "year_end_lower_band": "0.80",
    "surplus_share_high": "0.80",
    "surplus_share_low": "0.20",
    "selection_window_start": "09-01",
    "selection_window_end": "12-31",
    "account_rate_employed": "0.02",
    "retired_account_fixed": "102.79",
}

SEED = [
    {
        "effective_from": date(2022, 8, 1),
        "effective_to": date(2022, 12, 31),
        "note": "河府办〔2022〕15号: 2022 runs August–December",
        "values": {**_COMMON, "capitation_first_month": 8},
    },
    {
        "effective_from": date(2023, 1, 1),
        "effective_to": date(2024, 12, 31),
        "note": "2023–2024: annual cap not below 2% of the average wage two years earlier (1800 until staff enter it)",
        "values": dict(_COMMON),
    },
    {
        "effective_from": date(2025, 1, 1),
        "effective_to": None,
        "note": "retired fixed credit of 102.79 ran 2022-08 … 2024-12; the new figure is for staff to enter",
        "values": {**_COMMON, "retired_account_fixed": None},
    },
]

# ---------------------------------------------------------------------------------------------
# Capitation (第十二条)
# ---------------------------------------------------------------------------------------------


def capitation(params: Params, *, member_months: int) -> Decimal:
    """Capitation for a number of member-months: standard ÷ 12 × member-months, rounded once."""
    return to_fen(params.get("capitation_standard") / 12 * member_months)


def monthly_prepayment(params: Params, *, members: int) -> Decimal:
    """320 ÷ 12 × members selecting the provider that month × 80%, rounded once (2 133.33 for 100)."""
    return to_fen(params.get("capitation_standard") / 12 * members * params.get("prepayment_rate"))


def prorated_annual_cap(params: Params, *, first_month: int) -> Decimal:
    """A member who first selects mid-year: cap ÷ 12 × months from the selection month to December."""
    months = 12 - max(first_month, params.get("capitation_first_month")) + 1
    return to_fen(params.get("annual_cap") / 12 * months)


def year_end(params: Params, *, total: Decimal, actual: Decimal, prepaid: Decimal) -> YearEndAmounts:
    """Year-end: over 100% the total (超支不补); 80–100% actual + 80% of the surplus; below, + 20%."""
    lower = params.get("year_end_lower_band")
    if actual > total:
        band, determined = "over_100", total
        why = f"actual {actual} > capitation {total}: the total is paid, the overspend is the provider's"
    elif actual >= lower * total:
        share = params.get("surplus_share_high")
        band, determined = "80_to_100", to_fen(actual + share * (total - actual))
        why = f"{lower} ≤ usage ≤ 1: actual + {share} × surplus"
    else:
        share = params.get("surplus_share_low")
        band, determined = "below_80", to_fen(actual + share * (total - actual))
        why = f"usage < {lower}: actual + {share} × surplus"
    return YearEndAmounts(band=band, determined=determined, balance_due=balance(determined, prepaid), explanation=why)
