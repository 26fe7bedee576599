"""Shared mechanics of outpatient adjudication (pure), used by the five region modules.

A region's ``adjudicate`` reads as a list of named steps:

    claim = Claim(annual_cap=..., charged_provider_code=charged_to(provider))
    refuse_common_exclusions(claim, member=member, provider=provider, visit=visit)
    ...region checks: claim.refuse(reason, note) stops with a not-covered decision...
    deductible = claim.deductible(...); fund = claim.apply_ratio(...); fund = claim.clip_to_cap(...)
    return claim.settle(...)

``claim.refuse`` / ``claim.hold`` raise ``Refused`` carrying the finished Decision; the
``@adjudicator`` decorator on the region function turns it into the return value, so a region's
rules stay one straight sequence with no nested if/else.

Money (RULES.md): intermediate values stay exact; each recorded amount is rounded once, half-up, to
the fen (``to_fen``). Ratios are exact decimals.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import NoReturn

from .common import (
    EXCLUSION_REASONS, FUND, Decision, MemberFacts, ProviderFacts, Step, SubcapUse, VisitFacts, YearToDate,
    YearToDateView, frozen_new,
)
from .money import FEN, ZERO, to_fen

ZERO_RATIO = Decimal("0")


class Refused(Exception):
    """Stops a region's rules with a finished (not settled) decision."""

    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.decision = decision


def adjudicator(rules: Callable[..., Decision]) -> Callable[..., Decision]:
    """Wrap a region's ``adjudicate``: a ``Refused`` raised by a step becomes the decision."""
    # The facts named, not gathered as ``**facts``: packing and unpacking a dictionary of six
    # keywords was a tenth of a replayed visit's time outside the rules themselves. ``explain``:
    # whether the decision carries its steps (``Claim``); every recorded claim does (the default).
    @functools.wraps(rules)
    def adjudicate(*, params, member, provider, signup, visit, ytd, explain: bool = True) -> Decision:
        try:
            return rules(params=params, member=member, provider=provider, signup=signup, visit=visit, ytd=ytd,
                         explain=explain)
        except Refused as refused:
            return refused.decision
    return adjudicate


def money(amount: Decimal) -> str:
    """An amount as written in a step note (always two places: a Decimal quantized to the fen
    prints exactly so, and str() costs half of format())."""
    if type(amount) is Decimal:   # what every note passes: to_fen's rounding without its call (7 a claim)
        return str(amount.quantize(FEN, ROUND_HALF_UP))
    return str(to_fen(amount))


@functools.lru_cache(maxsize=256)
def percent(ratio: Decimal) -> str:
    # Cached: a region has a handful of ratios, and formatting one was 3 % of a batch claim's CPU.
    return f"{(ratio * 100).normalize():f}%"


