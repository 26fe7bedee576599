"""Nanyang 南阳 — employee scheme 职工医保, 宛政办〔2022〕42号, in force from 2022-07-01.

Sources: 第五条 (deductible, ratios, caps), 第六条 (retirement switch), 第八条 (personal account),
第十三条 (外配处方 at designated retail pharmacies), 第十五条 (out-of-area direct settlement).
See shared/policy/RULES.md "Nanyang" and "Designated retail pharmacies".
"""
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from .adjudication import (
    Claim, adjudicator, charged_to, rated_provider, refuse_common_exclusions, refuse_unregistered_out_of_area,
    year_to_date_view,
)
from .common import (
    FUND, WINDOW_PREFIX, Decision, MemberFacts, ProviderFacts, SignupFacts, VisitFacts, YearToDate,
    YearToDateView, bucket_window, window_entry, windows_at,
)
from .money import ZERO
from .params import Params, Spec

ADMDVS = "411300"
NAME = "南阳市"
INSUTYPE = "310"
HAS_SIGNUP = False
# Its 24-hour deductible windows may reach from 31 December into 1 January: the claims loader holds
# the member's previous-year accumulator row for a visit in January (claims/store.py).
WINDOWS_CROSS_THE_YEAR = True

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

# ---------------------------------------------------------------------------------------------
# Outpatient adjudication (第五条, 第六条, 第十五条)
# ---------------------------------------------------------------------------------------------


@adjudicator
def adjudicate(*, params: Params, member: MemberFacts, provider: ProviderFacts, signup: SignupFacts | None,
               visit: VisitFacts, ytd: YearToDate, explain: bool = True) -> Decision:
    """Fund = min(round((eligible − per-visit deductible) × ratio), annual cap remaining)."""
    cap = annual_cap(params, member=member, signup=signup, year=ytd.year)
    claim = Claim(annual_cap=cap, charged_provider_code=charged_to(provider), explain=explain)
    refuse_common_exclusions(claim, member=member, provider=provider, visit=visit, fills_prescriptions=True)
    _refuse_manual_out_of_area(claim, provider=provider, visit=visit)
    # 第十三条(二) 外配处方: a fill is rated at the prescriber, in the prescriber's 24-hour window.
    rated = rated_provider(claim, provider=provider, visit=visit)
    eligible = claim.eligible(visit)
    deductible, window = _per_visit_deductible(claim, params, provider=rated, visit=visit, ytd=ytd)
    ratio = _ratio(params, member=member, provider=rated)
    by_ratio = claim.apply_ratio(base=eligible - deductible, ratio=ratio,
                                 note=f"第五条(二) {_TYPE_NAMES[member.person_type]} {rated.level}级机构支付比例")
    fund = claim.clip_to_cap(by_ratio, rule="annual_cap", cap=cap, used=ytd.get(FUND),
                             note="第五条(三)/第六条 年度最高支付限额（转退休当年既往待遇合并计算）")
    deltas = {FUND: fund}
    if window is not None:
        deltas[window] = deductible
    return claim.settle(deductible=deductible, ratio=ratio, fund=fund, deltas=deltas)


def annual_cap(params: Params, *, member: MemberFacts, signup: SignupFacts | None, year: int) -> Decimal:
    """第五条(三): 1 500 employed, 2 000 retired. 第六条: after the switch (the 1st of the month after
    the retirement is processed — already applied in ``member.person_type``) the retired cap applies
    and what was paid before counts against it, because both are read from the one "fund" bucket."""
    return params.get(f"annual_cap_{member.person_type}")


def year_to_date(params: Params, *, member: MemberFacts, signup: SignupFacts | None,
                 ytd: YearToDate) -> YearToDateView:
    per_visit = sum((amount for name, amount in ytd.buckets.items() if name.startswith("window:")), ZERO)
    return year_to_date_view(ytd, annual_cap=annual_cap(params, member=member, signup=signup, year=ytd.year),
                             deductible_paid={"per_visit": per_visit})


_TYPE_NAMES = {"employed": "在职", "retired": "退休"}


