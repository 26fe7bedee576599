"""The interface every region module's ``adjudicate`` shares (pure Python, no Django).

The claims service gathers these facts from the database, locks the member's accumulator row,
calls ``region_module(admdvs).adjudicate(...)`` and records the ``Decision`` as it is.

Accumulator buckets are year-to-date Decimal amounts keyed by name. Names used across regions:
  "fund"                     fund paid against the ordinary annual cap (every region)
  "deductible"               one annual deductible accumulator (Ganzhou, shared ordinary/TCM)
  "deductible:<level>"       one per level (Zibo)
  "subcap:<benefit>"         fund paid under a sub-cap (Ganzhou two diseases)
  "special"                  fund paid for Ganzhou special items (outside the ordinary cap)
  "window:<provider>:<ISO>"  deductible charged in a Nanyang 24-hour window opened at <ISO>
                             (the opening visit's ``visit_at.isoformat()``, e.g. 2024-03-01T10:00:00+08:00)
("fund" in Nanchang is the year's fund paid, capped only for resettled members; Heyuan per-visit caps
need no bucket.)
A decision's ``deltas`` use the same names; a reversal applies them negated (``negate_deltas``).
Only non-zero amounts appear in ``deltas``; ``bucket_*`` below build the names.

Reason codes (``Decision.reason``) are listed, with their meaning, in ``REASONS`` at the bottom.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal

from .money import ZERO

# Visit vocabularies (the contract's codes). Benefit categories are Ganzhou's (第五条); every other
# region has one outpatient benefit, so there any ``benefit`` is adjudicated as an ordinary visit.
BENEFITS = ("ordinary", "tcm", "hypertension", "diabetes", "special_item")
# Derived by claims from the treating provider's admdvs and the registration in force (out_of_area.py).
OUT_OF_AREA = ("none", "long_term", "temporary", "unregistered")
CHANNELS = ("direct", "manual")
EXCLUSIONS = ("work_injury", "third_party", "public_health", "abroad", "inpatient", "chronic",
              "inpatient_fund_emergency")
STATUSES = ("settled", "not_covered", "pending_review")


def frozen_new(cls, values: dict):
    """``cls(**values)`` for a frozen dataclass, given EVERY field (``TypeError`` otherwise),
    without the generated ``__init__``: a frozen dataclass sets each field through
    ``object.__setattr__``, which made building a ``Decision`` (nine fields) cost a quarter of a
    region's rules for a visit; the instance's dictionary filled at once is the same instance
    (fields, equality, hash, repr; still frozen). For the classes below, which have no
    ``__post_init__`` and no slots (tests/rules/test_frozen_new.py)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    if values.keys() != names:
        raise TypeError(f"{cls.__name__} needs exactly its fields, got {sorted(values)}")
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


# Each class's field names, kept in a plain dictionary: ``frozen_new`` runs several times per
# decision, and a ``functools.cache`` wrapper's call cost as much as the lookup itself.
_FIELD_NAMES: dict[type, frozenset[str]] = {}


