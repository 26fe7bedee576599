"""A differential check of out-of-area care 异地就医 in the five regions from outside: seeded random
scenarios (a member with 0–3 registration requests of every kind, some refused, cancellations on and
around visit days, sign-ups in Nanchang and Heyuan — out of the city in Heyuan —, visits at home, in
the destination, elsewhere, at pharmacies filling out-of-area prescriptions, emergencies, amounts near
the caps, reversals, a sent ``out_of_area`` right or wrong) are posted through the REST API of
CONTRACT.md and every answer is compared, to the fen, with the independent model in
``model_out_of_area.py``."""
from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.contract import model_out_of_area as m
from tests.contract.model_employee import SHANGHAI

pytestmark = pytest.mark.django_db
GUANGZHOU, SHENZHEN = "440100", "440300"
FIELDS = ("status", "reason", "act_pay_dedc", "pool_prop_selfpay", "hifp_pay", "psn_part_amt", "out_of_area")
# 20 seeds a region in the suite (about 5 s a region), so CI stays well inside its 20 minutes; seeds
# 0-29, 100-629, 1000-1029, 2000-2029 and 3000-3029 all passed when the check was written (OOA_SEED0 runs others).
SEEDS = 20
SEED0 = int(os.environ.get("OOA_SEED0", "0"))     # another seed range to explore: OOA_SEED0=1000
DEBUG = False
URL = "/api/v1/out-of-area-registrations/"
EMPLOYEE = (m.NANYANG, m.ZIBO, m.GANZHOU)


def day(d: date) -> str:
    return d.isoformat()


