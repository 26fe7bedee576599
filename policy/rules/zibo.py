"""Zibo 淄博 — employee scheme 职工医保, 淄政办发〔2022〕12号, 2023-01-01 … 2027-12-31.

Sources: 第五条 (personal account), 第六条 (deductible, ratios, cap, out of area), 第八条 (exclusions),
第十二条 (外配处方 at designated retail pharmacies).
See shared/policy/RULES.md "Zibo".
"""
import functools
from datetime import date
from decimal import Decimal

from .adjudication import (
    Claim, adjudicator, charged_to, money, percent, rated_provider, refuse_common_exclusions, year_to_date_view,
)
from .common import (
    FUND, Decision, MemberFacts, ProviderFacts, SignupFacts, VisitFacts, YearToDate, YearToDateView,
    bucket_deductible_for_level,
)
from .money import ZERO, to_fen
from .params import LEVELS, Params, Spec

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
    "account_employer_part": Spec("money", "在职: employer part still credited monthly "
                                  "(2023: half the former standard; 2024: 0)", nullable=True),
    "account_rate_retired_under_70": Spec("ratio", "退休 under 70: share of the 2023 average pension"),
    "account_rate_retired_70_plus": Spec("ratio", "退休 70 and over: share of the 2023 average pension"),
    "average_pension": Spec("money", "本市2023年度基本养老金平均水平 — entered by staff", nullable=True),
    "retired_account_fixed": Spec("money", "2023: the unchanged retired monthly credit — entered by staff",
                                  nullable=True),
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

# ---------------------------------------------------------------------------------------------
# Outpatient adjudication (第六条, 第八条)
# ---------------------------------------------------------------------------------------------


@adjudicator
def adjudicate(*, params: Params, member: MemberFacts, provider: ProviderFacts, signup: SignupFacts | None,
               visit: VisitFacts, ytd: YearToDate, explain: bool = True) -> Decision:
    """Fund = min(round((base − annual deductible of the level) × ratio), annual cap remaining), where
    base is the eligible amount less the 10% a temporary out-of-area member pays first.

    第八条's exclusions (工伤, 第三人, 公共卫生, 境外, 住院期间) are the common ones of RULES.md.
    """
    cap = annual_cap(params, member=member, signup=signup, year=ytd.year)
    claim = Claim(annual_cap=cap, charged_provider_code=charged_to(provider), explain=explain)
    refuse_common_exclusions(claim, member=member, provider=provider, visit=visit, fills_prescriptions=True)
    # 第十二条 外配处方: a fill is rated at the prescriber's level and that level's annual deductible.
    rated = rated_provider(claim, provider=provider, visit=visit)
    eligible = claim.eligible(visit)
    base = eligible - _temporary_out_of_area_first_pay(claim, params, visit=visit)
    level = rated.level
    deductible_bucket = _DEDUCTIBLE_BUCKET[level]
    deductible = claim.deductible(base=base, standard=params.by_level("deductible_annual", level),
                                  already_paid=ytd.get(deductible_bucket),
                                  note=_DEDUCTIBLE_NOTES[level])
    ratio = params.by_level(_RATIO_PARAMETER[member.person_type], level)
    # The ratio's note only where the decision is explained (it names the parameters' year).
    by_ratio = claim.apply_ratio(base=base - deductible, ratio=ratio,
                                 note=_ratio_note(level, params.effective_from.year) if explain else "")
    fund = claim.clip_to_cap(by_ratio, rule="annual_cap", cap=cap, used=ytd.get(FUND),
                             note="第六条 普通门诊年度最高支付限额")
    return claim.settle(deductible=deductible, ratio=ratio, fund=fund,
                        deltas={FUND: fund, deductible_bucket: deductible})


# The ratio parameter of each person type ("employed" | "retired": MemberFacts.person_type).
_RATIO_PARAMETER = {"employed": "ratio_employed", "retired": "ratio_retired"}
# Each level's deductible bucket name, written once (common.py ``bucket_deductible_for_level``): looked
# up per decision and per year-to-date view, where formatting the name each time was a call and a string.
_DEDUCTIBLE_BUCKET = {level: bucket_deductible_for_level(level) for level in LEVELS}


# The notes' texts made once per level (and year): formatting them was a tenth of the rules' time
# for a visit, and a region has three levels. The deductible's in a plain dictionary: a subscript
# costs a third of a cached function's call (24 against 83 ns, on every decision).
_DEDUCTIBLE_NOTES = {level: f"第六条 {level}级医疗机构年度起付标准（各等级分别累计）" for level in LEVELS}


@functools.cache
def _ratio_note(level: str, year: int) -> str:
    return f"第六条 {level}级医疗机构支付比例（{year}年起执行的参数）"


def annual_cap(params: Params, *, member: MemberFacts, signup: SignupFacts | None, year: int) -> Decimal:
    """第六条: 3 000 in 2023, 4 000 from 2024 — the value of the parameter set in force."""
    return params.get("annual_cap")


def year_to_date(params: Params, *, member: MemberFacts, signup: SignupFacts | None,
                 ytd: YearToDate) -> YearToDateView:
    return year_to_date_view(ytd, annual_cap=annual_cap(params, member=member, signup=signup, year=ytd.year),
                             deductible_paid={lv: ytd.get(bucket) for lv, bucket in _DEDUCTIBLE_BUCKET.items()})


def _temporary_out_of_area_first_pay(claim: Claim, params: Params, *, visit: VisitFacts) -> Decimal:
    """第六条: 临时外出就医 — the member first pays 10% of the eligible amount, the rest goes through
    the same-level rules; 异地长期居住 is treated as local. Reading: the 10% is an amount the member
    pays, so it is rounded once to the fen and the rest is the eligible amount less it.
    RULES.md Reading: an unregistered visit elsewhere 未备案 is a temporary one 临时外出就医."""
    if visit.out_of_area not in ("temporary", "unregistered"):
        return ZERO
    share = params.get("temporary_out_of_area_selfpay")
    first_pay = to_fen(visit.eligible * share)
    claim.step("temporary_out_of_area", first_pay,
               ("第六条 未备案的异地就医按临时外出就医，" if visit.out_of_area == "unregistered"
                else "第六条 临时外出就医")
               + f"个人先自付 {percent(share)}：{money(first_pay)} 元，余额按本市同级别待遇")
    return first_pay