@dataclass(frozen=True)
class RegistrationFacts:
    """An out-of-area registration 异地就医备案 (RULES.md "Out-of-area care"), in force from
    ``start_on`` to ``end_on`` inclusive (open while None)."""
    kind: str                        # resettled | long_term | temporary
    dest_admdvs: str                 # city-level code of the destination
    start_on: date
    end_on: date | None = None
    cancelled_on: date | None = None  # 取消备案: end_on is then the same day
    id: int | None = None            # the record's id, for the claim's steps and inputs

    def in_force_on(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


@dataclass(frozen=True)
class MemberFacts:
    person_type: str                 # "employed" | "retired" on the visit day (次月 switch applied)
    birth_date: date
    enrolled_on: date
    left_on: date | None = None
    poverty: bool = False            # 建档立卡 (Nanchang)
    chronic_diseases: frozenset[str] = frozenset()  # certified 门诊慢特病 codes, e.g. {"hypertension"}
    # Every out-of-area registration of the member, by (start_on, id): Nanchang's resettled rules look
    # at years other than the visit day's (the year after start_on, a cancellation's year).
    registrations: tuple[RegistrationFacts, ...] = ()
    inpatient_only: bool = False     # 只参加住院保险(不建账户) (Ganzhou 第三条: outside outpatient pooling)


@dataclass(frozen=True)
class ProviderFacts:
    code: str
    level: str                       # "1" | "2" | "3" (未定级 already mapped to "1")
    kind: str                        # township, community, village, eldercare, hospital, county_tcm, pharmacy
    status: str                      # active | suspended | terminated
    admdvs: str
    parent_code: str | None = None   # a village clinic's centre


@dataclass(frozen=True)
class SignupFacts:
    """Capitation regions only: the member's sign-up as it stands on the visit day."""
    provider: ProviderFacts | None   # the signed/selected provider in effect on the visit day
    family_doctor: bool = False      # family-doctor agreement with that provider (Nanchang)
    first_effective_on: date | None = None  # effective date of the member's first-ever sign-up (Heyuan cap)


@dataclass(frozen=True)
class VisitFacts:
    visit_at: datetime               # aware, in Asia/Shanghai
    eligible: Decimal                # inscp_scp_amt, the base of deductibles and ratios
    total: Decimal                   # medfee_sumamt
    benefit: str = "ordinary"
    emergency: bool = False
    referral: bool = False
    out_of_area: str = "none"
    channel: str = "direct"
    exclusion: str | None = None
    # The registration in force on the visit day whose destination is the treating provider's
    # admdvs (what made ``out_of_area`` long_term / temporary); None otherwise.
    registration: RegistrationFacts | None = None
    # 外配处方: at a pharmacy, the designated medical provider whose prescription is filled (the claims
    # service has checked it: not a pharmacy, of the member's region or of their registration's destination).
    prescriber: ProviderFacts | None = None

    @property
    def day(self) -> date:
        return self.visit_at.date()


@dataclass(frozen=True)
class YearToDate:
    year: int
    buckets: Mapping[str, Decimal] = field(default_factory=dict)
    # The previous year's buckets, given for a visit early in January (claims/engine.py
    # ``previous_year_buckets``), empty otherwise: only Nanyang reads them, for its 24-hour windows
    # opened late on 31 December (a window is not a year-to-date accumulator; RULES.md "Nanyang").
    previous: Mapping[str, Decimal] = field(default_factory=dict)

    def get(self, name: str) -> Decimal:
        return self.buckets.get(name, ZERO)


class Step:
    """One line of a decision's explanation: ``rule`` (machine name, e.g. "deductible", "ratio",
    "annual_cap"), ``amount``, ``note`` (readable Chinese explanation with the article).

    ``note`` may be given as a function that writes it: it is then written the first time it is
    read. Formatting the notes' amounts was half of the core's time per visit, and a replay that
    records nothing (policy simulation) never reads them; a recorded claim reads every one, so it
    gets the same text either way. Compared by value; never changed once made (not frozen by
    ``__setattr__``: that doubled the cost of making one)."""

    __slots__ = ("rule", "amount", "_note")

    def __init__(self, rule: str, amount: Decimal | None, note: str | Callable[[], str]):
        self.rule = rule
        self.amount = amount
        self._note = note

    @property
    def note(self) -> str:
        note = self._note
        if not isinstance(note, str):
            note = self._note = note()
        return note

    def __eq__(self, other) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.rule, self.amount, self.note) == (other.rule, other.amount, other.note)

    def __hash__(self) -> int:
        return hash((self.rule, self.amount, self.note))

    def __repr__(self) -> str:
        return f"Step(rule={self.rule!r}, amount={self.amount!r}, note={self.note!r})"


