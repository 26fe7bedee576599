"""Ganzhou 赣州 — employee scheme 职工医保, 赣市府办发〔2022〕27号, 2023-01-01 … 2024-12-31.

Sources: 第三条 (inpatient-only members outside), 第五条 (benefit categories, deductibles, ratios,
caps, sub-caps, special items), 第六条/第七条 (personal account), 第八条 (外配处方 at pharmacies),
第十二条 (chronic-disease visits). See shared/policy/RULES.md "Ganzhou".

第十二条 chronic-disease visits (RULES.md Reading): they are paid first under the chronic-disease
policy, which is not in this system; a visit the chronic benefit still covers is sent with the
``chronic`` exclusion and is not covered here (``chronic_benefit``). What exceeds the chronic limit
may be paid by ordinary pooling: once the member's limit is used up the clinic sends the visit
without the exclusion, and it is adjudicated as an ordinary (or TCM) visit like any other — the
member's certification takes nothing away from it. Only a two-disease drug visit 两病 of a member
certified for that disease stays outside (第五条(四), 避免重复报销): its excess is sent as ordinary.
"""
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from .adjudication import (
    Claim, adjudicator, charged_to, rated_provider, refuse_common_exclusions, refuse_unregistered_out_of_area,
    year_to_date_view,
)
from .common import (
    DEDUCTIBLE, FUND, SPECIAL, Decision, MemberFacts, ProviderFacts, SignupFacts, SubcapUse, VisitFacts,
    YearToDate, YearToDateView, bucket_subcap,
)
from .money import ZERO
from .params import Params, Spec

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

# ---------------------------------------------------------------------------------------------
# Outpatient adjudication (第五条)
# ---------------------------------------------------------------------------------------------
TWO_DISEASES = ("hypertension", "diabetes")
_BENEFIT_NAMES = {"ordinary": "普通门诊", "tcm": "中医门诊", "hypertension": "高血压", "diabetes": "糖尿病"}


@adjudicator
def adjudicate(*, params: Params, member: MemberFacts, provider: ProviderFacts, signup: SignupFacts | None,
               visit: VisitFacts, ytd: YearToDate, explain: bool = True) -> Decision:
    """One of four benefit categories (第五条(一)–(四)), chosen by ``visit.benefit``."""
    cap = annual_cap(params, member=member, signup=signup, year=ytd.year)
    claim = Claim(annual_cap=cap, charged_provider_code=charged_to(provider), explain=explain)
    refuse_common_exclusions(claim, member=member, provider=provider, visit=visit, fills_prescriptions=True)
    _refuse_inpatient_only(claim, member=member)
    # 第八条 / RULES.md "Out-of-area care": registered visits (long-term or temporary) follow the local
    # rules at the treating level (Reading: the source only promises direct settlement); unregistered
    # ones are not covered.
    refuse_unregistered_out_of_area(claim, visit=visit, article="第八条")
    _refuse_special_item_at_pharmacy(claim, provider=provider, visit=visit)
    # 第八条 外配处方: a fill is rated at the prescriber's level, on the shared annual deductible and caps.
    level = rated_provider(claim, provider=provider, visit=visit).level
    if visit.benefit in TWO_DISEASES:
        return _two_disease(claim, params, member=member, level=level, visit=visit, ytd=ytd)
    if visit.benefit == "special_item":
        return _special_item(claim, params, visit=visit)
    return _ordinary_or_tcm(claim, params, member=member, level=level, visit=visit, ytd=ytd)


def _refuse_inpatient_only(claim: Claim, *, member: MemberFacts) -> None:
    """第三条: members of the inpatient-only scheme 不设个人账户的住院医疗保险 are outside these rules
    altogether, so none of their outpatient visits is paid by outpatient pooling."""
    if member.inpatient_only:
        claim.refuse("inpatient_only_scheme",
                     "第三条 参加不设立个人账户的住院医疗保险的参保人员，不适用本实施办法（门诊统筹不予支付）")


def _refuse_special_item_at_pharmacy(claim: Claim, *, provider: ProviderFacts, visit: VisitFacts) -> None:
    """第五条(二)/第八条: the 7 special exams/treatments are done at medical providers; a pharmacy
    fills prescriptions only (RULES.md "Designated retail pharmacies")."""
    if provider.kind == "pharmacy" and visit.benefit == "special_item":
        claim.refuse("special_item_at_pharmacy",
                     f"第五条(二) 特殊检查治疗不能在定点零售药店 {provider.code} 结算，统筹基金不予支付")


def annual_cap(params: Params, *, member: MemberFacts, signup: SignupFacts | None, year: int) -> Decimal:
    """第五条(一): 1 800 employed, 2 000 retired; TCM and two-disease payments share it. Reading: as in
    Nanyang, after a retirement switch the year's earlier payments count against the retired cap."""
    return params.get(f"annual_cap_{member.person_type}")


def year_to_date(params: Params, *, member: MemberFacts, signup: SignupFacts | None,
                 ytd: YearToDate) -> YearToDateView:
    return year_to_date_view(ytd, annual_cap=annual_cap(params, member=member, signup=signup, year=ytd.year),
                             deductible_paid={"shared": ytd.get(DEDUCTIBLE)}, subcaps=subcap_uses(params, ytd.buckets),
                             other_paid={"special": ytd.get(SPECIAL)})


