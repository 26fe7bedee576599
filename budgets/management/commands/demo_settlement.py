"""python manage.py demo_settlement — the README demo's settlement step (after ``load_demo``).

For last month (Asia/Shanghai), through the services only:
1. demo visits posted through the claims service (``claims.services.claim_settle``) at each demo
   member's signed/selected provider of Nanchang and Heyuan, so much that the providers' usage of
   their monthly capitation falls in realistic bands: a third of them below 80 % of it, a third
   between 80 % and 90 %, a third above 90 % (the dashboard's 80 %/90 % lines then mean something);
2. last month's monthly run of both regions (``settlement_run_compute``; a scheduled-style run with
   no computing person, so the demo's ``admin`` or ``approver`` may approve it);
3. last month's personal-account credit of the employee-scheme regions (``accounts`` monthly run);
4. last month's supervision indicators and warnings of every region (``supervision_period_run``).
Idempotent: the visits carry idempotency keys, an approved run is shown as it is, a month already
credited is reported as such, and indicators are recomputed in place.
"""
from __future__ import annotations

from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.core.management.base import BaseCommand

from budgets.services import capitation_regions, settlement_run_compute
from budgets.tasks import previous_month
from members.models import Member
from members.selectors import member_provider_for_month

# Usage of the month's capitation aimed at, provider by provider in code order: below the 80 % line,
# between 80 % and 90 %, above 90 % (also above Heyuan's 100 %).
USAGE_TARGETS = (Decimal("0.70"), Decimal("0.85"), Decimal("1.08"))
MAX_VISITS_PER_PROVIDER = 40
CENT = Decimal("0.01")


class Command(BaseCommand):
    help = "Post demo visits for last month, run the monthly settlement, credit accounts, compute indicators."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM (default: last month in Asia/Shanghai)")

    def handle(self, *args, period=None, **options):
        period = period or previous_month()
        year, month = (int(x) for x in period.split("-"))
        posted = 0
        for admdvs in capitation_regions():
            # The run's quotas depend on who is signed, not on the visits: computed first, they say
            # how much each provider's visits should cost the fund for its usage band.
            run = settlement_run_compute(admdvs=admdvs, kind="monthly", period=period)
            if run.is_approved:
                continue
            quotas = dict(run.lines.values_list("provider_id", "quota"))
            members_by_provider: dict[int, list] = {}
            for member in Member.objects.filter(admdvs_id=admdvs, status="active").order_by("id"):
                provider = member_provider_for_month(member=member, year=year, month=month)
                if provider is not None and quotas.get(provider.pk):
                    members_by_provider.setdefault(provider.pk, [provider, []])[1].append(member)
            for index, (provider_id, (provider, members)) in enumerate(sorted(members_by_provider.items(),
                                                                              key=lambda kv: kv[1][0].fixmedins_code)):
                target = (quotas[provider_id] * USAGE_TARGETS[index % len(USAGE_TARGETS)]).quantize(CENT)
                posted += self._visits_to(target, provider, members, year, month, period)
        self.stdout.write(f"demo visits posted for {period}: {posted}")
        self._runs(period)
        self._credits(period)
        self._indicators(year, month)

    def _runs(self, period: str) -> None:
        header = f"{'region':8} {'provider':14} {'members':>7} {'quota':>10} {'actual':>10} {'paid':>10} {'usage':>6}"
        self.stdout.write(header)
        for admdvs in capitation_regions():
            run = settlement_run_compute(admdvs=admdvs, kind="monthly", period=period)
            for line in run.lines.select_related("provider").order_by("provider__fixmedins_code"):
                usage = f"{line.actual / line.quota:.0%}" if line.quota else "—"
                self.stdout.write(f"{admdvs:8} {line.provider.fixmedins_code:14} {line.members:>7} "
                                  f"{line.quota:>10} {line.actual:>10} {line.paid:>10} {usage:>6}")
            t = run.totals
            self.stdout.write(f"{admdvs:8} {'合计 total':14} {t['members']:>7} {t.get('quota', ''):>10} "
                              f"{t.get('actual', ''):>10} {t.get('paid', ''):>10}   run {run.pk} {run.status}")

    def _credits(self, period: str) -> None:
        from accounts.tasks import credit_region_month
        from policy.models import Region

        for admdvs in Region.objects.filter(insutype="310").order_by("admdvs").values_list("admdvs", flat=True):
            result = credit_region_month(admdvs, period)
            if "run" in result:
                self.stdout.write(f"个人账户划入 / account credit {admdvs} {period}: {result['amount']} "
                                  f"(在职 {result['employed']}, 退休 {result['retired']})")
            else:
                self.stdout.write(f"个人账户划入 / account credit {admdvs} {period}: {'; '.join(result['refused'])}")

    def _indicators(self, year: int, month: int) -> None:
        from datetime import date

        from policy.models import Region
        from supervision.services import supervision_period_run

        for admdvs in Region.objects.order_by("admdvs").values_list("admdvs", flat=True):
            result = supervision_period_run(admdvs=admdvs, period=date(year, month, 1))
            opened = result["warnings"].get("opened", 0) if isinstance(result["warnings"], dict) else result["warnings"]
            self.stdout.write(f"监测指标 / indicators {admdvs} {result['period']}: {result['indicators']} 家机构, "
                              f"新预警 {opened}")

    def _visits_to(self, target: Decimal, provider, members: list, year: int, month: int, period: str) -> int:
        """Visits at ``provider`` by its members, one after another, until the fund has paid about
        ``target``: each visit's cost is what is left to reach it at the ratio the last visit got."""
        from claims.requests import SHANGHAI, ClaimRequest
        from claims.services import claim_settle

        fund, ratio, created_count = Decimal("0.00"), Decimal("0.60"), 0
        for n in range(MAX_VISITS_PER_PROVIDER):
            if fund >= target - Decimal("0.50"):
                break
            member = members[n % len(members)]
            amount = min(max((target - fund) / ratio, Decimal("2")), Decimal("150")).quantize(CENT, ROUND_HALF_UP)
            day = min(2 + 3 * (n // len(members)), 28)
            request = ClaimRequest(
                admdvs=member.admdvs_id, certno=member.certno, fixmedins_code=provider.fixmedins_code,
                visit_at=datetime.combine(datetime(year, month, day).date(), time(9, 30), tzinfo=SHANGHAI),
                medfee_sumamt=amount, inscp_scp_amt=amount,
                idempotency_key=f"demo-band-{period}-{provider.fixmedins_code}-{n}")
            claim, created = claim_settle(request=request, by=None)
            created_count += created
            if claim.hifp_pay > 0:
                ratio = max(claim.hifp_pay / claim.medfee_sumamt, Decimal("0.05"))
            fund += claim.hifp_pay
        return created_count