class Claim:
    """The steps of one visit's adjudication, ending in exactly one Decision.

    ``explain=False``: the same decision without its explanation (``Decision.steps`` empty): for a
    replay that records nothing (policy simulation, claims/engine.py ``claim_decide_step``), where
    making the steps (an object and a note-writing function each, five a visit) was a fifth of the
    rules' time. Only what is recorded needs them, and every recorded claim is explained (the
    default); the amounts, the status and the deltas do not depend on it."""

    __slots__ = ("annual_cap", "charged_provider_code", "steps", "explain")

    def __init__(self, *, annual_cap: Decimal | None, charged_provider_code: str, explain: bool = True):
        self.annual_cap = annual_cap
        self.charged_provider_code = charged_provider_code
        self.steps: list[Step] = []
        self.explain = explain

    # -- recording ---------------------------------------------------------------------------
    def step(self, rule: str, amount: Decimal | None, note: str | Callable[[], str]) -> Decimal | None:
        """``note``: the text, or a function writing it when read (common.py ``Step``): the shared
        steps below pass functions, their amounts formatted only for a claim that is recorded."""
        if self.explain:
            self.steps.append(Step(rule, amount, note))
        return amount

    # -- endings -----------------------------------------------------------------------------
    def _unpaid(self, status: str, reason: str, note: str) -> Decision:
        self.step(reason, ZERO, note)
        return frozen_new(Decision, dict(
            status=status, reason=reason, deductible=ZERO, ratio=ZERO_RATIO, fund_pay=ZERO, annual_cap=self.annual_cap,
            charged_provider_code=self.charged_provider_code, deltas={}, steps=tuple(self.steps)))

    def refuse(self, reason: str, note: str) -> NoReturn:
        """Not covered: recorded with fund payment 0 and the reason (RULES.md "Common terms")."""
        raise Refused(self._unpaid("not_covered", reason, note))

    def hold(self, reason: str, note: str) -> NoReturn:
        """Pending review: a parameter staff must enter is missing; the amount is never guessed."""
        raise Refused(self._unpaid("pending_review", reason, note))

    def settle(self, *, deductible: Decimal, ratio: Decimal, fund: Decimal, deltas: Mapping[str, Decimal],
               charged_provider_code: str | None = None) -> Decision:
        if charged_provider_code is not None:
            self.charged_provider_code = charged_provider_code
        charged = self.charged_provider_code
        if self.explain:
            self.steps.append(Step("fund_pay", fund, lambda: f"统筹基金支付 {money(fund)} 元，记入 {charged} 的结算"))
        # Only the non-zero amounts, by a plain loop: a comprehension (its own frame) cost twice as much
        # for the two or three deltas of a decision (and ``if amount``, not ``amount != 0``: the same
        # answer for a Decimal without converting the int, 15 against 54 ns).
        kept = {}
        for name, amount in deltas.items():
            if amount:
                kept[name] = amount
        # A dictionary display, not dict(...) of keywords: this runs once per decision.
        return frozen_new(Decision, {
            "status": "settled", "reason": None, "deductible": deductible, "ratio": ratio, "fund_pay": fund,
            "annual_cap": self.annual_cap, "charged_provider_code": charged, "deltas": kept,
            "steps": tuple(self.steps)})

    # -- the shared arithmetic ---------------------------------------------------------------
    def eligible(self, visit: VisitFacts) -> Decimal:
        eligible = visit.eligible
        if self.explain:
            self.steps.append(Step("eligible", eligible,
                                   lambda: f"政策范围内费用 {money(eligible)} 元（inscp_scp_amt，起付和比例的基数）"))
        return eligible

    def deductible(self, *, base: Decimal, standard: Decimal, already_paid: Decimal, note: str) -> Decimal:
        """Deductible charged: what is still owed of the standard, but never more than the base."""
        # max(ZERO, standard - already_paid) and min(base, owed) written as comparisons, which answer
        # the same object on a tie as max/min (the first argument) at a third of the builtins' cost
        # (four of them a decision, two decisions a replayed visit).
        owed = standard - already_paid
        if not owed > ZERO:
            owed = ZERO
        charged = owed if owed < base else base
        if self.explain:
            self.steps.append(Step("deductible", charged, lambda: (
                f"{note}：标准 {money(standard)} 元，已付 {money(already_paid)} 元，本次 {money(charged)} 元")))
        return charged

    def apply_ratio(self, *, base: Decimal, ratio: Decimal, note: str) -> Decimal:
        """round(base × ratio), rounded once to the fen."""
        paid = to_fen(base * ratio)
        if self.explain:
            self.steps.append(Step("ratio", paid,
                                   lambda: f"{note}：{money(base)} × {percent(ratio)} = {money(paid)} 元"))
        return paid

    def clip_to_cap(self, amount: Decimal, *, rule: str, cap: Decimal, used: Decimal, note: str) -> Decimal:
        """min(amount, what is left of the cap); a cap already exceeded leaves 0, never less."""
        left = cap - used   # max(ZERO, cap - used), min(amount, left): as in ``deductible``
        if not left > ZERO:
            left = ZERO
        paid = left if left < amount else amount
        if self.explain:
            clipped = "，按限额截取" if paid < amount else ""
            self.steps.append(Step(rule, paid, lambda: (
                f"{note}：限额 {money(cap)} 元，已用 {money(used)} 元，剩余 {money(left)} 元{clipped}")))
        return paid


def charged_to(provider: ProviderFacts) -> str:
    """Village clinics are settled through their township/community centre (Nanchang 第二十五条,
    Heyuan 第十二条; RULES.md "actual ... a village clinic's to its centre")."""
    if provider.kind == "village" and provider.parent_code:
        return provider.parent_code
    return provider.code