def subcap_uses(params: Params, buckets: Mapping[str, Decimal]) -> dict[str, SubcapUse]:
    """The two diseases' sub-caps 两病 as used by a year's buckets: the view's ``subcaps`` and what
    ``policy.rules.caps_reached`` asks (a region without sub-caps has no such function)."""
    subcaps = {}
    for disease in TWO_DISEASES:
        cap, used = params.get("two_disease_subcap")[disease], buckets.get(bucket_subcap(disease), ZERO)
        subcaps[disease] = SubcapUse(cap=cap, used=used, left=max(ZERO, cap - used))
    return subcaps


def _ordinary_ratio(params: Params, *, member: MemberFacts, level: str) -> Decimal:
    """第五条(一): L1 60%, L2 55%, L3 50%; retired +5 points."""
    ratio = params.by_level("ratio_employed", level)
    return ratio + params.get("retired_bonus") if member.person_type == "retired" else ratio


def _ordinary_or_tcm(claim: Claim, params: Params, *, member: MemberFacts, level: str, visit: VisitFacts,
                     ytd: YearToDate) -> Decision:
    """第五条(一)/(三): annual deductible 600 (TCM 300), ratio by level (TCM +5), the ordinary cap.

    RULES.md Reading: one deductible accumulator shared by ordinary and TCM visits; an ordinary visit
    owes max(0, 600 − paid so far), a TCM visit max(0, 300 − paid so far).
    """
    eligible = claim.eligible(visit)
    tcm = visit.benefit == "tcm"
    deductible = claim.deductible(
        base=eligible, standard=params.get("deductible_tcm" if tcm else "deductible_ordinary"),
        already_paid=ytd.get(DEDUCTIBLE),
        note="第五条(三) 中医门诊起付线（与普通门诊共用一个年度累计）" if tcm else "第五条(一) 普通门诊年度起付线")
    ratio = _ordinary_ratio(params, member=member, level=level) + (params.get("tcm_bonus") if tcm else ZERO)
    by_ratio = claim.apply_ratio(base=eligible - deductible, ratio=ratio,
                                 note=f"第五条 {_BENEFIT_NAMES[visit.benefit]} {level}级机构支付比例"
                                      + ("（中医提高5个百分点）" if tcm else ""))
    fund = claim.clip_to_cap(by_ratio, rule="annual_cap", cap=claim.annual_cap, used=ytd.get(FUND),
                             note="第五条(一) 普通门诊统筹年度最高支付限额（中医、两病合并封顶）")
    return claim.settle(deductible=deductible, ratio=ratio, fund=fund, deltas={FUND: fund, DEDUCTIBLE: deductible})


def _two_disease(claim: Claim, params: Params, *, member: MemberFacts, level: str, visit: VisitFacts,
                 ytd: YearToDate) -> Decision:
    """第五条(四): 两病 drugs — no deductible, the ordinary ratio, a sub-cap (500 / 600) that sits inside
    the ordinary cap; members already certified for the chronic benefit of that disease are paid
    under that policy, not here (避免重复报销)."""
    disease = visit.benefit
    if disease in member.chronic_diseases:
        claim.refuse("chronic_benefit",
                     f"第五条(四) 已纳入门诊特殊慢性病保障的{_BENEFIT_NAMES[disease]}患者，按慢性病政策执行"
                     "（第十二条：超过慢性病限额的费用按普通门诊统筹结算）")
    eligible = claim.eligible(visit)
    claim.step("deductible", ZERO, "第五条(四) 两病用药不设起付线")
    ratio = _ordinary_ratio(params, member=member, level=level)
    by_ratio = claim.apply_ratio(base=eligible, ratio=ratio, note=f"第五条(四) 执行普通门诊 {level}级机构支付比例")
    subcap_bucket = bucket_subcap(disease)
    within_subcap = claim.clip_to_cap(by_ratio, rule="subcap", cap=params.get("two_disease_subcap")[disease],
                                      used=ytd.get(subcap_bucket),
                                      note=f"第五条(四) {_BENEFIT_NAMES[disease]}年度封顶")
    fund = claim.clip_to_cap(within_subcap, rule="annual_cap", cap=claim.annual_cap, used=ytd.get(FUND),
                             note="第五条(四) 与普通门诊统筹合并封顶")
    return claim.settle(deductible=ZERO, ratio=ratio, fund=fund, deltas={FUND: fund, subcap_bucket: fund})


def _special_item(claim: Claim, params: Params, *, visit: VisitFacts) -> Decision:
    """第五条(二): the 7 special exams/treatments — no deductible, managed like inpatient care (its
    ratio is the parameter ``special_item_ratio``; while unset the claim is held, never guessed),
    not in the ordinary cap. Reading: no cap applies to them here (the inpatient cap is outside
    outpatient pooling); they accumulate in the "special" bucket."""
    if not params.is_set("special_item_ratio"):
        claim.hold("ratio_not_configured", "第五条(二) 特殊检查治疗参照住院待遇，住院支付比例参数尚未录入，待审核")
    eligible = claim.eligible(visit)
    claim.step("deductible", ZERO, "第五条(二) 特殊检查治疗不设起付标准")
    ratio = params.get("special_item_ratio")
    fund = claim.apply_ratio(base=eligible, ratio=ratio, note="第五条(二) 参照住院支付比例，不与普通门诊合并封顶")
    return claim.settle(deductible=ZERO, ratio=ratio, fund=fund, deltas={SPECIAL: fund})