@dataclass(frozen=True)
class Decision:
    """One visit's outcome. Not settled (not_covered / pending_review): deductible, ratio and fund 0,
    no deltas, the reason in ``reason``. Settled: ``reason`` None; ``ratio`` is the ratio that applies
    even when a cap clipped the payment."""
    status: str                      # settled | not_covered | pending_review
    reason: str | None               # a code of REASONS when not settled, else None
    deductible: Decimal              # act_pay_dedc
    ratio: Decimal                   # pool_prop_selfpay
    fund_pay: Decimal                # hifp_pay
    annual_cap: Decimal | None       # the cap in force for this member this year (for the record)
    # The provider whose settlement line carries the fund payment: the treating provider, or its
    # centre for a village clinic; Nanchang: always the signed provider when covered (referrals and
    # resettled visits are reimbursed through it); Heyuan: the selected provider, also for an
    # emergency/referral elsewhere in the city (out of the city: the treating provider).
    charged_provider_code: str
    deltas: Mapping[str, Decimal]    # bucket name → amount to add to the year's accumulator
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class SubcapUse:
    cap: Decimal
    used: Decimal
    left: Decimal


@dataclass(frozen=True)
class YearToDateView:
    """A member's year-to-date figures for display (the accumulators endpoint).

    ``deductible_paid`` has one entry per deductible accumulator the region keeps (Zibo "1"/"2"/"3",
    Ganzhou "shared", Nanyang "per_visit" = the year's per-visit deductibles); ``cap_left`` is None
    when there is no per-person cap; ``other_paid`` names fund paid outside the ordinary cap
    (Ganzhou "special").
    """
    year: int
    deductible_paid: Mapping[str, Decimal]
    fund_paid: Decimal
    annual_cap: Decimal | None
    cap_left: Decimal | None
    subcaps: Mapping[str, SubcapUse] = field(default_factory=dict)
    other_paid: Mapping[str, Decimal] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Bucket names
# ---------------------------------------------------------------------------------------------
FUND = "fund"
DEDUCTIBLE = "deductible"
SPECIAL = "special"
WINDOW_PREFIX = "window:"


def bucket_deductible_for_level(level: str) -> str:
    """Zibo: one annual deductible accumulator per provider level ("deductible:2")."""
    return f"{DEDUCTIBLE}:{level}"


def bucket_subcap(benefit: str) -> str:
    """Ganzhou two diseases: fund paid under the benefit's sub-cap ("subcap:hypertension")."""
    return f"subcap:{benefit}"


def bucket_window(provider_code: str, opened_at: datetime) -> str:
    """Nanyang: the 24-hour window opened at ``opened_at`` at a provider; the opening visit's charge
    is kept under this name, a later visit's in it under ``window_entry``'s. A reversal takes back
    exactly its own entry, and the window's entries that remain say when it would have opened
    without the reversed visit (``windows_at``). Buckets written before entries were kept apart hold
    a window's charges under this name alone."""
    return f"{WINDOW_PREFIX}{provider_code}:{opened_at.isoformat()}"


def window_entry(window: str, charged_at: datetime) -> str:
    """Nanyang: the bucket of a deductible charged at ``charged_at`` in the open ``window``."""
    return f"{window}@{charged_at.isoformat()}"


def windows_at(buckets: Mapping[str, Decimal], provider_code: str) -> list[tuple[datetime, str, Decimal]]:
    """The Nanyang windows at one provider as its entries stand: (when it opens, the window's plain
    name, deductible charged in it), by opening time.

    A window opens at its earliest entry still holding a charge: the opening visit's normally, the
    next charged visit's once the opening one is reversed (RULES.md "Reversals": the accumulators as
    if the claim had not happened). Entries taken back to 0 count for nothing."""
    prefix = f"{WINDOW_PREFIX}{provider_code}:"
    windows: dict[str, list] = {}
    for name, amount in buckets.items():
        if not name.startswith(prefix) or amount <= 0:
            continue
        opened, _, charged = name[len(prefix):].partition("@")
        try:
            opened_at = datetime.fromisoformat(opened)
            charged_at = datetime.fromisoformat(charged) if charged else opened_at
        except ValueError:          # another provider whose code merely starts with this one's
            continue
        plain = f"{prefix}{opened}"
        window = windows.get(plain)
        if window is None:
            windows[plain] = [charged_at, plain, amount]
        else:
            window[0], window[2] = min(window[0], charged_at), window[2] + amount
    return sorted(tuple(window) for window in windows.values())


