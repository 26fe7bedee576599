"""An independent model of the employee outpatient rules of Nanyang, Zibo and Ganzhou, written from
RULES.md alone (line numbers below point into ../shared/policy/RULES.md), to check the product
from outside: given a member, providers and a sequence of visits and reversals, it says what each
claim's answer should be in CONTRACT.md's terms (status, reason, act_pay_dedc, pool_prop_selfpay,
hifp_pay, psn_part_amt, out_of_area).

Pure Python and Decimal; every amount that is charged or paid is rounded once, half-up, to the fen
(RULES.md l.8-11). Year-to-date figures are not kept as running totals: they are summed over the
claims still live (not reversed), so a reversal puts the member back "as if the claim had not
happened" (RULES.md l.47-48) without any bookkeeping of its own.

Readings of this model where RULES.md leaves a choice (each is marked ``Reading`` below):
- Nanyang 24-hour window (l.64-67): a window is opened by a visit charged a deductible (> 0)
  outside any open window at that provider (a visit with no eligible amount opens none); a reversal
  takes its claim's charge out of its window, and a window back at 0 is gone. A window that still
  holds another claim's charge opens, as if the reversed opener had not happened (l.47-48), at the
  earliest live visit charged in it (the visits charged in it are not re-adjudicated).
  Visits are posted in time order here: a visit posted late, dated within 24 h before a window's
  opening, opens a window of its own in the product (RULES.md does not say; left open).
- A deductible charged never exceeds the eligible amount (a 20.00 visit at an L3 hospital charges 20).
- A not-covered claim charges no deductible, pays 0 and its ratio is reported as ``0.0000``.
- When several facts take a visit out, RULES.md names no precedence among the reasons; the model
  gives the first of: outside the period, provider inactive, pharmacy without a prescription, the
  exclusion sent, Ganzhou inpatient-only scheme, out of area unregistered, special item at a pharmacy,
  Nanyang manual out-of-area claim (the product's order, observed; every one of them pays 0).
- Zibo temporary (l.86-87, l.242): the 10% first payment is an amount paid, rounded on its own; the
  level deductible and the ratio then apply to what is left.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

NANYANG, ZIBO, GANZHOU = "411300", "370300", "360700"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ZERO, FEN = Decimal("0.00"), Decimal("0.01")
DAY = timedelta(hours=24)

# RULES.md l.13-19: the policy periods in force (inclusive dates in Shanghai).
PERIOD = {NANYANG: (date(2022, 7, 1), None), ZIBO: (date(2023, 1, 1), date(2027, 12, 31)),
          GANZHOU: (date(2023, 1, 1), date(2024, 12, 31))}
# RULES.md l.43-46 with CONTRACT.md's reason codes (``chronic_benefit`` is named by CONTRACT.md).
EXCLUSION_REASON = {"work_injury": "excluded_work_injury", "third_party": "excluded_third_party",
                    "public_health": "excluded_public_health", "abroad": "excluded_abroad",
                    "inpatient": "excluded_inpatient", "chronic": "chronic_benefit",
                    "inpatient_fund_emergency": "excluded_inpatient_fund_emergency"}


def money(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Provider:
    code: str
    level: str = "1"                   # CONTRACT.md dedc_hosp_lv; "9" 未定级 is treated as "1"
    kind: str = "township"
    admdvs: str = ""
    status: str = "active"

    @property
    def rated(self) -> str:
        return "1" if self.level == "9" else self.level


@dataclass(frozen=True)
class Registration:
    kind: str                          # resettled / long_term / temporary
    dest: str
    start: date
    end: date | None = None

    def in_force(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)   # end day inclusive


@dataclass
class Member:
    region: str
    retired_on: date | None = None     # None: employed all along
    inpatient_only: bool = False
    chronic: set[str] = field(default_factory=set)   # Ganzhou: diseases certified for the chronic benefit
    registrations: list[Registration] = field(default_factory=list)

    def retired(self, day: date) -> bool:
        # RULES.md l.36-38: retired from the first day of the month after the processing day.
        if self.retired_on is None:
            return False
        d = self.retired_on
        first_next = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return day >= first_next


@dataclass
class Visit:
    provider: Provider
    at: datetime
    inscp: Decimal
    own: Decimal = ZERO
    benefit: str = "ordinary"
    exclusion: str | None = None
    channel: str = "direct"
    prescriber: Provider | None = None


@dataclass
class Outcome:
    status: str
    reason: str | None
    act_pay_dedc: Decimal
    pool_prop_selfpay: Decimal
    hifp_pay: Decimal
    psn_part_amt: Decimal
    out_of_area: str

    def answer(self) -> dict:
        """The fields in CONTRACT.md's JSON form (money 2 decimals, ratio 4)."""
        return {"status": self.status, "reason": self.reason, "act_pay_dedc": f"{self.act_pay_dedc:.2f}",
                "pool_prop_selfpay": f"{self.pool_prop_selfpay:.4f}", "hifp_pay": f"{self.hifp_pay:.2f}",
                "psn_part_amt": f"{self.psn_part_amt:.2f}", "out_of_area": self.out_of_area}


