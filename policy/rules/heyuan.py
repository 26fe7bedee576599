"""Heyuan 河源 — employee scheme 职工医保, 经办规程 under 河府办〔2022〕15号, in force from 2022-08.

Sources: 第五条 (selection), 第七–十一条 (personal account), 第十二条 (capitation 定额包干),
第十六–十八条 (ratios, caps, emergency and referral). See shared/policy/RULES.md "Heyuan".
"""
from datetime import date
from decimal import Decimal

from .adjudication import Claim, adjudicator, charged_to, refuse_common_exclusions, year_to_date_view
from .capitation import YearEndAmounts, balance
from .common import (
    FUND, Decision, MemberFacts, ProviderFacts, SignupFacts, VisitFacts, YearToDate, YearToDateView,
)
from .money import ZERO, to_fen
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
# Outpatient adjudication (第五条, 第十六–十八条)
# ---------------------------------------------------------------------------------------------


@adjudicator
def adjudicate(*, params: Params, member: MemberFacts, provider: ProviderFacts, signup: SignupFacts | None,
               visit: VisitFacts, ytd: YearToDate, explain: bool = True) -> Decision:
    """第五条: fund = min(round(eligible × ratio), per-visit cap, annual cap remaining); no deductible."""
    cap = annual_cap(params, member=member, signup=signup, year=ytd.year)
    claim = Claim(annual_cap=cap, charged_provider_code=charged_to(provider), explain=explain)
    refuse_common_exclusions(claim, member=member, provider=provider, visit=visit)
    selected = _selected_provider(claim, signup, visit=visit)
    if selected is None:
        level, charged = _emergency_without_selection(claim, provider=provider)
    else:
        level, charged = _where_covered(claim, provider=provider, selected=selected, visit=visit)
    eligible = claim.eligible(visit)
    claim.step("deductible", ZERO, "第五条(一) 职工医保普通门诊统筹不设起付标准")
    ratio = params.by_level(f"ratio_{member.person_type}", level)
    by_ratio = claim.apply_ratio(base=eligible, ratio=ratio,
                                 note=f"第五条(一) {_TYPE_NAMES[member.person_type]} {level}级定点机构支付比例")
    within_visit_cap = claim.clip_to_cap(by_ratio, rule="per_visit_cap", cap=params.by_level("per_visit_cap", level),
                                         used=ZERO, note=f"第五条(二) {level}级定点医疗机构单次支付限额")
    fund = claim.clip_to_cap(within_visit_cap, rule="annual_cap", cap=cap, used=ytd.get(FUND),
                             note="第五条(二)/(三) 年度最高支付限额（市内、市外累计计算）")
    return claim.settle(deductible=ZERO, ratio=ratio, fund=fund, deltas={FUND: fund}, charged_provider_code=charged)


def annual_cap(params: Params, *, member: MemberFacts, signup: SignupFacts | None, year: int) -> Decimal:
    """第五条(二): 1 800 a year; a member who first selects mid-year gets cap ÷ 12 × the months from the
    selection month to December (``prorated_annual_cap``, which also starts 2022 in August). Reading:
    "first selects" is the member's first-ever selection (``signup.first_effective_on``); in any
    later year, or with no selection, the full cap of the year applies."""
    first = signup.first_effective_on if signup is not None else None
    first_month = first.month if first is not None and first.year == year else 1
    return prorated_annual_cap(params, first_month=first_month)


def year_to_date(params: Params, *, member: MemberFacts, signup: SignupFacts | None,
                 ytd: YearToDate) -> YearToDateView:
    return year_to_date_view(ytd, annual_cap=annual_cap(params, member=member, signup=signup, year=ytd.year),
                             deductible_paid={})


_TYPE_NAMES = {"employed": "在职", "retired": "退休"}


def _selected_provider(claim: Claim, signup: SignupFacts | None, *, visit: VisitFacts) -> ProviderFacts | None:
    """第十六条/第十八条: each member selects one provider (new members after paying); without a
    selection in effect nothing is paid — except an emergency (第十七条 excepts 急救抢救 from the
    selection rule; RULES.md Heyuan): then None, and ``_emergency_without_selection`` rates it."""
    if signup is None or signup.provider is None:
        if visit.emergency:
            return None
        claim.refuse("not_signed_provider", "第十六条 参保人未选定门诊定点医疗机构，统筹基金不予支付")
    return signup.provider


