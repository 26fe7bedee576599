"""An independent model of out-of-area care 异地就医 in the five regions, written from
../shared/policy/RULES.md alone (line numbers "R<n>" point into that file) and CONTRACT.md
"Out-of-area registrations", to check the product from outside: which registration requests and
cancellations are accepted, the ``out_of_area`` each visit derives, and what each claim pays.

Pure Python and Decimal; an amount paid is rounded once, half-up, to the fen (R8–R11). Year-to-date
figures are sums over the claims still live (not reversed), so a reversal puts the member back "as if
the claim had not happened" (R47–R48).

The employee regions' arithmetic (Nanyang's windows, Zibo's 10% first pay, Ganzhou's shared deductible)
is the one of ``model_employee.EmployeeModel``, whose ``Member.registrations`` this model keeps in step
with the registrations accepted and cancelled; what is new here is the registration side (R225–R232)
and the two capitation regions with an out-of-area visit in them (R247–R267).

Readings of this model where RULES.md leaves room (each is marked "Reading (model)"):
- A refused registration names the field it is refused on: a destination equal to the member's region
  ``dest_admdvs``; a kind the region does not register ``kind``; a ``temporary`` without ``end_on``
  ``end_on``; with several faults at least one of them. An overlap is a ``400``; CONTRACT.md does not
  say on which field (not compared).
- A cancellation before ``start_on`` ("not before start_on", R230) is a ``400`` on ``cancelled_on``;
  one on a day after the registration had ended is the ``409`` of CONTRACT.md; a second cancellation
  on or before the current end moves the end there (``200``).
- Nanchang: an out-of-area visit without a registration for that city is "elsewhere than the signed
  provider" (R244 table, R141): ``not_signed_provider``. The resettled cap (R251–R255) holds for a year
  Y when a resettled registration is in force on some day of Y on or after 1 January of the year after
  its start; its amount is the member's age-group standard of Y (R151–R157, age = Y − birth year).
- Nanchang 第三十二条 (R256–R258): only a cancellation (not an end date reached) blocks the signed
  provider, from the cancellation day to 31 December of that year.
- Heyuan: without a selection in effect a visit (not an emergency) is ``not_signed_provider`` in and
  out of the city, registered or not (R181; RULES.md names no code and no precedence between "no
  selection" and "unregistered"; the product's name is taken). With a selection, an unregistered
  out-of-city visit is ``out_of_area_not_registered`` (R245, the Nanyang code of R241), and a visit in
  the destination at a provider other than the out-of-city selection, without emergency, is
  ``not_signed_provider`` (covered "only at the member's out-of-city selection", R245). An emergency
  at a lapsed out-of-city selection (or its village station) is an unregistered emergency like any
  other (R245, 第十七条 "除急救和抢救需要外"): at the treating level, fee-for-service to it.
  An approved referral is read in the city only (R245 names only the selection and emergencies out
  of the city).
- Heyuan R265-R266 "When the registration ends, the out-of-city selection no longer covers anything
  (``out_of_area_not_registered``) until the member selects again": read as "while no registration
  for its city is in force" — a new long-term registration to the same city makes the selection cover
  again without a new selection (the product's reading; the reason code names the missing
  registration, so RULES.md is read as describing the state without one). Left open.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from tests.contract.model_capitation import nanchang_standard as standard   # R149-R157: the age groups
from tests.contract.model_employee import SHANGHAI, EmployeeModel, Member, Outcome, Provider, Visit, money

NANYANG, ZIBO, GANZHOU, NANCHANG, HEYUAN = "411300", "370300", "360700", "360100", "441600"
ZERO = Decimal("0.00")
# R230-R231: Heyuan registers only the long-term kinds, Nanchang only `resettled`.
KINDS = {NANCHANG: {"resettled"}, HEYUAN: {"resettled", "long_term"}}
PRIMARY = {"township", "community", "village"}          # R250: 基层医疗机构


# -- registrations (R225–R232, CONTRACT.md "Out-of-area registrations") ------------------------------

@dataclass
class Reg:
    """A registration whose end a cancellation moves (``model_employee.Registration`` is frozen; this one
    is read the same way by ``EmployeeModel``: ``kind``, ``dest``, ``in_force``)."""
    kind: str
    dest: str
    start: date
    end: date | None = None
    cancelled_on: date | None = None

    def in_force(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)     # R230: end day inclusive


def register(region: str, regs: list, kind: str, dest: str, start: date, end: date | None) -> set[str]:
    """The fields a request is refused on (``"overlap"`` for an overlap; empty when it is accepted)."""
    fields = set()
    if kind not in KINDS.get(region, {"resettled", "long_term", "temporary"}):
        fields.add("kind")                                                       # R225-R226, R230-R231
    city = len(dest) == 6 and dest.isdigit() and dest.endswith("00") and not dest.endswith("0000")
    if dest == region or not city:
        fields.add("dest_admdvs")  # R226-R227: a city-level code (not a province's xx0000) other than the region
    if kind == "temporary" and end is None:
        fields.add("end_on")                                                     # R228-R229
    if fields:
        return fields
    for other in regs:                                                           # R229: at most one in force
        if start <= (other.end or date.max) and other.start <= (end or date.max):
            return {"overlap"}
    return fields


def cancel(reg, day: date) -> int:
    """The status code of a cancellation; an accepted one moves ``end`` (R230, CONTRACT.md)."""
    if day < reg.start:
        return 400
    if reg.end is not None and reg.end < day:
        return 409
    reg.end = reg.cancelled_on = day
    return 200


def derive(region: str, regs: list, admdvs: str, day: date) -> str:
    """R233-R238: by the treating provider's admdvs and the registration in force on the visit day."""
    if admdvs == region:
        return "none"
    for reg in regs:
        if reg.in_force(day) and reg.dest == admdvs:
            return "temporary" if reg.kind == "temporary" else "long_term"
    return "unregistered"