def refuse_common_exclusions(claim: Claim, *, member: MemberFacts, provider: ProviderFacts,
                             visit: VisitFacts, fills_prescriptions: bool = False) -> None:
    """RULES.md "In every region": membership, provider status, pharmacies, exclusion facts.

    Readings:
      * ``left_on`` is the member's last insured day: a visit on it is covered, the day after not.
      * Pharmacies (RULES.md "Designated retail pharmacies"): a region that pays filled prescriptions
        外配处方 (``fills_prescriptions``: Nanyang 第十三条, Zibo 第十二条, Ganzhou 第八条) covers a pharmacy
        claim that carries one (``visit.prescriber``), rated as a visit at the prescriber
        (``rated_provider``). Without a prescription, and always in Nanchang and Heyuan (whose
        sources pay only at medical providers), a pharmacy claim is not covered by pooling (reason
        ``pharmacy_not_covered``); the personal account may still pay the member's share.
    """
    day = visit.day
    if day < member.enrolled_on:
        claim.refuse("not_enrolled", f"就诊日 {day} 早于参保日 {member.enrolled_on}，不予支付")
    if member.left_on is not None and day > member.left_on:
        claim.refuse("left_scheme", f"就诊日 {day} 在停保日 {member.left_on} 之后，不予支付")
    if provider.status != "active":
        claim.refuse("provider_inactive", f"定点机构 {provider.code} 状态为 {provider.status}（暂停或终止），不予支付")
    if provider.kind == "pharmacy" and not fills_prescriptions:
        claim.refuse("pharmacy_not_covered", f"{provider.code} 为定点零售药店，本统筹区门诊统筹只在定点医疗机构结算"
                                             "（个人账户仍可支付个人负担部分）")
    if provider.kind == "pharmacy" and visit.prescriber is None:
        claim.refuse("pharmacy_not_covered", f"{provider.code} 为定点零售药店，未持定点医疗机构外配处方购药，"
                                             "统筹基金不予支付（个人账户仍可支付个人负担部分）")
    if visit.exclusion is not None:
        reason = EXCLUSION_REASONS[visit.exclusion]
        claim.refuse(reason, f"{EXCLUSION_NOTES[visit.exclusion]}，不属于门诊统筹支付范围")


def rated_provider(claim: Claim, *, provider: ProviderFacts, visit: VisitFacts) -> ProviderFacts:
    """The provider whose level, deductible and caps rate the visit: the treating provider, or for a
    filled prescription 外配处方 at a pharmacy the prescribing provider (RULES.md "Designated retail
    pharmacies": 报销比例统一，起付标准和最高支付限额合并计算, Zibo 第十二条). The pharmacy stays the
    treating provider: its status and ``admdvs`` (out of area) count, and it is charged the fund payment."""
    if provider.kind != "pharmacy" or visit.prescriber is None:
        return provider
    prescriber = visit.prescriber
    claim.step("prescription", None,
               f"外配处方：在定点零售药店 {provider.code} 配药，按开方机构 {prescriber.code}（{prescriber.level}级）"
               f"的起付标准、支付比例和限额结算，基金支付记入药店 {provider.code}")
    return prescriber


def refuse_unregistered_out_of_area(claim: Claim, *, visit: VisitFacts, article: str) -> None:
    """RULES.md "Out-of-area care": where a region pays out-of-area visits only to registered members
    (Nanyang 第十五条, Ganzhou 第八条), a visit at a provider of another area without a registration
    in force for that destination is not covered (reason ``out_of_area_not_registered``)."""
    if visit.out_of_area == "unregistered":
        claim.refuse("out_of_area_not_registered",
                     f"{article} 异地就医须先办理异地就医备案；就医当日无以就医地为目的地的有效备案，统筹基金不予支付")


EXCLUSION_NOTES = {
    "work_injury": "应从工伤保险基金中支付（社会保险法第三十条）",
    "third_party": "应由第三人负担（社会保险法第三十条）",
    "public_health": "应由公共卫生负担（社会保险法第三十条）",
    "abroad": "在境外就医（社会保险法第三十条）",
    "inpatient": "住院期间发生的门诊费用",
    "chronic": "属门诊慢特病待遇范围",
    "inpatient_fund_emergency": "门诊抢救已纳入住院统筹基金结算",
}


def not_covered_outside_period(*, visit: VisitFacts, provider: ProviderFacts) -> Decision:
    """For the service when no parameter set covers the visit day (RULES.md "In every region")."""
    claim = Claim(annual_cap=None, charged_provider_code=charged_to(provider))
    return claim._unpaid("not_covered", "outside_policy_period",
                         f"就诊日 {visit.day} 不在本统筹区门诊统筹政策的有效期内，不予支付")


def year_to_date_view(ytd: YearToDate, *, annual_cap: Decimal | None, deductible_paid: Mapping[str, Decimal],
                      subcaps: Mapping[str, SubcapUse] | None = None,
                      other_paid: Mapping[str, Decimal] | None = None) -> YearToDateView:
    """The display figures of a year-to-date: fund paid against the ordinary cap and what is left."""
    fund_paid = ytd.get(FUND)
    cap_left = None if annual_cap is None else max(ZERO, annual_cap - fund_paid)
    # A dictionary display, not dict(...) of keywords: a simulation asks once per member and scenario.
    return frozen_new(YearToDateView, {
        "year": ytd.year, "deductible_paid": dict(deductible_paid), "fund_paid": fund_paid, "annual_cap": annual_cap,
        "cap_left": cap_left, "subcaps": dict(subcaps) if subcaps else {},
        "other_paid": dict(other_paid) if other_paid else {}})