def _refuse_manual_out_of_area(claim: Claim, *, provider: ProviderFacts, visit: VisitFacts) -> None:
    """第十五条: out-of-area visits 异地就医 need a registration 备案 first and are paid only when
    settled directly through the system; a manual reimbursement claim gets nothing. ``out_of_area``
    is derived from the provider's admdvs and the registration in force (RULES.md "Out-of-area
    care"): unregistered → not covered; registered (long-term or temporary) → local rules at the
    treating level, direct settlement only. Local manual claims are not restricted."""
    refuse_unregistered_out_of_area(claim, visit=visit, article="第十五条")
    if visit.out_of_area != "none" and visit.channel == "manual":
        claim.refuse("manual_out_of_area", "第十五条 异地就医未通过医保信息系统直接结算的，统筹基金不予支付")


def _per_visit_deductible(claim: Claim, params: Params, *, provider: ProviderFacts, visit: VisitFacts,
                          ytd: YearToDate) -> tuple[Decimal, str | None]:
    """第五条(一): 按次起付, one deductible for several visits to the same provider within 24 hours.

    RULES.md Reading: a window opens at the first deductible-bearing visit at that provider; within it
    the deductibles charged add up to at most one standard; the first visit after it closes opens a
    new one. Each charge is its own bucket: "window:<provider>:<opened at>" for the opening visit's,
    "…@<visit time>" for a later one in the window (common.py ``window_entry``), so a reversal takes
    back its own and what remains shows where the window stands as if the visit had not happened.
    Our readings on top of that:
      * a visit "bears" a deductible when it is charged one (> 0); a level-1 visit (standard 0) or a
        visit with no eligible amount opens no window — so a reversed opening visit whose window is
        back at 0 leaves no window, and one whose window still holds later visits' charges leaves it
        opening at the earliest of them, the visit that would have opened it (later visits are not
        re-adjudicated: what they were charged stays);
      * a window is not a year-to-date accumulator (RULES.md "Year" resets those on 1 January): a
        window opened late on 31 December covers a visit early on 1 January. What a visit charges
        goes to its own year's bucket under the window's name, so each year's bucket holds what was
        charged in that year and the window's total is the sum of the two years' (``ytd.previous``:
        the previous year's buckets); a reversal restores the visit's own year only.
    Returns the deductible charged and the window bucket it is charged to (None when nothing).
    """
    standard = params.by_level("deductible_per_visit", provider.level)
    if standard == 0:
        claim.step("deductible", ZERO, f"第五条(一) {provider.level}级及以下基层机构不设起付标准")
        return ZERO, None
    window = _open_window(params, provider=provider, at=visit.visit_at, ytd=ytd)
    if window is None:
        name, already = bucket_window(provider.code, visit.visit_at), ZERO
        where = f"第五条(一) 本次为 {provider.code} 新的24小时起付窗口（{visit.visit_at.isoformat()} 起）"
    else:
        window_name, already = window
        name = window_entry(window_name, visit.visit_at)
        where = f"第五条(一) 24小时内同一医院多次就诊只记一次起付标准（窗口 {window_name}）"
    charged = claim.deductible(base=visit.eligible, standard=standard, already_paid=already, note=where)
    return charged, (name if charged > 0 else None)


def _open_window(params: Params, *, provider: ProviderFacts, at: datetime,
                 ytd: YearToDate) -> tuple[str, Decimal] | None:
    """The window at this provider that contains ``at`` (the latest opened one if several)."""
    length = timedelta(hours=params.get("deductible_window_hours"))
    buckets = ytd.buckets
    if ytd.previous and at - length < datetime(at.year, 1, 1, tzinfo=at.tzinfo):
        buckets = _across_the_year(ytd.previous, buckets)
    containing = [(name, charged) for opened_at, name, charged in windows_at(buckets, provider.code)
                  if opened_at <= at < opened_at + length]
    return containing[-1] if containing else None


def _across_the_year(previous: Mapping[str, Decimal], current: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The window entries of both years (a window opened on 31 December holds its first charges in
    that year's bucket, the later ones in this year's; an entry's name is in one year only, except a
    window's plain name in buckets written before entries were kept apart, summed)."""
    windows = {name: amount for name, amount in previous.items() if name.startswith(WINDOW_PREFIX)}
    for name, amount in current.items():
        windows[name] = windows.get(name, ZERO) + amount
    return windows


def _ratio(params: Params, *, member: MemberFacts, provider: ProviderFacts) -> Decimal:
    return params.by_level(f"ratio_{member.person_type}", provider.level)