class Scenario:
    def __init__(self, w, region: str, seed: int):
        self.w, self.region, self.seed = w, region, seed
        self.rng = rng = random.Random(seed * 7919 + int(region))
        self.errors: list[str] = []
        self.regs: list[m.Reg] = []
        self.reg_ids: list[int] = []
        self.places: dict[str, m.Place] = {}
        if region in EMPLOYEE:
            retired = rng.random() < 0.3
            self.certno = w.member(psn_type="1201" if retired else "1101",
                                   retired_on="2015-03-10" if retired else None)
            member = m.Member(region, date(2015, 3, 10) if retired else None)
            member.registrations = self.regs
            self.model = m.EmployeeModel(member)
        else:
            birth = date(rng.randint(1935, 2019), rng.randint(1, 12), rng.randint(1, 28))
            retired = region == m.HEYUAN and birth.year < 1965 and rng.random() < 0.5
            poverty = region == m.NANCHANG and rng.random() < 0.3
            psn_type = "1201" if retired else None
            self.certno = w.member(birth=birth, poverty=poverty, psn_type=psn_type,
                                   retired_on="2015-03-10" if retired else None,
                                   enrolled_on=day(max(birth, date(2015, 1, 1))))
            self.cap_member = m.CapMember(region, birth, retired, poverty, registrations=self.regs)
            self.model = m.CapitationModel(self.cap_member)
        self.home = self.place(region, "1", "township")
        self.home2 = self.place(region, rng.choice("23"), "hospital")
        self.home_village = self.place(region, "1", "village", parent=self.home.code)
        self.gz_centre = self.place(GUANGZHOU, rng.choice("19"), rng.choice(["township", "community"]))
        self.gz_village = self.place(GUANGZHOU, "1", "village", parent=self.gz_centre.code)
        self.gz_hosp = self.place(GUANGZHOU, rng.choice("23"), "hospital")
        self.gz_shop = self.place(GUANGZHOU, "1", "pharmacy")
        self.sz_hosp = self.place(SHENZHEN, rng.choice("123"), rng.choice(["hospital", "community"]))
        self.home_shop = self.place(region, "1", "pharmacy")
        self.tcm = self.place(region, "2", "county_tcm") if region == m.NANCHANG else None
        # a hospital in another of the five regions: out of area for this member too (R233)
        self.other = self.place(m.ZIBO if region != m.ZIBO else m.NANYANG, "2", "hospital")

    def place(self, admdvs, level, kind, parent=None) -> m.Place:
        code = self.w.provider(level=level, kind=kind, admdvs=admdvs, parent=parent)
        self.places[code] = m.Place(code, level, kind, admdvs, parent)
        return self.places[code]

    def log(self, line: str) -> None:
        if DEBUG:
            print(f"seed {self.seed} {self.region}: {line}")

    def check(self, what: str, got, want) -> None:
        if got != want:
            self.errors.append(f"seed {self.seed} {self.region} {what}: product {got!r} model {want!r}")

    # -- registrations -------------------------------------------------------------------------------

    def registrations(self) -> None:
        for _ in range(self.rng.randint(0, 3)):
            self.register()

    def register(self, near: date | None = None) -> None:
        rng = self.rng
        kind = rng.choice(["resettled", "long_term", "temporary", "abroad"] if rng.random() < 0.4 else
                          sorted(m.KINDS.get(self.region, {"resettled", "long_term", "temporary"})))
        dest = rng.choice([GUANGZHOU, GUANGZHOU, SHENZHEN, self.other.admdvs] + (
            [self.region, "440103", "440000", "4401"] if rng.random() < 0.2 else []))
        start = near or date(2023, 6, 1) + timedelta(days=rng.randint(0, 480))
        if not self.regs and self.region in (m.NANCHANG, m.HEYUAN) and rng.random() < 0.75:
            # most capitation members get a long registration to Guangzhou whose benefit reaches 2024
            kind = rng.choice(sorted(m.KINDS[self.region]))
            dest, start = GUANGZHOU, date(2022, 6, 1) + timedelta(days=rng.randint(0, 640))
        if self.regs and self.regs[-1].end and rng.random() < 0.4:
            start = self.regs[-1].end + timedelta(days=rng.choice([0, 1]))       # adjacent: refused / accepted
        end = None
        if kind == "temporary" or rng.random() < 0.4:
            end = start + timedelta(days=rng.randint(0, 150))
        if kind == "temporary" and rng.random() < 0.1:
            end = None
        refused = m.register(self.region, self.regs, kind, dest, start, end)
        response = self.w.register(self.certno, kind=kind, dest=dest, start_on=day(start),
                                   end_on=end and day(end))
        what = f"register {kind} {dest} {start}..{end}"
        self.log(f"{what} -> {response.status_code}")
        self.check(what, response.status_code, 400 if refused else 201)
        if refused and refused != {"overlap"} and response.status_code == 400:
            self.check(what + " field", bool(refused & set(response.json())), True)
        if response.status_code == 201 and not refused:
            body = response.json()
            self.check(what + " echo", (body["kind"], body["dest_admdvs"], body["start_on"], body["end_on"],
                                        body["cancelled_on"]), (kind, dest, day(start), end and day(end), None))
            self.regs.append(m.Reg(kind, dest, start, end))
            self.reg_ids.append(body["id"])

    def listed(self) -> None:
        """GET ?admdvs=&certno= lists the member's registrations as the model holds them."""
        response = self.w.client.get(URL, {"admdvs": self.region, "certno": self.certno})
        rows = response.json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        got = sorted((r["id"], r["kind"], r["dest_admdvs"], r["start_on"], r["end_on"], r["cancelled_on"])
                     for r in rows)
        want = sorted((i, r.kind, r.dest, day(r.start), r.end and day(r.end), r.cancelled_on and day(r.cancelled_on))
                      for i, r in zip(self.reg_ids, self.regs))
        self.check("listed registrations", got, want)
        if self.reg_ids:
            reg, one = self.regs[-1], self.w.client.get(f"{URL}{self.reg_ids[-1]}/").json()
            self.check("read one", (one["end_on"], one["cancelled_on"]),
                       (reg.end and day(reg.end), reg.cancelled_on and day(reg.cancelled_on)))

    def cancel(self, near: date) -> None:
        if not self.regs:
            return
        i = self.rng.randrange(len(self.regs))
        reg = self.regs[i]
        when = self.rng.choice([near, near - timedelta(days=1), near + timedelta(days=1), reg.start,
                                reg.start - timedelta(days=1)])
        before = (reg.end, reg.cancelled_on)
        want = m.cancel(reg, when)
        response = self.w.client.post(f"{URL}{self.reg_ids[i]}/cancel/", {"cancelled_on": day(when)}, format="json")
        what = f"cancel reg{i} ({reg.start}..{before[0]}) on {when}"
        self.log(f"{what} -> {response.status_code}")
        self.check(what, response.status_code, want)
        if want == 200 and response.status_code == 200:
            self.check(what + " end", (response.json()["end_on"], response.json()["cancelled_on"]),
                       (day(when), day(when)))
        if response.status_code != 200 and want == 200:
            reg.end, reg.cancelled_on = before      # keep the model with the product to see further figures

    # -- sign-ups (Nanchang, Heyuan) ------------------------------------------------------------------

    def signups(self) -> None:
        rng, member = self.rng, self.cap_member
        if self.region == m.NANCHANG:
            fd = rng.random() < 0.4
            assert self.w.signup(self.certno, self.home.code, applied_on="2023-02-01", family_doctor=fd
                                 ).status_code == 201
            member.signups.append(m.SignUp(self.home, date(2023, 2, 1), fd))
            return
        plan = rng.choice(["home", "away_first", "away_first", "home_then_away", "home_then_away", "annual", "none"])
        if plan == "none":
            return
        first_day = rng.choice([date(2023, 3, 1), date(2024, 1, 2) + timedelta(days=rng.randint(0, 150))])
        away = rng.choice([self.gz_hosp, self.gz_centre, self.gz_hosp, self.gz_centre, self.gz_shop, self.sz_hosp])
        if plan == "away_first" and self.regs and rng.random() < 0.8:
            first_day = self.regs[0].start + timedelta(days=rng.randint(0, 60))   # inside the registration
        first = away if plan == "away_first" else self.home
        if plan == "annual":
            first_day = date(2023, 3, 1)
        self.signup(first, first_day, "first", first_day)
        if plan == "annual":    # re-selection in the window (R177-R178), effective 1 January
            self.signup(rng.choice([away, self.home2]), date(2023, rng.randint(8, 12), 20), "annual", date(2024, 1, 1))
        if plan == "home_then_away" and member.signups:
            applied = first_day + timedelta(days=rng.randint(10, 200))
            self.signup(away, applied, "address_change", date(applied.year + applied.month // 12,
                                                             applied.month % 12 + 1, 1))

    def signup(self, place: m.Place, applied: date, reason: str, effective: date) -> None:
        member = self.cap_member
        ok = True
        if reason in ("address_change", "annual"):
            current = member.signup_on(applied)
            ok = current is not None and member.signup_on(effective).provider.code != place.code
            if reason == "annual":
                ok = ok and applied.month >= 9                                  # R177-R178: September-December
        if place.admdvs != self.region:
            # R198-R200, R260-R264: a long-term registration in force on the effective day, in its
            # destination, not a pharmacy
            ok = ok and place.kind != "pharmacy" and any(
                r.kind in ("long_term", "resettled") and r.dest == place.admdvs and r.in_force(effective)
                for r in self.regs)
        response = self.w.signup(self.certno, place.code, applied_on=day(applied), reason=reason)
        self.log(f"signup {reason} {place.code} {place.admdvs}/{place.kind} {applied} -> {response.status_code}")
        self.check(f"signup {reason} {place.admdvs}/{place.kind} on {applied}", response.status_code,
                   201 if ok else 400)
        if response.status_code == 201:
            self.check("effective_from", response.json()["effective_from"], day(effective))
            if ok:
                member.signups.append(m.SignUp(place, effective))

    # -- visits ----------------------------------------------------------------------------------------

    def amount(self) -> Decimal:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return Decimal(rng.choice(["85.71", "85.72", "200.00", "272.73", "100.00", "50.00", "30.00",
                                       "500.00", "600.00", "700.00", "1000.00"]))
        if roll < 0.4:
            return Decimal(rng.choice(["3000.00", "2727.27", "5000.00"]))
        return Decimal(rng.randint(100, 60000)) / 100

    def visit_place(self, d: date):
        rng = self.rng
        in_force = [r for r in self.regs if r.in_force(d)]
        if in_force and rng.random() < 0.4:     # in the destination of the registration in force
            dest = in_force[0].dest
            return rng.choice([p for p in self.places.values() if p.admdvs == dest])
        choices = [self.home, self.home, self.home2, self.home_village, self.gz_centre, self.gz_village,
                   self.gz_hosp, self.gz_hosp, self.sz_hosp, self.gz_shop, self.home_shop, self.other]
        if self.tcm:
            choices.append(self.tcm)
        if self.region in (m.NANCHANG, m.HEYUAN):
            choices += [self.gz_centre, self.gz_village, self.gz_hosp]
        return rng.choice(choices)

    def run(self) -> None:
        rng = self.rng
        self.registrations()
        if self.region in (m.NANCHANG, m.HEYUAN):
            self.signups()
        start = datetime(2024, 1, 1, 8, tzinfo=SHANGHAI)
        times = sorted(start + timedelta(days=rng.randint(0, 420), hours=rng.randint(0, 15),
                                         minutes=rng.choice((0, 59))) for _ in range(rng.randint(6, 12)))
        if self.region not in (m.NANCHANG, m.ZIBO):
            times = [t for t in times if t.year == 2024]
        if self.regs:            # visits on and around the registrations' first and last days
            reg = rng.choice(self.regs)
            for d in (reg.start, reg.end or reg.start, (reg.end or reg.start) + timedelta(days=1)):
                if date(2024, 1, 1) <= d <= date(2024, 12, 31):
                    times.append(datetime(d.year, d.month, d.day, 10, tzinfo=SHANGHAI))
            times.sort()
        settled: list[tuple[int, str]] = []
        for at in times:
            if rng.random() < 0.15:
                self.cancel(at.date())
            if rng.random() < 0.06:
                self.register(near=at.date() - timedelta(days=rng.randint(0, 3)))
            self.visit(at, settled)
            if settled and rng.random() < 0.12:
                index, setl_id = settled.pop(rng.randrange(len(settled)))
                want = self.model.reverse(index)
                response = self.w.client.post(f"/api/v1/claims/{setl_id}/reverse/")
                self.check(f"reverse {setl_id}", response.status_code, 201)
                if response.status_code == 201:
                    got = response.json()
                    self.check(f"reverse {setl_id} amounts", (got["hifp_pay"], got["psn_part_amt"]),
                               (f"{want.hifp_pay:.2f}", f"{want.psn_part_amt:.2f}"))
        self.listed()
        for year in sorted({t.year for t in times}):
            ytd = self.w.accumulators(self.certno, year)
            if self.region in EMPLOYEE:
                self.check(f"{year} fund_paid", ytd["fund_paid"], f"{self.model.fund_paid(year):.2f}")
            else:
                fund = self.model.fund_paid(year)
                cap = self.model.annual_cap(year)
                self.check(f"{year} fund_paid", ytd["fund_paid"], f"{fund:.2f}")
                self.check(f"{year} annual_cap", ytd["annual_cap"], cap if cap is None else f"{cap:.2f}")

    def visit(self, at: datetime, settled: list) -> None:
        rng, region = self.rng, self.region
        place = self.visit_place(at.date())
        inscp = self.amount()
        own = Decimal(rng.choice(["0.00", "0.00", "12.30"]))
        extra: dict = {}
        prescriber = None
        if region in EMPLOYEE and place.kind == "pharmacy" and rng.random() < 0.8:
            prescriber = rng.choice([self.home, self.home2, self.gz_hosp, self.sz_hosp])
            extra["prescribing_fixmedins_code"] = prescriber.code
        # emergency and referral are sent in every region: only Heyuan (R181-R183, R245) and a Nanchang
        # referral to the county TCM hospital (R133) read them
        emergency = rng.random() < (0.3 if region == m.HEYUAN else 0.1)
        referral = rng.random() < (0.7 if place.kind == "county_tcm" else 0.1)
        if emergency:
            extra["emergency"] = True
        if referral:
            extra["referral"] = True
        if region == m.NANYANG and rng.random() < 0.1:
            extra["channel"] = "manual"
        d = at.date()
        derived = m.derive(region, self.regs, place.admdvs, d)
        bad_rx = prescriber is not None and prescriber.admdvs != region and not any(
            r.in_force(d) and r.dest == prescriber.admdvs for r in self.regs)      # R271-R272
        wrong = None
        roll = rng.random()
        if roll < 0.2:
            extra["out_of_area"] = derived
        elif roll < 0.3 and not bad_rx:    # one fault at a time: CONTRACT.md names no order among them
            wrong = rng.choice([v for v in ("none", "long_term", "temporary", "unregistered", "resettled")
                                if v != derived])
            extra["out_of_area"] = wrong
        what = f"visit {at:%Y-%m-%d %H:%M} {place.admdvs}/{place.kind}/L{place.level} {inscp} {extra}"
        sent_at = at.astimezone(UTC) if rng.random() < 0.3 else at      # the visit day is Shanghai's
        response = self.w.claim_response(self.certno, place.code, sent_at.isoformat(), f"{inscp:.2f}",
                                         own=f"{own:.2f}", **extra)
        if bad_rx or wrong:
            field = "prescribing_fixmedins_code" if bad_rx else "out_of_area"
            self.check(what, response.status_code, 400)
            if response.status_code == 400:
                self.check(what + " field", field in response.json(), True)
            return
        self.check(what + " status code", response.status_code, 201)
        if response.status_code != 201:
            return
        got = response.json()
        self.log(f"{what} -> {got['out_of_area']} {got['status']} {got['reason']} {got['hifp_pay']}")
        if region in EMPLOYEE:
            provider = m.Provider(place.code, place.level, place.kind, place.admdvs)
            rx = prescriber and m.Provider(prescriber.code, prescriber.level, prescriber.kind, prescriber.admdvs)
            want = self.model.claim(m.Visit(provider, at, inscp, own, channel=extra.get("channel", "direct"),
                                            prescriber=rx))
        else:
            want = self.model.claim(place, at, inscp, own, emergency=emergency, referral=referral)
        index = len(self.model.claims) - 1
        answer = want.answer()
        for name in FIELDS:
            self.check(f"{what} {name}", got[name], answer[name])
        if region not in EMPLOYEE and want.status == "settled":
            self.check(f"{what} charged", got.get("charged_fixmedins_code"), self.model.charged(index))
        if want.status == "settled" and got["status"] == "settled":
            settled.append((index, got["setl_id"]))


@pytest.mark.parametrize("region", [m.NANYANG, m.ZIBO, m.GANZHOU, m.NANCHANG, m.HEYUAN])
def test_out_of_area_scenarios_match_the_model(world, region):
    errors = []
    for seed in range(SEED0, SEED0 + SEEDS):
        scenario = Scenario(world(region), region, seed)
        scenario.run()
        errors += scenario.errors
    assert not errors, "\n".join(errors[:60]) + f"\n({len(errors)} mismatches)"