# -- Nanchang and Heyuan -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """A provider as the capitation regions see it: with the centre a village clinic belongs to."""
    code: str
    level: str
    kind: str
    admdvs: str
    parent: str | None = None


@dataclass
class SignUp:
    provider: Place
    effective: date
    family_doctor: bool = False


@dataclass
class CapMember:
    region: str
    birth: date = date(1970, 5, 1)
    retired: bool = False               # Heyuan: retired all along (retired years ago)
    poverty: bool = False
    signups: list[SignUp] = field(default_factory=list)
    registrations: list = field(default_factory=list)

    def signup_on(self, day: date) -> SignUp | None:
        best = None                     # R56: the latest sign-up in effect on the day
        for s in self.signups:
            if s.effective <= day and (best is None or s.effective >= best.effective):
                best = s
        return best


@dataclass
class _Paid:
    year: int
    fund: Decimal


class CapitationModel:
    """Claims of one Nanchang or Heyuan member, in and out of the city (R126-R200, R218-R267)."""

    HEYUAN_RATIO = {False: {"1": "0.70", "2": "0.60", "3": "0.55"}, True: {"1": "0.75", "2": "0.65", "3": "0.60"}}
    HEYUAN_VISIT_CAP = {"1": Decimal("60"), "2": Decimal("120"), "3": Decimal("150")}   # R186
    HEYUAN_CAP = Decimal("1800")                                                         # R186-R187

    def __init__(self, member: CapMember):
        self.member, self.region = member, member.region
        self.claims: list[tuple[Outcome, _Paid | None, str | None]] = []
        self.reversed: set[int] = set()

    def fund_paid(self, year: int) -> Decimal:
        return sum((p.fund for i, (_, p, _) in enumerate(self.claims) if p and p.year == year
                    and i not in self.reversed), ZERO)

    def reverse(self, index: int) -> Outcome:
        o = self.claims[index][0]
        self.reversed.add(index)
        return Outcome(o.status, o.reason, -o.act_pay_dedc, o.pool_prop_selfpay, -o.hifp_pay, -o.psn_part_amt,
                       o.out_of_area)

    def charged(self, index: int) -> str | None:
        return self.claims[index][2]

    # -- Nanchang ----------------------------------------------------------------------------------

    def resettled_cap(self, year: int) -> Decimal | None:
        """R251-R255: the yearly cap in a year in which the resettled benefit is in force for any part."""
        for reg in self.member.registrations:
            benefit_from = date(reg.start.year + 1, 1, 1)
            if max(benefit_from, date(year, 1, 1)) <= min(reg.end or date.max, date(year, 12, 31)):
                return standard(self.member.birth, year)
        return None

    def annual_cap(self, year: int) -> Decimal | None:
        if self.region == NANCHANG:
            return self.resettled_cap(year)
        first = min((s.effective for s in self.member.signups), default=None)
        if first is None or first.year != year:
            return self.HEYUAN_CAP
        return money(self.HEYUAN_CAP / 12 * (13 - first.month))                   # R187-R188

    def _nanchang(self, provider: Place, day: date, inscp: Decimal, ooa: str, referral: bool):
        signup = self.member.signup_on(day)
        if signup is None:
            return "not_covered", "not_signed_provider", None, None
        home = signup.provider
        base = Decimal("0.65") if self.member.poverty else Decimal("0.60")        # R134-R135
        if ooa == "unregistered":
            return "not_covered", "not_signed_provider", None, None             # R244, R141
        if ooa == "long_term":
            reg = next(r for r in self.member.registrations if r.in_force(day) and r.dest == provider.admdvs)
            if day < date(reg.start.year + 1, 1, 1):
                return "not_covered", "resettled_waiting_year", None, None      # R248, R255-R256
            if provider.kind not in PRIMARY:
                return "not_covered", "resettled_not_primary_care", None, None  # R248-R250
            ratio = base                                                         # R250-R251: no +5 away
        else:
            at_home = provider.code == home.code or provider.parent == home.code
            if at_home and any(r.cancelled_on and r.cancelled_on <= day and r.cancelled_on.year == day.year
                               for r in self.member.registrations):
                return "not_covered", "resettlement_cancelled", None, None      # R256-R258
            if referral and provider.kind == "county_tcm":
                ratio = base if self.member.poverty else Decimal("0.40")          # R133-R137
            elif at_home:
                ratio = base + (Decimal("0.05") if signup.family_doctor else 0)   # R136-R138
            else:
                return "not_covered", "not_signed_provider", None, None         # R141
        fund = money(inscp * ratio)
        cap = self.resettled_cap(day.year)
        if cap is not None:
            fund = min(fund, max(ZERO, cap - self.fund_paid(day.year)))
        return "settled", None, (ratio, fund), home.code                           # R169, R251

    # -- Heyuan ------------------------------------------------------------------------------------

    def _heyuan(self, provider: Place, day: date, inscp: Decimal, ooa: str, emergency: bool, referral: bool):
        signup = self.member.signup_on(day)
        selected = signup and (provider.code == signup.provider.code or provider.parent == signup.provider.code)
        if selected and ooa == "unregistered" and not emergency:
            return "not_covered", "out_of_area_not_registered", None, None      # R265-R266
        if selected and ooa != "unregistered":
            tier = signup.provider.level.replace("9", "1")                      # R184: the selection's level
            # R264: out of the city fee-for-service to the selection (a village station's to its centre,
            # R214); in the city the selection's capitation (R215-R216)
            charged = signup.provider.code
        elif emergency or (referral and signup and ooa == "none"):
            # R182-R183, R195-R197 at the treating level; out of the city only an emergency (R245:
            # "covered only at the member's out-of-city selection (or emergency)", "only emergency")
            tier = provider.level.replace("9", "1")
            # a selection's capitation carries an in-city emergency (R215-R216); otherwise fee-for-service
            # to the treating provider, a village station's to its centre (R214, R287)
            # (Reading, model: a selection out of the city is in no capitation, R207-R208, so an
            # emergency in the city is then fee-for-service to the treating provider too)
            in_capitation = signup and ooa == "none" and signup.provider.admdvs == HEYUAN
            charged = signup.provider.code if in_capitation else (provider.parent or provider.code)
        elif signup is None:
            # Reading (model): without a selection in effect, in or out of the city, the reason is the
            # missing selection (R181), named as the product names it; RULES.md names no code for it
            return "not_covered", "not_signed_provider", None, None
        elif ooa == "unregistered":
            return "not_covered", "out_of_area_not_registered", None, None      # R245
        else:
            return "not_covered", "not_signed_provider", None, None             # R181, R245
        ratio = Decimal(self.HEYUAN_RATIO[self.member.retired][tier])
        left = max(ZERO, self.annual_cap(day.year) - self.fund_paid(day.year))
        fund = min(money(inscp * ratio), self.HEYUAN_VISIT_CAP[tier], left)      # R190
        return "settled", None, (ratio, fund), charged

    def claim(self, provider: Place, at: datetime, inscp: Decimal, own: Decimal = ZERO, *,
              emergency: bool = False, referral: bool = False) -> Outcome:
        day = at.astimezone(SHANGHAI).date()
        total = inscp + own
        ooa = derive(self.region, self.member.registrations, provider.admdvs, day)
        if provider.kind == "pharmacy":
            status, reason, paid, charged = "not_covered", "pharmacy_not_covered", None, None   # R280-R282
        elif self.region == NANCHANG:
            status, reason, paid, charged = self._nanchang(provider, day, inscp, ooa, referral)
        else:
            status, reason, paid, charged = self._heyuan(provider, day, inscp, ooa, emergency, referral)
        ratio, fund = paid or (Decimal("0"), ZERO)
        outcome = Outcome(status, reason, ZERO, ratio, fund, total - fund, ooa)
        self.claims.append((outcome, _Paid(day.year, fund) if paid else None, charged))
        return outcome


__all__ = ["NANYANG", "ZIBO", "GANZHOU", "NANCHANG", "HEYUAN", "EmployeeModel", "Member", "Provider", "Visit",
           "Place", "Reg", "register", "cancel", "derive", "CapMember", "CapitationModel", "SignUp", "standard"]