def _emergency_without_selection(claim: Claim, *, provider: ProviderFacts) -> tuple[str, str]:
    """第十七条, RULES.md Heyuan "Emergency without a selection in effect": paid at the treating
    provider's level (its ratio and per-visit cap) under the year's annual cap — the full cap, or the
    prorated one when the member's first selection falls in that year (``annual_cap`` reads it from
    ``signup.first_effective_on``) — and fee-for-service: no selected provider's capitation carries
    it, so it is charged to the treating provider (a village station's to its centre)."""
    charged = charged_to(provider)
    claim.step("where", None,
               f"第十七条 急救抢救，尚无选定定点机构：按就医机构 {provider.code} {provider.level}级待遇，"
               f"记入 {charged}（按项目付费，不计入定额包干）")
    return provider.level, charged


def _where_covered(claim: Claim, *, provider: ProviderFacts, selected: ProviderFacts,
                   visit: VisitFacts) -> tuple[str, str]:
    """(level whose ratio and per-visit cap apply, provider whose settlement line carries it).

    第十七条: covered at the selected provider and (第十二条) the village stations of a selected centre,
    at the selected provider's level; elsewhere only for 急救抢救 and approved referrals, which RULES.md
    reads as paid at the treating provider's level. Reading (RULES.md "Capitation"): an emergency or
    referral at another provider in the city is charged to the selected provider's capitation; out of
    the city it is paid fee-for-service (第十二条(六)) on the treating provider's (or its centre's) line.

    Out of the city (RULES.md "Out-of-area care", 第五条(三), 第十六条): covered only at the member's
    out-of-city selection while the long-term registration for its city is in force (city rules at
    its level, fee-for-service to it), or for an emergency, at the treating level. A lapsed
    registration leaves the out-of-city selection covering nothing (``out_of_area_not_registered``)
    until the member selects again — an emergency there is then an unregistered emergency like any
    other, at the treating level. Reading: "no longer covers anything … until the member selects
    again" is read with the reason code RULES.md gives it, ``out_of_area_not_registered``: the
    selection covers nothing while no long-term registration for its city is in force, and a new one
    for the same city (without a new selection) makes it cover again. A member whose selection is
    out of the city counts in no provider's capitation, so an emergency in the city is then charged
    fee-for-service to the treating provider (Reading).
    """
    out_of_city = provider.admdvs != ADMDVS
    at_selected = provider.code == selected.code or (
        provider.kind == "village" and provider.parent_code == selected.code)
    lapsed = at_selected and out_of_city and visit.out_of_area == "unregistered"
    if lapsed and visit.emergency:
        # 第十七条 "除急救和抢救需要外": an emergency at a lapsed out-of-city selection is an unregistered
        # emergency like one at any other provider there (RULES.md "Out-of-area care", Heyuan
        # `unregistered`: "only emergency, at the treating level"), rated below at the treating level.
        at_selected = False
    elif lapsed:
        claim.refuse("out_of_area_not_registered",
                     f"第十六条 市外选点机构 {selected.code} 所在地无有效的异地长期居住备案（备案已结束），"
                     "统筹基金不予支付，须重新选点")
    if at_selected:
        claim.step("where", None, f"第十六条 在选定定点机构 {selected.code}（或其村卫生站）就医，按选定机构等级"
                   + ("（市外选点，按项目付费）" if out_of_city else ""))
        return selected.level, selected.code
    if visit.emergency or (visit.referral and not out_of_city):
        why = "急救抢救" if visit.emergency else "经转诊"
        selected_in_city = selected.admdvs == ADMDVS
        charged = selected.code if not out_of_city and selected_in_city else charged_to(provider)
        where = ("（市内，计入选定机构包干）" if charged == selected.code
                 else "（市外，按项目付费）" if out_of_city else "（选点在市外，不计包干，按项目付费）")
        claim.step("where", None,
                   f"第十七条 {why}在非选定机构 {provider.code} 就医，按就医机构 {provider.level}级待遇，"
                   f"记入 {charged}{where}")
        return provider.level, charged
    if out_of_city and visit.out_of_area == "unregistered":
        claim.refuse("out_of_area_not_registered",
                     f"第五条(三) 未办理异地就医备案，在市外机构 {provider.code} 就医仅急救抢救可予支付")
    claim.refuse("not_signed_provider",
                 f"第十七条 未经转诊到非选定定点医疗机构（选定 {selected.code}）门诊就医，"
                 "且非急救抢救，统筹基金不予支付" + ("（市外仅在市外选点机构或急救抢救时支付）" if out_of_city else ""))


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


# Settlement runs (budgets app) read these: one standard per member-month, no full-year rule for a
# mid-year selection, out-of-city visits paid fee-for-service outside capitation (第十二条(六)).
CAPITATION_BY_AGE_GROUP = False
FIRST_SIGNUP_COUNTS_FULL_YEAR = False
OUT_OF_AREA_IN_CAPITATION = False
HAS_COUNTY_CEILING = False
