"""A differential check of the employee regions (Nanyang, Zibo, Ganzhou) from outside: seeded random
scenarios (members of each person type, providers of each level, 5–40 visits with same-day and 24-hour
repeats, amounts near the deductibles and caps, retirement switches, the year boundary, reversals,
exclusions, out-of-area and pharmacy visits) are posted through the REST API of CONTRACT.md and every
answer is compared, to the fen, with the independent model in ``model_employee.py``."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, UTC
from decimal import Decimal

import pytest

from tests.contract.model_employee import (GANZHOU, NANYANG, SHANGHAI, ZIBO, EmployeeModel, Member, Provider,
                                           Registration, Visit)
from tests.contract.world import World

pytestmark = pytest.mark.django_db
GUANGZHOU = "440100"
FIELDS = ("status", "reason", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "out_of_area")
SEEDS = 30
# Amounts that sit on the thresholds: deductibles (30, 50, 300, 500, 600, 700) and amounts whose fund
# payment lands near the caps and sub-caps (cap ÷ ratio).
EDGES = {NANYANG: ["30.00", "30.01", "29.99", "50.00", "49.99", "50.01", "80.00"],
         ZIBO: ["50.00", "50.01", "49.99", "500.00", "499.99", "700.00", "700.01", "555.55"],
         GANZHOU: ["300.00", "300.01", "299.99", "600.00", "599.99", "600.01", "833.33", "1000.00", "909.09"]}
BIG = {NANYANG: ["2500.00", "2727.27", "3333.33", "3000.00", "1000.00"],
       ZIBO: ["5000.00", "6666.67", "6000.00", "2000.00"],
       GANZHOU: ["3600.00", "3000.00", "1200.00", "2000.00"]}
YEARS = {NANYANG: (2023, 2024), ZIBO: (2023, 2024), GANZHOU: (2023, 2024)}


class Scenario:
    """One member, its providers and a random sequence of visits and reversals, posted through the API
    and fed to the model side by side."""

    def __init__(self, w, region: str, seed: int):
        self.w, self.region, self.rng = w, region, random.Random(seed * 1009 + int(region))
        rng = self.rng
        year = rng.choice(YEARS[region])
        self.year = year
        kind = rng.choice(["employed", "flexible", "retired", "retiring", "retiring"])
        retired_on = {"retired": date(2015, 3, 10),
                      "retiring": date(year, rng.randint(1, 12), rng.randint(1, 28))}.get(kind)
        if kind == "retiring" and rng.random() < 0.2:
            retired_on = date(year, 12, 31) if rng.random() < 0.5 else date(year, 1, 31)
        inpatient_only = region == GANZHOU and rng.random() < 0.07
        psn_type = {"employed": "1101", "flexible": "1103"}.get(kind, "1201")
        self.certno = w.member(psn_type=psn_type, retired_on=retired_on and retired_on.isoformat(),
                               inpatient_only=inpatient_only)
        self.member = Member(region, retired_on, inpatient_only)
        self.model = EmployeeModel(self.member)
        self.local = [self._provider(level) for level in ("1", "2", "3", "9")]
        self.away = [self._provider(rng.choice("1239"), admdvs=GUANGZHOU)]
        self.suspended = self._provider("2", status="suspended")
        self.shop, self.away_shop = self._provider("1", kind="pharmacy"), self._provider("1", kind="pharmacy",
                                                                                          admdvs=GUANGZHOU)
        # a third of the scenarios stay at one L2/L3 provider (and fills of its prescriptions) with
        # small amounts, short steps and frequent reversals: the 24-hour windows and the deductibles
        self.focus = rng.choice(self.local[1:3]) if rng.random() < 0.35 else None
        self.first_at = self._at(None)
        if rng.random() < 0.5:
            # a registration around the first visits, so that some visits fall inside it and some after
            kind = rng.choice(["long_term", "temporary", "resettled"])
            start = self.first_at.date() - timedelta(days=rng.randint(0, 20))
            end = start + timedelta(days=rng.randint(10, 120)) if kind == "temporary" or rng.random() < 0.5 else None
            response = w.register(self.certno, kind=kind, dest=GUANGZHOU, start_on=start.isoformat(),
                                  end_on=end and end.isoformat())
            assert response.status_code == 201, response.json()
            self.member.registrations.append(Registration(kind, GUANGZHOU, start, end))
        if region == GANZHOU and rng.random() < 0.15:
            # certified for the chronic-disease benefit for one disease (RULES.md l.110-111)
            disease = rng.choice(["hypertension", "diabetes"])
            response = w.client.patch(f"/api/v1/members/{region}/{self.certno}/", {"chronic_diseases": [disease]},
                                      format="json")
            assert response.status_code == 200, response.json()
            self.member.chronic.add(disease)

    def _provider(self, level, **kwargs) -> Provider:
        code = self.w.provider(level=level, **kwargs)
        return Provider(code, level, kwargs.get("kind") or ("township" if level in "19" else "hospital"),
                        kwargs.get("admdvs", self.region), kwargs.get("status", "active"))

    def _amount(self) -> Decimal:
        rng, roll = self.rng, self.rng.random()
        if self.focus and roll < 0.7:
            return Decimal(rng.randint(100, 12000)) / 100
        if roll < 0.35:
            return Decimal(rng.choice(EDGES[self.region]))
        if roll < 0.42:
            return Decimal(rng.choice(BIG[self.region]))
        return Decimal(rng.randint(1, 30000) if roll < 0.85 else rng.randint(30000, 300000)) / 100

    def _at(self, previous: datetime | None) -> datetime:
        rng = self.rng
        if previous is None:
            month = 12 if rng.random() < 0.25 else rng.randint(1, 11)      # a quarter cross the year end
            return datetime(self.year, month, rng.randint(1, 28), rng.randint(7, 20), rng.choice((0, 30)),
                            tzinfo=SHANGHAI)
        steps = ["same_day", "23h", "24h", "25h", "days", "days", "weeks"]
        step = rng.choice(steps[:4] if self.focus and rng.random() < 0.8 else steps)
        delta = {"same_day": timedelta(hours=rng.randint(1, 6)), "23h": timedelta(hours=23, minutes=59),
                 "24h": timedelta(hours=24), "25h": timedelta(hours=25),
                 "days": timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5)),
                 "weeks": timedelta(days=rng.randint(7, 40))}[step]
        return previous + delta

    def _visit(self, at: datetime) -> Visit:
        rng = self.rng
        day = at.date()
        roll = rng.random()
        prescriber = None
        if self.focus and roll < 0.6:
            provider = self.focus
            if rng.random() < 0.25:
                provider, prescriber = self.shop, self.focus
        elif roll < 0.6:
            provider = rng.choice(self.local)
        elif roll < 0.75:
            provider = rng.choice(self.away)
        elif roll < 0.86:
            provider = rng.choice([self.shop, self.away_shop])
            choices = list(self.local)
            if any(r.in_force(day) and r.dest == GUANGZHOU for r in self.member.registrations):
                choices += self.away                                       # RULES.md l.270-272
            prescriber = rng.choice(choices) if rng.random() < 0.9 else None
        elif roll < 0.9:
            provider = self.suspended
        else:
            provider = rng.choice(self.local)
        benefit = "ordinary"
        if self.region == GANZHOU:
            benefit = rng.choices(["ordinary", "tcm", "hypertension", "diabetes", "special_item"],
                                  [50, 20, 12, 12, 6])[0]
        exclusion = rng.choice(["work_injury", "third_party", "public_health", "abroad", "inpatient", "chronic",
                                "inpatient_fund_emergency"]) if rng.random() < 0.06 else None
        own = Decimal(rng.randint(0, 5000)) / 100 if rng.random() < 0.2 else Decimal("0.00")
        return Visit(provider, at, self._amount(), own, benefit, exclusion,
                     "manual" if rng.random() < 0.12 else "direct", prescriber)

    def _post(self, visit: Visit) -> dict:
        extra = {"benefit": visit.benefit, "channel": visit.channel}
        if visit.exclusion:
            extra["exclusion"] = visit.exclusion
        if visit.prescriber:
            extra["prescribing_fixmedins_code"] = visit.prescriber.code
        at = visit.at.isoformat() if self.rng.random() < 0.8 else visit.at.astimezone(
            UTC).isoformat().replace("+00:00", "Z")
        return self.w.claim(self.certno, visit.provider.code, at, f"{visit.inscp:.2f}", own=f"{visit.own:.2f}",
                            **extra)

    def run(self) -> list[str]:
        rng, mismatches, posted = self.rng, [], []
        at = None
        for n in range(rng.randint(5, 40)):
            at = self._at(at) if n else self.first_at
            if at.year > 2025:
                break
            visit = self._visit(at)
            expected, answer = self.model.claim(visit).answer(), self._post(visit)
            posted.append(answer["setl_id"])
            got = {f: answer[f] for f in FIELDS}
            if got != expected:
                mismatches.append(f"visit {n} {visit}: model {expected} product {got}")
            if answer["acct_pay"] != "0.00" or answer["psn_cash_pay"] != answer["psn_part_amt"]:
                mismatches.append(f"visit {n}: member share paid {answer['acct_pay']}/{answer['psn_cash_pay']}")
            if rng.random() < (0.3 if self.focus else 0.12):
                live = [i for i in range(len(posted)) if i not in self.model.reversed]
                index = rng.choice(live)
                expected = self.model.reverse(index).answer()
                reversal = self.w.reverse(posted[index])
                got = {f: reversal[f] for f in ("act_pay_dedc", "hifp_pay", "psn_part_amt")}
                want = {f: expected[f] for f in got}
                if got != want or reversal["reverses"] != posted[index]:
                    mismatches.append(f"reversal of {index}: model {want} product {got} {reversal['reverses']}")
        for year in sorted({c[0].at.year for c in self.model.claims}):
            figures = self.w.accumulators(self.certno, year)
            cap = self.model.annual_cap(date(year, 12, 31))
            fund = self.model.fund_paid(year)
            want = {"fund_paid": f"{fund:.2f}", "annual_cap": cap and f"{cap:.2f}",
                    "cap_left": cap and f"{max(cap - fund, Decimal(0)):.2f}",
                    "deductible_paid": self.model.deductible_paid(year)}
            got = {f: figures[f] for f in want}
            if self.region == GANZHOU and cap:
                want["subcaps"] = {d: f"{self.model.sub_cap_used(year, d):.2f}" for d in ("hypertension", "diabetes")}
                got["subcaps"] = {d: figures["subcaps"][d]["used"] for d in ("hypertension", "diabetes")}
            if got != want:
                mismatches.append(f"accumulators {year}: model {want} product {got}")
        return mismatches


@pytest.fixture
def staff_world(db, api_client):
    """Like the ``world`` fixture, with a city-wide superuser made without a password: hashing one
    (PBKDF2) costs 0.32 s of CPU, a third of this module's time over 90 scenarios."""
    from django.contrib.auth import get_user_model

    from staff.models import StaffScope

    user = get_user_model()(username="model_checker", is_staff=True, is_superuser=True)
    user.set_unusable_password()
    user.save()
    StaffScope.objects.create(user=user, all_regions=True)
    api_client.force_authenticate(user)
    return lambda admdvs: World(api_client, admdvs)


@pytest.mark.parametrize("region", [NANYANG, ZIBO, GANZHOU])
@pytest.mark.parametrize("seed", range(SEEDS))
def test_the_product_answers_as_the_model(staff_world, region, seed):
    mismatches = Scenario(staff_world(region), region, seed).run()
    assert not mismatches, "\n".join(mismatches[:5])
