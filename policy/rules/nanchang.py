"""Nanchang 南昌 — resident scheme 城乡居民医保, 2019 暂行办法, in force from 2020-01-01.

Sources: 第六–十五条 (sign-up, ratios, exclusions, changes), 第二十二–二十九条 (budget, monthly
pre-settlement, year-end settlement, county fund ceiling). See shared/policy/RULES.md "Nanchang".
"""
from datetime import date
from decimal import Decimal

from .adjudication import Claim, adjudicator, charged_to, refuse_common_exclusions, year_to_date_view
from .capitation import YearEndAmounts, balance
from .common import (
    FUND, Decision, MemberFacts, ProviderFacts, RegistrationFacts, SignupFacts, VisitFacts, YearToDate,
    YearToDateView,
)
from .out_of_area import PRIMARY_KINDS
from .money import ZERO, to_fen
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
    # No longer read: RULES.md (second reading) makes the resettled yearly cap the member's age-group
    # standard (``annual_cap``). Kept in the spec so the parameter sets already stored stay valid.
    "resettled_annual_cap": Spec("money", "异地安置: superseded by the age-group standard (not used)", nullable=True),
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
# Outpatient adjudication (第六条, 第十–十四条, 第三十一条)
# ---------------------------------------------------------------------------------------------
# Where a covered visit happens decides its ratio and whose settlement line carries it.
AT_SIGNED, REFERRAL, RESETTLED = "signed", "referral", "resettled"


@adjudicator
def adjudicate(*, params: Params, member: MemberFacts, provider: ProviderFacts, signup: SignupFacts | None,
               visit: VisitFacts, ytd: YearToDate, explain: bool = True) -> Decision:
    """Fund = round(eligible × ratio): no deductible and no per-person cap (第十四条; the provider's
    budget limits the total), except resettled members, capped per year (第三十一条). Every covered
    visit is reimbursed through the signed provider and counts in its actual (第十条, 第三十一条)."""
    cap = annual_cap(params, member=member, signup=signup, year=ytd.year)
    claim = Claim(annual_cap=cap, charged_provider_code=charged_to(provider), explain=explain)
    refuse_common_exclusions(claim, member=member, provider=provider, visit=visit)
    signed = _signed_provider(claim, signup)
    where = _where_covered(claim, member=member, provider=provider, signed=signed, visit=visit)
    eligible = claim.eligible(visit)
    claim.step("deductible", ZERO, "第十四条 普通门诊统筹不设起付标准")
    ratio = _ratio(params, member=member, signup=signup, where=where)
    fund = claim.apply_ratio(base=eligible, ratio=ratio, note=_RATIO_NOTES[where])
    if cap is not None:
        fund = claim.clip_to_cap(fund, rule="annual_cap", cap=cap, used=ytd.get(FUND),
                                 note=f"第三十一条 异地安置以人均普通门诊统筹基金（{ytd.year}年年龄组标准）"
                                      "为年度最高限额，市内外合并计算")
    return claim.settle(deductible=ZERO, ratio=ratio, fund=fund, deltas={FUND: fund},
                        charged_provider_code=signed.code)


def annual_cap(params: Params, *, member: MemberFacts, signup: SignupFacts | None, year: int) -> Decimal | None:
    """No per-person cap (第十四条), except in every year in which a resettled member's benefit
    (第三十一条: from 1 January of the year after the registration's start) is in force for any part
    of the year: then all their covered visits, in and out of the city, share a yearly cap equal to
    the member's age-group standard for that year (RULES.md Reading: 人均普通门诊统筹基金 is the
    per-person standard the signed provider's budget receives for that member; age = year − birth
    year). In the registration's own first year local visits follow the ordinary rules, uncapped."""
    if _resettled_benefit_year(member, year=year) is None:
        return None
    return age_group_standard(params, age=year - member.birth_date.year)


def age_group_standard(params: Params, *, age: int) -> Decimal:
    """The budget standard of the age group ``age`` belongs to (第二十三条 table; every age 0–120 is
    in exactly one group, checked when the parameters are entered; older ages fall in the open
    "90 and over" range)."""
    for group in params.get("age_groups"):
        for low, high in group["ranges"]:
            if low <= age and (high is None or age <= high):
                return group["standard"]
    raise ValueError(f"age {age} belongs to no age group")


def _resettled_benefit_year(member: MemberFacts, *, year: int) -> RegistrationFacts | None:
    """The resettled registration whose benefit (1 January after ``start_on`` … ``end_on``) is in
    force for some part of ``year``, if any."""
    for registration in member.registrations:
        if (registration.kind == "resettled" and registration.start_on.year < year
                and (registration.end_on is None or registration.end_on.year >= year)):
            return registration
    return None


def _cancelled_resettlement(member: MemberFacts, *, day: date) -> RegistrationFacts | None:
    """第三十二条: a resettlement cancelled on C makes the signed provider's visits from C to 31 December
    of that year not reimbursable. Reading: ``cancelled_on`` marks a 取消备案 (a registration that
    simply reaches its end date was not cancelled); earlier claims are not re-adjudicated."""
    for registration in member.registrations:
        cancelled = registration.cancelled_on
        if registration.kind == "resettled" and cancelled is not None and cancelled <= day \
                and cancelled.year == day.year:
            return registration
    return None