@dataclass
class _Live:
    """A covered claim still counting in the member's figures."""
    at: datetime
    year: int
    window_at: str                     # provider whose deductible window it bears (the prescriber for a fill)
    bucket: str                        # deductible accumulator: Zibo the level, Ganzhou "annual"
    benefit: str
    deductible: Decimal
    fund: Decimal
    in_cap: bool = True
    window: datetime | None = None     # Nanyang: opening time of the 24-hour window it was charged in


class EmployeeModel:
    def __init__(self, member: Member):
        self.member, self.region = member, member.region
        self.claims: list[tuple[Visit, Outcome, _Live | None]] = []
        self.reversed: set[int] = set()

    # -- public ---------------------------------------------------------------------------------

    def claim(self, visit: Visit) -> Outcome:
        live, outcome = self._adjudicate(visit)
        self.claims.append((visit, outcome, live))
        return outcome

    def reverse(self, index: int) -> Outcome:
        """RULES.md l.47-48: the amounts negated; the claim stops counting."""
        _, o, _ = self.claims[index]
        self.reversed.add(index)
        return Outcome(o.status, o.reason, -o.act_pay_dedc, o.pool_prop_selfpay, -o.hifp_pay, -o.psn_part_amt,
                       o.out_of_area)

    def fund_paid(self, year: int) -> Decimal:
        return sum((c.fund for c in self._live() if c.year == year and c.in_cap), ZERO)

    def deductible_paid(self, year: int) -> dict[str, str]:
        """The accumulators' ``deductible_paid`` (CONTRACT.md "Claims"): one figure per bucket."""
        if self.annual_cap(date(year, 12, 31)) is None:
            return {}                   # a year outside the policy's period has no buckets (no parameters)
        live = [c for c in self._live() if c.year == year]

        def total(bucket):
            return f"{sum((c.deductible for c in live if c.bucket == bucket), ZERO):.2f}"

        if self.region == NANYANG:
            return {"per_visit": total("per_visit")}
        if self.region == ZIBO:
            return {level: total(level) for level in "123"}
        return {"shared": total("annual")}

    def sub_cap_used(self, year: int, benefit: str) -> Decimal:
        return sum((c.fund for c in self._live() if c.year == year and c.benefit == benefit), ZERO)

    def annual_cap(self, day: date) -> Decimal | None:
        start, end = PERIOD[self.region]
        if day < start or (end is not None and day > end):
            return None                 # no parameters in force outside the policy's period (l.43)
        retired = self.member.retired(day)
        if self.region == NANYANG:      # l.69
            return Decimal("2000.00" if retired else "1500.00")
        if self.region == ZIBO:         # l.85
            return Decimal("3000.00" if day.year == 2023 else "4000.00")
        return Decimal("2000.00" if retired else "1800.00")   # Ganzhou table l.103

    # -- internals ------------------------------------------------------------------------------

    def _live(self) -> list[_Live]:
        return [live for i, (_, _, live) in enumerate(self.claims) if live is not None and i not in self.reversed]

    def _out_of_area(self, visit: Visit, day: date) -> str:
        # RULES.md l.233-238: by the treating provider's (for a fill: the pharmacy's own, l.276) admdvs.
        if visit.provider.admdvs == self.region:
            return "none"
        for reg in self.member.registrations:
            if reg.in_force(day) and reg.dest == visit.provider.admdvs:
                return "temporary" if reg.kind == "temporary" else "long_term"
        return "unregistered"

    def _adjudicate(self, visit: Visit) -> tuple[_Live | None, Outcome]:
        local = visit.at.astimezone(SHANGHAI)
        day = local.date()
        total = visit.inscp + visit.own
        ooa = self._out_of_area(visit, day)

        def refuse(reason: str, status: str = "not_covered"):
            return None, Outcome(status, reason, ZERO, Decimal("0"), ZERO, total, ooa)

        start, end = PERIOD[self.region]
        if day < start or (end is not None and day > end):
            return refuse("outside_policy_period")                       # l.43
        if visit.provider.status != "active":
            return refuse("provider_inactive")                           # l.43-44
        pharmacy = visit.provider.kind == "pharmacy"
        if pharmacy and visit.prescriber is None:
            return refuse("pharmacy_not_covered")                        # l.280-282
        if visit.exclusion:
            return refuse(EXCLUSION_REASON[visit.exclusion])             # l.44-46
        if self.region == GANZHOU and self.member.inpatient_only:
            return refuse("inpatient_only_scheme")                       # l.116-118
        if ooa == "unregistered" and self.region in (NANYANG, GANZHOU):
            return refuse("out_of_area_not_registered")                  # l.241, l.243
        if self.region == GANZHOU and pharmacy and visit.benefit == "special_item":
            return refuse("special_item_at_pharmacy")                    # l.278-279
        if ooa != "none" and self.region == NANYANG and visit.channel == "manual":
            return refuse("manual_out_of_area")                          # l.71-73, l.241
        if self.region == GANZHOU and visit.benefit in self.member.chronic:
            return refuse("chronic_benefit")                             # l.110-111
        if self.region == GANZHOU and visit.benefit == "special_item":
            # l.119-122: the inpatient ratio is a parameter not in the sources; held, never guessed.
            return refuse("ratio_not_configured", "pending_review")
        rated = visit.prescriber or visit.provider                       # l.273: a fill is a visit at the prescriber
        return {NANYANG: self._nanyang, ZIBO: self._zibo, GANZHOU: self._ganzhou}[self.region](
            visit, rated, local, ooa, total)

    def _settled(self, live: _Live, ratio: Decimal, total: Decimal, ooa: str):
        return live, Outcome("settled", None, live.deductible, ratio, live.fund, total - live.fund, ooa)

    def _cap_left(self, day: date) -> Decimal:
        # l.69-70 (合并计算): after a switch to retired, what was paid this year counts against the new cap.
        return max(ZERO, self.annual_cap(day) - self.fund_paid(day.year))

    def _nanyang(self, visit, rated, local, ooa, total):
        retired = self.member.retired(local.date())
        standard = {"1": ZERO, "2": Decimal("30"), "3": Decimal("50")}[rated.rated]            # l.64
        ratio = {"1": ("0.60", "0.70"), "2": ("0.55", "0.65"), "3": ("0.50", "0.60")}[rated.rated][retired]  # l.68
        ratio = Decimal(ratio)
        owed, window = standard, None
        if standard:
            # Reading (l.64-67, with the product's documented reading of "deductible-bearing"): a window
            # is opened by a visit charged a deductible (> 0) outside any open window; it holds what
            # its live claims were charged and opens at the earliest of them. A reversal takes its
            # claim's charge out of the window; a window back at 0 is gone, one still holding charges
            # opens at its earliest live visit (module docstring). A visit exactly 24 h after the
            # opening is outside.
            held: dict[datetime, Decimal] = {}
            opens: dict[datetime, datetime] = {}
            for c in self._live():
                if c.window_at == rated.code and c.window is not None and c.deductible > 0:
                    held[c.window] = held.get(c.window, ZERO) + c.deductible
                    opens[c.window] = min(opens.get(c.window, c.at), c.at)
            open_ = sorted((opens[key], key) for key in held if opens[key] <= local < opens[key] + DAY)
            if open_:
                window = open_[-1][1]
                owed = max(ZERO, standard - held[window])
        deductible = min(owed, visit.inscp)
        fund = min(money((visit.inscp - deductible) * ratio), self._cap_left(local.date()))       # l.74
        if deductible > 0 and window is None:
            window = local
        live = _Live(local, local.year, rated.code, "per_visit", visit.benefit, deductible, fund,
                     window=window if deductible > 0 else None)
        return self._settled(live, ratio, total, ooa)

    def _zibo(self, visit, rated, local, ooa, total):
        day = local.date()
        retired = self.member.retired(day)
        level = rated.rated
        standard = {"1": Decimal("50"), "2": Decimal("500"), "3": Decimal("700")}[level]        # l.81-82
        ratio = Decimal({"1": "0.60", "2": "0.60", "3": "0.50"}[level])                          # l.83
        if retired and day >= date(2024, 1, 1):
            ratio += Decimal("0.05")                                                              # l.83-84
        base = visit.inscp
        if ooa in ("temporary", "unregistered"):
            base -= money(visit.inscp * Decimal("0.10"))                                          # l.86-87, l.242
        paid = sum((c.deductible for c in self._live() if c.year == day.year and c.bucket == level), ZERO)
        deductible = min(max(ZERO, standard - paid), base)
        fund = min(money((base - deductible) * ratio), self._cap_left(day))
        return self._settled(_Live(local, day.year, rated.code, level, visit.benefit, deductible, fund),
                             ratio, total, ooa)

    def _ganzhou(self, visit, rated, local, ooa, total):
        day = local.date()
        retired = self.member.retired(day)
        ratio = Decimal({"1": "0.60", "2": "0.55", "3": "0.50"}[rated.rated])                   # l.103
        if retired:
            ratio += Decimal("0.05")
        live = [c for c in self._live() if c.year == day.year]
        deductible = ZERO
        if visit.benefit in ("ordinary", "tcm"):
            # l.108-109: one shared accumulator; ordinary owes 600 − paid, TCM 300 − paid.
            paid = sum((c.deductible for c in live if c.bucket == "annual"), ZERO)
            standard = Decimal("600") if visit.benefit == "ordinary" else Decimal("300")
            deductible = min(max(ZERO, standard - paid), visit.inscp)
        if visit.benefit == "tcm":
            ratio += Decimal("0.05")                                                              # l.104
        fund = min(money((visit.inscp - deductible) * ratio), self._cap_left(day))
        if visit.benefit in ("hypertension", "diabetes"):                                          # l.105
            sub_cap = Decimal("500") if visit.benefit == "hypertension" else Decimal("600")
            fund = min(fund, max(ZERO, sub_cap - self.sub_cap_used(day.year, visit.benefit)))
        bucket = "annual" if visit.benefit in ("ordinary", "tcm") else visit.benefit
        return self._settled(_Live(local, day.year, rated.code, bucket, visit.benefit, deductible, fund),
                             ratio, total, ooa)
