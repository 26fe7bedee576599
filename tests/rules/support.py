"""Builders for the pure rule tests: parameters from a region's SEED (no database), facts, a ledger."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from policy.rules import region_module
from policy.rules.common import (
    MemberFacts, ProviderFacts, SignupFacts, VisitFacts, YearToDate, apply_deltas, negate_deltas,
)
from policy.rules.params import Params

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def at(text: str) -> datetime:
    """'2024-03-01T10:00' in the service time zone."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def params_on(admdvs: str, day: date, **overrides) -> Params:
    """The SEED parameter set of the region in force on ``day``, optionally with values replaced."""
    module = region_module(admdvs)
    for index, entry in enumerate(module.SEED):
        params = Params(module.PARAMETERS, {**entry["values"], **overrides}, version=f"{admdvs}-seed-{index}",
                        effective_from=entry["effective_from"], effective_to=entry["effective_to"])
        if params.covers(day):
            return params
    raise LookupError(f"no SEED parameter set of {admdvs} covers {day}")


def member(person_type: str = "employed", **changes) -> MemberFacts:
    values = dict(person_type=person_type, birth_date=date(1970, 5, 1), enrolled_on=date(2000, 1, 1))
    values.update(changes)
    return MemberFacts(**values)


def provider(code: str, level: str = "1", *, kind: str = "hospital", admdvs: str = "411300", status: str = "active",
             parent_code: str | None = None) -> ProviderFacts:
    return ProviderFacts(code=code, level=level, kind=kind, status=status, admdvs=admdvs, parent_code=parent_code)


def visit(when: str, eligible: str, **changes) -> VisitFacts:
    amount = D(eligible)
    return VisitFacts(visit_at=at(when), eligible=amount, total=amount, **changes)


def signup(selected: ProviderFacts | None, *, family_doctor: bool = False,
           first_effective_on: date | None = date(2020, 1, 1)) -> SignupFacts:
    return SignupFacts(provider=selected, family_doctor=family_doctor, first_effective_on=first_effective_on)


@dataclass
class Ledger:
    """A member's accumulators per year, changed only by applying decisions' deltas (like the service)."""
    admdvs: str
    years: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    decisions: list = field(default_factory=list)

    def ytd(self, year: int, *, january: bool = False) -> YearToDate:
        """``january``: with the previous year's buckets, as the claims engine gives a January visit."""
        previous = dict(self.years.get(year - 1, {})) if january else {}
        return YearToDate(year=year, buckets=dict(self.years.get(year, {})), previous=previous)

    def claim(self, *, member: MemberFacts, provider: ProviderFacts, visit: VisitFacts,
              signup: SignupFacts | None = None, params: Params | None = None):
        year = visit.day.year
        params = params or params_on(self.admdvs, visit.day)
        decision = region_module(self.admdvs).adjudicate(params=params, member=member, provider=provider,
                                                         signup=signup, visit=visit,
                                                         ytd=self.ytd(year, january=visit.visit_at.month == 1))
        # Every case also decided without its explanation (``explain=False``, as a policy simulation
        # replays): the same decision to the fen, with no steps.
        unexplained = region_module(self.admdvs).adjudicate(params=params, member=member, provider=provider,
                                                            signup=signup, visit=visit,
                                                            ytd=self.ytd(year, january=visit.visit_at.month == 1),
                                                            explain=False)
        assert unexplained == replace(decision, steps=()), "explain=False changed the decision"
        self.years[year] = apply_deltas(self.years.get(year, {}), decision.deltas)
        self.decisions.append((year, decision))
        return decision

    def reverse(self, index: int):
        year, decision = self.decisions[index]
        self.years[year] = apply_deltas(self.years.get(year, {}), negate_deltas(decision.deltas))
        return decision

    def bucket(self, year: int, name: str) -> Decimal:
        return self.years.get(year, {}).get(name, D("0"))