def year_to_date(params: Params, *, member: MemberFacts, signup: SignupFacts | None,
                 ytd: YearToDate) -> YearToDateView:
    return year_to_date_view(ytd, annual_cap=annual_cap(params, member=member, signup=signup, year=ytd.year),
                             deductible_paid={})


def _signed_provider(claim: Claim, signup: SignupFacts | None) -> ProviderFacts:
    """第六条/第十一条: benefits only after signing up with one outpatient-pooling provider (resettled
    members too: they sign up in the city and are reimbursed through it)."""
    if signup is None or signup.provider is None:
        claim.refuse("not_signed_provider", "第六条 参保居民未确定门诊统筹签约机构，不享受普通门诊统筹待遇")
    return signup.provider


def _where_covered(claim: Claim, *, member: MemberFacts, provider: ProviderFacts,
                   signed: ProviderFacts, visit: VisitFacts) -> str:
    """第十三条(一): only at the signed provider or its village service points (第十七条), by referral
    to the county TCM hospital (第十条; the eligible amount sent is already limited to TCM patent
    medicines, decoction pieces and class-A TCM items, 第十二条(三)), or — for a resettled member —
    out of area (第三十一条). Out of area without a resettled registration for that destination
    (``out_of_area`` unregistered) is "elsewhere than the signed provider" (RULES.md table)."""
    registration = visit.registration
    if visit.out_of_area == "long_term" and registration is not None and registration.kind == "resettled":
        return _resettled(claim, registration=registration, provider=provider, visit=visit)
    if provider.code == signed.code or (provider.kind == "village" and provider.parent_code == signed.code):
        cancelled = _cancelled_resettlement(member, day=visit.day)
        if cancelled is not None:
            claim.refuse("resettlement_cancelled",
                         f"第三十二条 已于 {cancelled.cancelled_on} 取消异地安置，"
                         "当年度在本市签约机构发生的普通门诊费用不予报销")
        return AT_SIGNED
    if visit.referral and provider.kind == "county_tcm":
        return REFERRAL
    claim.refuse("not_signed_provider",
                 f"第十三条(一) 未在门诊统筹签约机构（{signed.code}）或其村卫生室服务网点发生，且非转诊至县级中医医院")


def _resettled(claim: Claim, *, registration: RegistrationFacts, provider: ProviderFacts,
               visit: VisitFacts) -> str:
    """第三十一条: registered 异地安置 members are covered from 1 January of the year after the
    registration's start (not before), for visits at primary-level providers 基层医疗机构 of the
    destination (kind township, community or village: RULES.md), reimbursed through the signed
    provider, under the yearly cap (see ``annual_cap``)."""
    if visit.day.year <= registration.start_on.year:
        claim.refuse("resettled_waiting_year",
                     f"第三十一条 异地安置备案（{registration.start_on} 起）次年起才享受普通门诊统筹待遇")
    if provider.kind not in PRIMARY_KINDS:
        claim.refuse("resettled_not_primary_care",
                     "第三十一条 异地安置人员仅报销安置地基层医疗机构（乡镇卫生院、社区卫生服务中心、村卫生室）"
                     f"的普通门诊费用，{provider.code} 不是")
    return RESETTLED


def _ratio(params: Params, *, member: MemberFacts, signup: SignupFacts, where: str) -> Decimal:
    """第十四条: 60% at the signed provider, 40% on referral; poverty-registered 65% for both; a
    family-doctor agreement adds 5 points at the signed provider only (RULES.md Reading: on top of
    whichever base applies, so poverty + family doctor = 70%; referrals get no +5). Readings: the
    signed provider's village service points count as "at the signed provider" for the +5 (they are
    its service network, 第十七条); a resettled visit is reimbursed at the signed-provider base
    (poverty 65%) without the +5, which belongs to the signed provider itself."""
    if member.poverty:
        base = params.get("ratio_poverty")
    else:
        base = params.get("ratio_referral" if where == REFERRAL else "ratio_signed")
    if where == AT_SIGNED and signup.family_doctor:
        return base + params.get("family_doctor_bonus")
    return base


_RATIO_NOTES = {
    AT_SIGNED: "第十四条 门诊统筹签约机构（含村卫生室服务网点）报销比例",
    REFERRAL: "第十条/第十四条 转诊至县级中医医院报销比例，回签约机构报销",
    RESETTLED: "第三十一条 异地安置人员安置地基层医疗机构，由签约机构按规定报销",
}


# ---------------------------------------------------------------------------------------------
# Budget and settlement (第二十二–二十九条)
# ---------------------------------------------------------------------------------------------


# A member's age group (``age_groups``; age = budget year − birth year, per RULES.md) is applied set-based,
# as birth-date ranges in SQL: budgets/sql.py ``_group_case``.


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


# Settlement runs (budgets app) read these: Nanchang's capitation unit is the member-month by age
# group; every visit reimbursed through the signed provider counts in its actual (第三十一条 resettled
# members included), and a member's FIRST sign-up counts the full year in the budget (第二十八条).
CAPITATION_BY_AGE_GROUP = True
FIRST_SIGNUP_COUNTS_FULL_YEAR = True
OUT_OF_AREA_IN_CAPITATION = True
HAS_COUNTY_CEILING = True


def budget(params: Params, *, standard_times_member_months: Decimal) -> Decimal:
    """Annual budget of a provider: Σ standard × months ÷ 12 (第二十八条 month shares), rounded once."""
    return to_fen(Decimal(standard_times_member_months) / 12)