def negate_deltas(deltas: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The deltas a reversal applies: every amount negated, so the buckets return exactly."""
    return {name: -amount for name, amount in deltas.items()}


def apply_deltas(buckets: Mapping[str, Decimal], deltas: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Buckets after a decision (or a reversal); buckets that come back to zero are dropped."""
    result = dict(buckets)
    for name, amount in deltas.items():
        total = result.get(name, ZERO) + amount
        # ``not total``: a Decimal's truth is "non-zero", as ``total == 0`` answers, at a fifth of the
        # comparison with an int (15 against 75 ns; twice a decision, twice a replayed visit).
        if not total:
            result.pop(name, None)
        else:
            result[name] = total
    return result


# ---------------------------------------------------------------------------------------------
# Reason codes
# ---------------------------------------------------------------------------------------------
# The common exclusion reasons (社会保险法 第三十条; RULES.md "In every region").
EXCLUSION_REASONS = {
    "work_injury": "excluded_work_injury",
    "third_party": "excluded_third_party",
    "public_health": "excluded_public_health",
    "abroad": "excluded_abroad",
    "inpatient": "excluded_inpatient",
    "chronic": "chronic_benefit",
    "inpatient_fund_emergency": "excluded_inpatient_fund_emergency",
}

# Every code a Decision's ``reason`` may carry, with what it means. Settled decisions carry None.
REASONS = {
    # status not_covered, every region
    "outside_policy_period": "no parameter set of the region is in force on the visit day (service level)",
    "not_enrolled": "the visit is before the member's enrolment date",
    "left_scheme": "the visit is after the day the member left the scheme (left_on is the last insured day)",
    "provider_inactive": "the treating provider is suspended or terminated",
    "pharmacy_not_covered": "a retail pharmacy without a filled prescription 外配处方, or in a region whose "
                            "pooling pays no pharmacy (Nanchang, Heyuan); the personal account may still pay",
    "special_item_at_pharmacy": "Ganzhou: a special exam/treatment 特殊检查治疗 is never filled at a pharmacy",
    "inpatient_only_scheme": "Ganzhou 第三条: member of the inpatient-only scheme 不设个人账户的住院医疗保险, "
                             "outside outpatient pooling",
    "excluded_work_injury": "工伤: paid by the work-injury fund (社会保险法 第三十条)",
    "excluded_third_party": "应由第三人负担",
    "excluded_public_health": "应由公共卫生负担",
    "excluded_abroad": "境外就医",
    "excluded_inpatient": "住院期间发生的门诊费用",
    "chronic_benefit": "the visit falls under the member's chronic-disease benefit 门诊慢特病 "
                       "(Ganzhou two diseases: member certified for that disease)",
    "excluded_inpatient_fund_emergency": "emergency care already settled by the inpatient fund",
    # Nanyang
    "manual_out_of_area": "out-of-area visit not settled directly (第十五条: 未直接结算的不予支付)",
    # Nanchang and Heyuan
    "not_signed_provider": "not at the signed/selected provider (or its village points), and not an "
                           "emergency or approved referral that the region pays",
    # Nanchang resettled members 异地安置 (第三十一条)
    "resettled_waiting_year": "resettled member: covered only from the year after registration",
    "resettled_not_primary_care": "resettled member: only visits at primary-care (level 1) providers are paid",
    # Out-of-area care 异地就医 (RULES.md "Out-of-area care")
    "out_of_area_not_registered": "未办理异地就医备案（或备案已结束），异地就医不予支付 "
                                  "(out-of-area visit without a registration in force where the region requires one)",
    "resettlement_cancelled": "南昌第三十二条：取消异地安置备案当年，自取消之日起在本市签约机构就医不予支付 "
                              "(resettlement cancelled: no benefit at the signed provider until 31 December)",
    # status pending_review: a parameter staff must enter is unset; never guessed
    "ratio_not_configured": "the ratio for this benefit is not entered (Ganzhou special_item_ratio)",
    "cap_not_configured": "the cap for this benefit is not entered (Nanchang resettled_annual_cap; no longer "
                          "given: the resettled cap is now the age-group standard, kept for claims recorded with it)",
}
