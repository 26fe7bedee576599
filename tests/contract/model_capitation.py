"""An independent model of Nanchang 南昌 (residents) and Heyuan 河源 (employees), written from
../shared/policy/RULES.md alone (line numbers "R<n>" below point into that file), to check the
product from outside: what a claim pays given the member, their sign-ups over time and the treating
provider, and what the capitation runs (monthly pre-settlement, year-end bands) determine.

Pure Python and Decimal; an amount that is paid or recorded is rounded once, half-up, to the fen, and
the values inside one formula stay exact (R8–R10). Only the parameters seeded for 2023–2024 are known
here (R24–R27): the model is meant for visits and periods of those years.

Readings of this model where RULES.md leaves room (each is marked "Reading (model)"):
- A sign-up's month for capitation and budgets is decided by the sign-up in effect on the month's last
  day (R56–R57); for Heyuan a `provider_suspended` change counts from the next month (R57, R204–R206).
- Nanchang budget (R161–R165): in the year of a member's first sign-up the months before that sign-up
  are counted at the first provider (so the full year's standard is there when nothing else changes);
  a later change in the same year moves the months from then on as R163–R165 say.
- The year-end bands and the determined amount (R166–R168, R211–R213) start from the budget / capitation
  total as recorded on the run's line (rounded to the fen), not from the exact Σ standard ÷ 12 × months:
  the line then explains itself (actual = budget 266.67 is "80_to_100", not "over_100" against the
  exact 266.666…). R8–R10 keep values exact "inside one formula"; the total is a recorded amount of its
  own (settlement.md states it first, "Annual capitation total: 32 000.00", then bands from it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NANCHANG, HEYUAN = "360100", "441600"


def money(value: Decimal) -> Decimal:
    """Rounded once, half-up, to the fen (R8–R10)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def next_month_first(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass
class Provider:
    code: str
    level: str = "1"            # "1", "2", "3" or "9" (unrated = L1, R31–R32, CONTRACT dedc_hosp_lv)
    kind: str = "township"
    parent: str | None = None   # a village clinic's centre (R50, R129–R131, R181)
    active_until: date | None = None  # the last day it was active (suspended the day after)

    @property
    def tier(self) -> str:
        return "1" if self.level == "9" else self.level

    def active_on(self, day: date) -> bool:
        return self.active_until is None or day <= self.active_until


@dataclass
class SignUp:
    provider: str
    applied_on: date
    reason: str
    effective_from: date
    family_doctor: bool = False


@dataclass
class Member:
    key: str
    birth: date
    poverty: bool = False
    retired_on: date | None = None
    signups: list[SignUp] = field(default_factory=list)

    def retired_at(self, day: date) -> bool:
        """Retired from the first day of the month after the processing day (R36–R38)."""
        return self.retired_on is not None and day >= next_month_first(self.retired_on)


# --- sign-ups (R52–R59, R144–R147, R176–R179) --------------------------------------------------

WINDOW = {NANCHANG: (10, 1), HEYUAN: (9, 1)}  # annual selection window opens (R53–R54), closes 31 Dec


def signup_in_effect(member: Member, day: date) -> SignUp | None:
    """The latest sign-up in effect on ``day`` (R56): the greatest effective date not after it, the later
    request winning a tie."""
    best = None
    for signup in member.signups:
        if signup.effective_from <= day and (best is None or signup.effective_from >= best.effective_from):
            best = signup
    return best


def signup_decide(region: str, member: Member, providers: dict[str, Provider], code: str, applied_on: date,
                  reason: str, family_doctor: bool = False) -> SignUp | None:
    """The sign-up a request makes, or None when RULES.md refuses it (R52–R59). Only the refusals the
    text states are modelled: an annual request outside the window, a `provider_suspended` change while
    the current provider is active, an inactive chosen provider, a change to the provider already in
    effect on the new sign-up's first day."""
    if reason == "first":
        effective = applied_on
    elif reason == "annual":
        # a re-selection (R146–R147, R177–R178) needs a sign-up in effect; a member without one makes a
        # `first` request (R53), so an `annual` one is refused (R58–R59)
        month, day = WINDOW[region]
        if applied_on < date(applied_on.year, month, day) or signup_in_effect(member, applied_on) is None:
            return None
        effective = date(applied_on.year + 1, 1, 1)
    elif reason == "address_change":
        # a change needs a sign-up to change (R55, R144–R146); without one the request is refused (R58–R59)
        if signup_in_effect(member, applied_on) is None:
            return None
        effective = next_month_first(applied_on)
    else:  # provider_suspended
        current = signup_in_effect(member, applied_on)
        if current is None or providers[current.provider].active_on(applied_on):
            return None
        effective = applied_on
    if not providers[code].active_on(applied_on):
        return None
    current = signup_in_effect(member, effective)
    if current is not None and current.provider == code:
        return None
    return SignUp(code, applied_on, reason, effective, family_doctor)


# --- claims ------------------------------------------------------------------------------------

@dataclass
class Result:
    status: str
    reason: str | None
    ratio: Decimal
    hifp_pay: Decimal
    charged: str | None = None


def not_covered(reason: str | None) -> Result:
    return Result("not_covered", reason, Decimal("0"), ZERO)


def _centre(providers: dict[str, Provider], code: str) -> str:
    """A village clinic's claims belong to its centre (R50, R130, R181)."""
    return providers[code].parent or code


def nanchang_claim(member: Member, providers: dict[str, Provider], code: str, day: date, eligible: Decimal,
                   *, referral: bool = False) -> Result:
    """R126–R147: covered at the signed provider (and its village service points) or on referral to the
    county TCM hospital; 60% / 40% on referral, poverty 65% for both, family doctor +5 at the signed
    provider only; no deductible and no per-person cap (R139)."""
    if not providers[code].active_on(day):
        return not_covered("provider_inactive")  # R43
    signup = signup_in_effect(member, day)
    if signup is None:
        return not_covered(None)  # no sign-up: not covered, the reason is the product's to name
    poverty = Decimal("0.65") if member.poverty else None
    if referral and providers[code].kind == "county_tcm":
        ratio = poverty or Decimal("0.40")  # R135–R138: referrals get no +5
    elif _centre(providers, code) == signup.provider:
        ratio = (poverty or Decimal("0.60")) + (Decimal("0.05") if signup.family_doctor else 0)
    else:
        return not_covered("not_signed_provider")  # R142
    return Result("settled", None, ratio, money(eligible * ratio), signup.provider)  # R169: charged to the signed


HEYUAN_RATIO = {False: {"1": Decimal("0.70"), "2": Decimal("0.60"), "3": Decimal("0.55")},
                True: {"1": Decimal("0.75"), "2": Decimal("0.65"), "3": Decimal("0.60")}}  # R184–R185
HEYUAN_VISIT_CAP = {"1": Decimal("60"), "2": Decimal("120"), "3": Decimal("150")}   # R186
HEYUAN_CAP = Decimal("1800")                                                        # R186 (2023, 2024 seeded)


def heyuan_first_selection(member: Member) -> SignUp | None:
    return min(member.signups, key=lambda s: s.effective_from, default=None)


def heyuan_annual_cap(member: Member, year: int) -> Decimal:
    """R186–R188, R195–R197: 1 800, or 1 800 ÷ 12 × months from the first selection's month to December
    in the year of the member's first selection."""
    first = heyuan_first_selection(member)
    if first is None or first.effective_from.year != year:
        return HEYUAN_CAP
    return money(HEYUAN_CAP / 12 * (13 - first.effective_from.month))


def heyuan_claim(member: Member, providers: dict[str, Provider], code: str, day: date, eligible: Decimal,
                 fund_paid: Decimal, *, emergency: bool = False, referral: bool = False) -> Result:
    """R176–R197: covered at the selected provider (and the village stations of a selected centre), and
    for emergencies and approved referrals elsewhere at the treating provider's level (R181–R183);
    fund = min(round(eligible × ratio), per-visit cap, annual cap remaining) (R190)."""
    if not providers[code].active_on(day):
        return not_covered("provider_inactive")  # R43
    signup = signup_in_effect(member, day)
    retired = member.retired_at(day)
    if signup is not None and _centre(providers, code) == signup.provider:
        tier, charged = providers[signup.provider].tier, signup.provider  # R184: the selected provider's level
    elif emergency or (referral and signup is not None):
        # R182–R183, R195–R197: at the treating level; charged to the selection's capitation when there is
        # one (R215–R216), else fee-for-service to the treating provider, a village station's to its
        # centre (R214, R286–R288)
        tier, charged = providers[code].tier, (signup.provider if signup is not None else _centre(providers, code))
    elif signup is None:
        return not_covered(None)
    else:
        return not_covered("not_signed_provider")
    ratio = HEYUAN_RATIO[retired][tier]
    left = max(heyuan_annual_cap(member, day.year) - fund_paid, ZERO)
    return Result("settled", None, ratio, min(money(eligible * ratio), HEYUAN_VISIT_CAP[tier], left), charged)


# --- Nanchang budget and settlement (R149–R172) --------------------------------------------------

NANCHANG_GROUPS = (  # R151–R157: (standard, ages)
    (Decimal("37"), {0, *range(14, 26)}),
    (Decimal("70"), {1, *range(10, 14), *range(26, 33)}),
    (Decimal("141"), {2, 7, 8, 9, *range(33, 53), 88, 89}),
    (Decimal("181"), {6, *range(53, 65), 81, *range(83, 88)}),
    (Decimal("226"), {3, 4, 5, *range(65, 81), 82}),
)


def nanchang_standard(birth: date, year: int) -> Decimal:
    age = year - birth.year  # R149
    if age >= 90:
        return Decimal("70")
    return next(standard for standard, ages in NANCHANG_GROUPS if age in ages)


def month_provider(region: str, member: Member, year: int, month: int) -> str | None:
    """The provider a member counts at for a month: the sign-up in effect on its last day (R56–R57);
    Heyuan moves a `provider_suspended` change to the month after (R57, R204–R206)."""
    last = month_end(year, month)
    candidates = member.signups
    if region == HEYUAN:
        candidates = [s for s in candidates
                      if not (s.reason == "provider_suspended" and (s.effective_from.year, s.effective_from.month)
                              == (year, month))]
    best = None
    for signup in candidates:
        if signup.effective_from <= last and (best is None or signup.effective_from >= best.effective_from):
            best = signup
    return best.provider if best else None


def nanchang_budget_months(member: Member, year: int) -> dict[str, int]:
    """Months of ``year`` counted at each provider in its annual budget (R161–R165, Reading (model) above)."""
    months = [month_provider(NANCHANG, member, year, m) for m in range(1, 13)]
    first = min(member.signups, key=lambda s: s.effective_from, default=None)
    if first is not None and first.effective_from.year == year:
        months = [p if m + 1 >= first.effective_from.month else first.provider for m, p in enumerate(months)]
    counted: dict[str, int] = {}
    for provider in months:
        if provider is not None:
            counted[provider] = counted.get(provider, 0) + 1
    return counted


def nanchang_monthly(members: list[Member], actual: dict[str, Decimal], year: int, month: int) -> dict[str, dict]:
    """R159–R160: quota = Σ standard ÷ 12 × members signed that month; paid = min(actual, quota)."""
    exact: dict[str, Decimal] = {}
    count: dict[str, int] = {}
    for member in members:
        provider = month_provider(NANCHANG, member, year, month)
        if provider is not None:
            exact[provider] = exact.get(provider, 0) + nanchang_standard(member.birth, year) / 12
            count[provider] = count.get(provider, 0) + 1
    lines = {}
    for provider in set(exact) | set(actual):
        quota = money(exact.get(provider, 0))
        lines[provider] = {"members": count.get(provider, 0), "quota": quota, "actual": actual.get(provider, ZERO),
                           "paid": min(actual.get(provider, ZERO), quota)}
    return lines


def nanchang_band(actual: Decimal, budget: Decimal) -> tuple[Decimal, str]:
    """R166–R168: < 80% → actual; 80%–90% → actual + 50% × (budget − actual); ≥ 90% → budget."""
    if actual < budget * Decimal("0.8"):
        return money(actual), "below_80"
    if actual < budget * Decimal("0.9"):
        return money(actual + (budget - actual) / 2), "80_to_90"
    return money(budget), "90_and_over"


def nanchang_year_end(members: list[Member], actual: dict[str, Decimal], prepaid: dict[str, Decimal],
                      year: int) -> dict[str, dict]:
    exact: dict[str, Decimal] = {}
    count: dict[str, int] = {}
    for member in members:
        for provider, months in nanchang_budget_months(member, year).items():
            exact[provider] = exact.get(provider, 0) + nanchang_standard(member.birth, year) / 12 * months
            count[provider] = count.get(provider, 0) + 1
    lines = {}
    for provider in set(exact) | set(actual):
        budget, fact = money(exact.get(provider, 0)), actual.get(provider, ZERO)
        determined, band = nanchang_band(fact, budget)
        lines[provider] = {"members": count.get(provider, 0), "budget": budget, "actual": fact,
                           "determined": determined, "band": band, "prepaid": prepaid.get(provider, ZERO),
                           "balance_due": determined - prepaid.get(provider, ZERO)}
    return lines


# --- Heyuan capitation (R202–R216) ---------------------------------------------------------------

HEYUAN_MONTHLY = Decimal("320") / 12  # R202
PREPAY = Decimal("0.8")               # R210


def heyuan_months(member: Member, year: int) -> list[str | None]:
    """The provider a member counts at in each month (R202–R208); none before August 2022 (R202–R203)."""
    return [None if (year, m) < (2022, 8) else month_provider(HEYUAN, member, year, m) for m in range(1, 13)]


def heyuan_monthly(members: list[Member], actual: dict[str, Decimal], year: int, month: int) -> dict[str, dict]:
    count: dict[str, int] = {}
    for member in members:
        provider = heyuan_months(member, year)[month - 1]
        if provider is not None:
            count[provider] = count.get(provider, 0) + 1
    return {provider: {"members": count.get(provider, 0), "quota": money(HEYUAN_MONTHLY * count.get(provider, 0)),
                       "actual": actual.get(provider, ZERO),
                       "paid": money(HEYUAN_MONTHLY * count.get(provider, 0) * PREPAY)}
            for provider in set(count) | set(actual)}


def heyuan_band(actual: Decimal, total: Decimal) -> tuple[Decimal, str]:
    """R211–R213: actual > total → total; 80% ≤ usage ≤ 100% → actual + 80% of the surplus; below →
    actual + 20% of the surplus."""
    if actual > total:
        return money(total), "over_100"
    if actual >= total * Decimal("0.8"):
        return money(actual + (total - actual) * Decimal("0.8")), "80_to_100"
    return money(actual + (total - actual) * Decimal("0.2")), "below_80"


def heyuan_year_end(members: list[Member], actual: dict[str, Decimal], prepaid: dict[str, Decimal],
                    year: int) -> dict[str, dict]:
    months: dict[str, int] = {}
    distinct: dict[str, set] = {}
    for member in members:
        for provider in heyuan_months(member, year):
            if provider is not None:
                months[provider] = months.get(provider, 0) + 1
                distinct.setdefault(provider, set()).add(member.key)
    lines = {}
    for provider in set(months) | set(actual):
        total, fact = money(HEYUAN_MONTHLY * months.get(provider, 0)), actual.get(provider, ZERO)
        determined, band = heyuan_band(fact, total)
        lines[provider] = {"members": len(distinct.get(provider, ())), "budget": total, "actual": fact,
                           "determined": determined, "band": band, "prepaid": prepaid.get(provider, ZERO),
                           "balance_due": determined - prepaid.get(provider, ZERO)}
    return lines


# --- deductions (R293–R299) ----------------------------------------------------------------------

def take_deduction(outstanding: Decimal, payable: Decimal) -> Decimal:
    """What a run's line takes of a provider's outstanding deductions: all of it up to the line's payment
    (`paid`, or `balance_due` at the year end), never paying below zero; the rest carries (R297–R298)."""
    return min(outstanding, max(payable, ZERO))
