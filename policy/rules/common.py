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
A decision's ``deltas`` use the same names; a reversal applies them negated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

from .money import ZERO

# Visit vocabularies (the contract's codes).
BENEFITS = ("ordinary", "tcm", "hypertension", "diabetes", "special_item")
OUT_OF_AREA = ("none", "long_term", "temporary")
CHANNELS = ("direct", "manual")
EXCLUSIONS = ("work_injury", "third_party", "public_health", "abroad", "inpatient", "chronic",
              "inpatient_fund_emergency")
STATUSES = ("settled", "not_covered", "pending_review")


@dataclass(frozen=True)
class MemberFacts:
    person_type: str                 # "employed" | "retired" on the visit day (次月 switch applied)
    birth_date: date
    enrolled_on: date
    left_on: date | None = None
    poverty: bool = False            # 建档立卡 (Nanchang)
    resettled_on: date | None = None  # 异地安置 registration (Nanchang)
    chronic_diseases: frozenset[str] = frozenset()  # certified 门诊慢特病 codes, e.g. {"hypertension"}


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

    @property
    def day(self) -> date:
        return self.visit_at.date()


@dataclass(frozen=True)
class YearToDate:
    year: int
    buckets: Mapping[str, Decimal] = field(default_factory=dict)

    def get(self, name: str) -> Decimal:
        return self.buckets.get(name, ZERO)


@dataclass(frozen=True)
class Step:
    rule: str                        # machine name, e.g. "deductible", "ratio", "annual_cap"
    amount: Decimal | None
    note: str                        # readable Chinese explanation with the article


@dataclass(frozen=True)
class Decision:
    status: str                      # settled | not_covered | pending_review
    reason: str | None               # machine-readable code when not settled (or a note code)
    deductible: Decimal              # act_pay_dedc
    ratio: Decimal                   # pool_prop_selfpay
    fund_pay: Decimal                # hifp_pay
    annual_cap: Decimal | None       # the cap in force for this member this year (for the record)
    charged_provider_code: str       # the provider whose settlement line carries the fund payment
    deltas: Mapping[str, Decimal]
    steps: tuple[Step, ...]


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
