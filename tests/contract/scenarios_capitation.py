"""Seeded random scenarios for Nanchang and Heyuan (sign-ups and their changes, visits, reversals,
settlement runs), driven through the REST API of CONTRACT.md and checked, answer by answer, against
tests/contract/model_capitation.py. A scenario is a pure function of its seed (``random.Random(seed)``)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tests.contract import model_capitation as model
from tests.contract.world import run, run_lines

# ages spanning every Nanchang age group and its edges (RULES.md "Nanchang" Budget table)
AGES = (0, 1, 2, 3, 5, 6, 7, 9, 10, 13, 14, 25, 26, 32, 33, 52, 53, 64, 65, 80, 81, 82, 83, 87, 88, 89, 90, 96)
YEAR = 2024


@dataclass
class Scenario:
    region: str
    providers: list[model.Provider]
    members: list[model.Member]
    events: list[tuple] = field(default_factory=list)   # (day, order, kind, payload)
    suspend: tuple[str, date] | None = None
    targets: dict[str, Decimal] = field(default_factory=dict)  # year-end utilisation to reach, per centre
    deduction: tuple[str, Decimal] | None = None            # an approved deduction before the runs
    months: list[int] = field(default_factory=list)        # monthly runs, each approved or not
    approve: dict[int, bool] = field(default_factory=dict)


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _amount(rng: random.Random, region: str) -> Decimal:
    """Eligible amounts around the Heyuan per-visit caps (cap ÷ ratio ± 1 fen) and plain ones."""
    if region == model.HEYUAN and rng.random() < 0.35:
        cap, ratio = rng.choice(((60, "0.70"), (60, "0.75"), (120, "0.60"), (120, "0.65"), (150, "0.55"),
                                 (150, "0.60")))
        return (Decimal(cap) / Decimal(ratio)).quantize(Decimal("0.01")) + Decimal(rng.choice((-1, 0, 1))) / 100
    return Decimal(rng.randrange(100, 30000)) / 100


def generate(region: str, seed: int) -> Scenario:
    rng = random.Random(seed)
    nanchang = region == model.NANCHANG
    providers = []
    for i in range(rng.choice((2, 3))):
        level = "1" if i == 0 else rng.choice(("1", "9") if nanchang else ("1", "2", "3", "9"))
        kind = rng.choice(("township", "community", "eldercare")) if nanchang and i else (
            "township" if level in ("1", "9") else "hospital")
        providers.append(model.Provider(f"P{i}", level, kind))
    centres = [p.code for p in providers]
    providers.append(model.Provider("V", "1", "village", parent="P0"))
    providers.append(model.Provider("T", "2", "county_tcm") if nanchang else model.Provider("H", "3", "hospital"))
    other = providers[-1].code
    scenario = Scenario(region, providers, [])
    if len(centres) > 2 and rng.random() < 0.35:
        scenario.suspend = ("P1", _day(rng, date(YEAR, 2, 1), date(YEAR, 10, 31)))
    for i in range(rng.randrange(3, 7)):
        age = rng.choice(AGES) if nanchang else rng.randrange(20, 80)
        birth = date(YEAR, 1, 1) if age == 0 else date(YEAR - age, rng.randrange(1, 13), rng.randrange(1, 29))
        retired_on = None
        if not nanchang and rng.random() < 0.4:
            retired_on = _day(rng, max(date(2019, 1, 1), birth), date(YEAR, 11, 30))
        member = model.Member(f"M{i}", birth, poverty=nanchang and rng.random() < 0.25, retired_on=retired_on)
        scenario.members.append(member)
        start = rng.random()
        home = rng.choice(centres)
        first = None
        if start < 0.3 and age > 0:
            first = _day(rng, date(2023, 1, 2), date(2023, 12, 28))
        elif start < 0.9:
            first = _day(rng, date(YEAR, 1, 2), date(YEAR, 11, 28))
        if first is not None:
            first = max(first, birth)  # a member signs up once enrolled (enrolled_on: birth or 2015)
            scenario.events.append((first, 1, "signup", (member.key, home, "first", rng.random() < 0.3)))
            if rng.random() < 0.35:
                moved = _day(rng, max(first, date(YEAR - 1 if rng.random() < 0.2 else YEAR, 1, 2)), date(YEAR, 12, 20))
                scenario.events.append((moved, 1, "signup", (member.key, rng.choice(centres), "address_change",
                                                             rng.random() < 0.3)))
            if rng.random() < 0.25:
                year = YEAR - 1 if first.year < YEAR and rng.random() < 0.5 else YEAR
                asked = _day(rng, date(year, 8, 15), date(year, 12, 31))
                scenario.events.append((asked, 1, "signup", (member.key, rng.choice(centres), "annual", False)))
        for _ in range(rng.randrange(0, 7)):
            at = _day(rng, date(YEAR, 1, 1), date(YEAR, 12, 31))
            where = rng.random()
            flags = {}
            if where < 0.55:
                code = home
            elif where < 0.7:
                code = rng.choice(centres)
            elif where < 0.8:
                code = "V"
            else:
                code = other
                flags = {"referral": True} if nanchang else rng.choice(({"emergency": True}, {"referral": True},
                                                                         {}))
                if nanchang and rng.random() < 0.25:
                    flags = {}
            if not nanchang and rng.random() < 0.08:
                flags = {"emergency": True}
            own = Decimal(rng.choice((0, 0, 0, rng.randrange(1, 5000)))) / 100
            scenario.events.append((at, 2, "claim", (member.key, code, _amount(rng, region), own, flags,
                                                     rng.random() < 0.12, rng.randrange(8, 18))))
        if rng.random() < 0.1:
            scenario.events.append((date(YEAR + 1, 1, 2), 2, "claim", (member.key, rng.choice(centres),
                                                                       _amount(rng, region), Decimal(0), {},
                                                                       False, 9)))
    if scenario.suspend:
        scenario.events.append((scenario.suspend[1], 0, "suspend", scenario.suspend[0]))
    # utilisation targets at the year end: below, at and around the band edges, above
    edges = ("0.5", "0.8", "0.85", "0.9", "1.0", "1.2") if nanchang else ("0.5", "0.8", "0.9", "1.0", "1.1")
    for code in centres:
        if rng.random() < 0.7:
            scenario.targets[code] = Decimal(rng.choice(edges)) + Decimal(rng.choice((-1, 0, 0, 1))) / 10000
    if rng.random() < 0.3:
        scenario.deduction = ("P0", Decimal(rng.randrange(500, 12000)) / 100)
    scenario.months = sorted(rng.sample(range(1, 13), rng.randrange(1, 5)))
    scenario.approve = {m: rng.random() < 0.75 for m in scenario.months}
    scenario.events.sort(key=lambda e: (e[0], e[1]))
    return scenario


class Driver:
    """Plays a scenario through the API and keeps the model's view of it."""

    def __init__(self, world, scenario: Scenario, city_admin):
        self.w, self.s, self.admin = world, scenario, city_admin
        self.region = scenario.region
        self.nanchang = self.region == model.NANCHANG
        self.providers = {p.code: p for p in scenario.providers}
        self.members = {m.key: m for m in scenario.members}
        self.code: dict[str, str] = {}
        self.certno: dict[str, str] = {}
        self.fund_paid: dict[tuple[str, int], Decimal] = {}
        self.charged: list[tuple[date, str, Decimal, bool]] = []   # (day, provider, fund, capitation?)
        self.ffs: list[tuple[date, str, Decimal, Decimal]] = []     # Heyuan fee-for-service: (day, code, fund, fee)
        self.mismatches: list[str] = []
        self.visit_hour = 8
        self.approver = None

    def check(self, what: str, got, expected) -> None:
        if got != expected:
            self.mismatches.append(f"{what}: product {got!r} != model {expected!r}")

    # -- setup -----------------------------------------------------------------------------------
    def build(self) -> None:
        for p in self.s.providers:
            parent = self.code[p.parent] if p.parent else None
            self.code[p.code] = self.w.provider(level=p.level, kind=p.kind, parent=parent)
        self.symbol = {code: sym for sym, code in self.code.items()}
        for m in self.s.members:
            enrolled = max(m.birth, date(2015, 1, 1)).isoformat()
            psn_type = "1501" if self.nanchang else ("1201" if m.retired_on else "1101")
            self.certno[m.key] = self.w.member(psn_type=psn_type, birth=m.birth, poverty=m.poverty,
                                               enrolled_on=enrolled,
                                               retired_on=m.retired_on.isoformat() if m.retired_on else None)

    # -- events ----------------------------------------------------------------------------------
    def signup(self, day: date, key: str, sym: str, reason: str, family_doctor: bool) -> None:
        member = self.members[key]
        if reason == "first" and member.signups:
            return
        family_doctor = family_doctor and self.nanchang
        expected = model.signup_decide(self.region, member, self.providers, sym, day, reason, family_doctor)
        response = self.w.signup(self.certno[key], self.code[sym], applied_on=day.isoformat(), reason=reason,
                                 family_doctor=family_doctor)
        what = f"signup {key}→{sym} {reason} on {day}"
        if expected is None:
            self.check(what + " status", response.status_code, 400)
            return
        self.check(what + " status", (response.status_code, response.json() if response.status_code != 201 else None),
                   (201, None))
        if response.status_code == 201:
            self.check(what + " effective_from", response.json()["effective_from"], expected.effective_from.isoformat())
            member.signups.append(expected)

    def suspend(self, day: date, sym: str) -> None:
        response = self.w.client.patch(f"/api/v1/providers/{self.code[sym]}/",
                                       {"status": "suspended", "status_changed_on": day.isoformat()}, format="json")
        assert response.status_code == 200, response.json()
        self.providers[sym].active_until = day - timedelta(days=1)
        others = [p.code for p in self.s.providers if p.code not in (sym, "V", "T", "H")]
        for i, member in enumerate(self.s.members):
            current = model.signup_in_effect(member, day)
            if current is not None and current.provider == sym:
                self.signup(day, member.key, others[i % len(others)], "provider_suspended", False)

    def claim(self, day: date, key: str, sym: str, eligible: Decimal, own: Decimal, flags: dict, reverse: bool,
              hour: int) -> Decimal:
        member = self.members[key]
        paid = self.fund_paid.get((key, day.year), Decimal("0.00"))
        if self.nanchang:
            expected = model.nanchang_claim(member, self.providers, sym, day, eligible,
                                            referral=flags.get("referral", False))
        else:
            expected = model.heyuan_claim(member, self.providers, sym, day, eligible, paid,
                                          emergency=flags.get("emergency", False),
                                          referral=flags.get("referral", False))
        body = self.w.claim(self.certno[key], self.code[sym], f"{day.isoformat()}T{hour:02d}:00:00+08:00",
                            str(eligible), own=str(own), **flags)
        what = f"claim {key}@{sym} {day} {eligible}+{own} {flags}"
        self.check(what + " status", body["status"], expected.status)
        if expected.reason is not None or expected.status == "settled":
            self.check(what + " reason", body["reason"], expected.reason)
        if expected.status == "settled":
            self.check(what + " ratio", body["pool_prop_selfpay"], f"{expected.ratio:.4f}")
            self.check(what + " charged", self.symbol.get(body.get("charged_fixmedins_code")), expected.charged)
        fee = eligible + own
        self.check(what + " hifp_pay", body["hifp_pay"], f"{expected.hifp_pay:.2f}")
        self.check(what + " act_pay_dedc", body["act_pay_dedc"], "0.00")
        self.check(what + " psn_part_amt", body["psn_part_amt"], f"{fee - expected.hifp_pay:.2f}")
        self.check(what + " acct/cash", (body["acct_pay"], body["psn_cash_pay"]),
                   ("0.00", f"{fee - expected.hifp_pay:.2f}"))
        if expected.status != "settled" or reverse:
            if reverse:
                back = self.w.reverse(body["setl_id"])
                self.check(what + " reversal", (back["hifp_pay"], back["reverses"]),
                           (f"{-expected.hifp_pay:.2f}", body["setl_id"]))
            return Decimal("0.00")
        self.fund_paid[(key, day.year)] = paid + expected.hifp_pay
        capitation = self.nanchang or model.signup_in_effect(member, day) is not None
        self.charged.append((day, expected.charged, expected.hifp_pay, capitation))
        if not capitation:
            self.ffs.append((day, expected.charged, expected.hifp_pay, fee))
        return expected.hifp_pay

    def play(self) -> None:
        self.build()
        for day, _, kind, payload in self.s.events:
            if kind == "signup":
                self.signup(day, *payload)
            elif kind == "suspend":
                self.suspend(day, payload)
            else:
                self.claim(day, *payload)
        self.top_up()
        self.settle()
        self.accumulators()

    # -- year-end utilisation targets --------------------------------------------------------------
    def actual(self, year: int, month: int | None = None, capitation: bool = True) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for day, code, fund, cap in self.charged:
            if day.year == year and (month is None or day.month == month) and cap == capitation:
                totals[code] = totals.get(code, Decimal("0.00")) + fund
        return totals

    def budget(self) -> dict[str, Decimal]:
        members = self.s.members
        if self.nanchang:
            return {c: line["budget"] for c, line in model.nanchang_year_end(members, {}, {}, YEAR).items()}
        return {c: line["budget"] for c, line in model.heyuan_year_end(members, {}, {}, YEAR).items()}

    def top_up(self) -> None:
        """Visits in the last days of December that bring a centre's year to the utilisation drawn."""
        budgets, day = self.budget(), date(YEAR, 12, 16)
        for sym, target in sorted(self.s.targets.items()):
            goal = model.money(budgets.get(sym, Decimal(0)) * target)
            for member in self.s.members:
                signup = model.signup_in_effect(member, day)
                if signup is None or signup.provider != sym or not self.providers[sym].active_on(day):
                    continue
                for _ in range(12):
                    short = goal - self.actual(YEAR).get(sym, Decimal(0))
                    if short <= 0:
                        break
                    ratio = (model.nanchang_claim(member, self.providers, sym, day, Decimal(1)).ratio
                             if self.nanchang else model.heyuan_claim(member, self.providers, sym, day, Decimal(1),
                                                                      Decimal(0)).ratio)
                    eligible = (short / ratio).quantize(Decimal("0.01"))
                    if eligible <= 0:
                        break
                    self.visit_hour = self.visit_hour % 10 + 8
                    if self.claim(day, member.key, sym, eligible, Decimal(0), {}, False, self.visit_hour) <= 0:
                        break
                    day = min(day + timedelta(days=1), date(YEAR, 12, 31))

    # -- runs ------------------------------------------------------------------------------------
    def approve(self, run_id: int):
        """Approved by a second person (RULES.md "Paying providers"), one per scenario: creating a staff
        user hashes a password (0.7 s a user measured here), so it is not done for every run."""
        from tests.factories import make_staff

        if self.approver is None:  # run_id None: only make the approver
            self.approver = make_staff(all_regions=True, perms=["budgets.approve_settlement",
                                                                "budgets.approve_assessment"])
        if run_id is None:
            return None
        self.w.client.force_authenticate(self.approver)
        try:
            return self.w.client.post(f"/api/v1/settlement-runs/{run_id}/approve/")
        finally:
            self.w.client.force_authenticate(self.admin)

    def compare_lines(self, what: str, lines: dict, expected: dict[str, dict], fields: tuple[str, ...]) -> None:
        codes = set(expected) | {self.symbol[c] for c in lines if c in self.symbol}
        for sym in sorted(codes):
            line = lines.get(self.code[sym], {})
            want = expected.get(sym)
            for name in fields:
                if want is None:
                    zero = 0 if name in ("members", "visits") else "0.00"
                    # a line the model has no reason for may still show a deduction carried
                    if name in line and name not in ("band", "deductions_carried") and line[name] != zero:
                        self.check(f"{what} {sym} {name}", line[name], zero)
                    continue
                value = want[name]
                shown = value if isinstance(value, (int, str)) else f"{value:.2f}"
                self.check(f"{what} {sym} {name}", line.get(name), shown)
            if line and "deductions" not in fields:
                self.check(f"{what} {sym} deductions", line.get("deductions"), "0.00")

    def deduct(self) -> dict[str, Decimal]:
        """An approved deduction 扣款 entered by staff (no REST path in CONTRACT.md: the budgets service)."""
        if self.s.deduction is None:
            return {}
        from budgets.assessments import deduction_approve, deduction_enter
        from providers.models import Provider

        sym, amount = self.s.deduction
        self.approve(None)
        entered = deduction_enter(provider=Provider.objects.get(fixmedins_code=self.code[sym]), year=YEAR,
                                  kind="assessment", amount=amount, reason="考核不达标", document_no="医保〔2024〕1号",
                                  by=self.admin)
        deduction_approve(deduction=entered, by=self.approver)
        return {sym: amount}

    def deducted(self, expected: dict[str, dict], outstanding: dict[str, Decimal], field: str) -> dict[str, Decimal]:
        """Takes the outstanding deductions off the expected lines; returns what each line took."""
        taken = {}
        for sym, line in expected.items():
            take = model.take_deduction(outstanding.get(sym, Decimal("0.00")), line[field])
            line[field] -= take
            line["deductions"] = take
            line["deductions_carried"] = outstanding.get(sym, Decimal("0.00")) - take
            taken[sym] = take
        return taken

    def settle(self) -> None:
        monthly = model.nanchang_monthly if self.nanchang else model.heyuan_monthly
        outstanding = self.deduct()
        fields = ("deductions", "deductions_carried") if outstanding else ()
        prepaid: dict[str, Decimal] = {}
        for month in self.s.months:
            body = run(self.w.client, self.region, "monthly", f"{YEAR}-{month:02d}")
            expected = monthly(self.s.members, self.actual(YEAR, month), YEAR, month)
            before = {sym: line["paid"] for sym, line in expected.items()}
            taken = self.deducted(expected, outstanding, "paid")
            self.compare_lines(f"monthly {month}", run_lines(self.w.client, body["id"]), expected,
                               ("members", "quota", "actual", "paid", *fields))
            if self.s.approve[month]:
                assert self.approve(body["id"]).status_code == 200
                for sym in expected:
                    # Reading (model): the year's prepayments are the monthly payments before deductions,
                    # else the year end would pay a deduction back (R168, R212, R297)
                    prepaid[sym] = prepaid.get(sym, Decimal("0.00")) + before[sym]
                    outstanding[sym] = outstanding.get(sym, Decimal("0.00")) - taken[sym]
        year_end = model.nanchang_year_end if self.nanchang else model.heyuan_year_end
        body = run(self.w.client, self.region, "year_end", str(YEAR))
        expected = year_end(self.s.members, self.actual(YEAR), prepaid, YEAR)
        self.deducted(expected, outstanding, "balance_due")
        self.compare_lines("year_end", run_lines(self.w.client, body["id"]), expected,
                           ("members", "budget", "actual", "determined", "band", "prepaid", "balance_due", *fields))
        # the year before (members first signed in 2023: the first-year rules with 2023 ages) and January
        # after (annual re-selections in effect, 2025 ages), both drafts without deductions taken before
        body = run(self.w.client, self.region, "year_end", str(YEAR - 1))
        expected = year_end(self.s.members, {}, {}, YEAR - 1)
        self.deducted(expected, outstanding, "balance_due")
        self.compare_lines("year_end 2023", run_lines(self.w.client, body["id"]), expected,
                           ("members", "budget", "actual", "determined", "band", "prepaid", "balance_due", *fields))
        body = run(self.w.client, self.region, "monthly", f"{YEAR + 1}-01")
        expected = monthly(self.s.members, self.actual(YEAR + 1, 1), YEAR + 1, 1)
        self.deducted(expected, outstanding, "paid")
        self.compare_lines("monthly 2025-01", run_lines(self.w.client, body["id"]), expected,
                           ("members", "quota", "actual", "paid", *fields))
        if not self.nanchang:
            for month in sorted({day.month for day, *_ in self.ffs if day.year == YEAR}):
                body = run(self.w.client, self.region, "fee_for_service", f"{YEAR}-{month:02d}")
                expected: dict[str, dict] = {}
                for day, sym, fund, fee in self.ffs:
                    if (day.year, day.month) == (YEAR, month):
                        line = expected.setdefault(sym, {"visits": 0, "medfee_sumamt": Decimal(0),
                                                         "actual": Decimal(0), "paid": Decimal(0)})
                        line["visits"] += 1
                        line["medfee_sumamt"] += fee
                        line["actual"] += fund
                        line["paid"] += fund
                # the year-end and these runs are drafts: each takes what approved runs left (R297–R298)
                self.deducted(expected, outstanding, "paid")
                self.compare_lines(f"fee_for_service {month}", run_lines(self.w.client, body["id"]), expected,
                                   ("visits", "medfee_sumamt", "actual", "paid", *fields))

    def accumulators(self) -> None:
        for member in self.s.members:
            for year in (YEAR - 1, YEAR, YEAR + 1) if not self.nanchang else (YEAR, YEAR + 1):
                ytd = self.w.accumulators(self.certno[member.key], year)
                fund = self.fund_paid.get((member.key, year), Decimal("0.00"))
                self.check(f"accumulators {member.key} {year} fund_paid", ytd["fund_paid"], f"{fund:.2f}")
                if not self.nanchang:
                    cap = model.heyuan_annual_cap(member, year)
                    self.check(f"accumulators {member.key} {year} cap", (ytd["annual_cap"], ytd["cap_left"]),
                               (f"{cap:.2f}", f"{max(cap - fund, Decimal(0)):.2f}"))
