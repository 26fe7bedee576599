"""python manage.py demo_settlement — the README demo's settlement step.

Posts a few demo visits dated last month (Asia/Shanghai) through the claims service
(``claims.services.claim_settle``) for the existing demo members of Nanchang and Heyuan at their
signed/selected provider, then runs last month's monthly settlement for both regions through
``budgets.services.settlement_run_compute`` and prints a short table. Idempotent: the visits carry
idempotency keys, and a run that is already approved is shown as it is.
"""
from datetime import datetime, time
from decimal import Decimal

from django.core.management.base import BaseCommand

from budgets.services import capitation_regions, settlement_run_compute
from budgets.tasks import previous_month
from members.models import Member
from members.selectors import member_provider_for_month

VISITS_PER_MEMBER = 2


class Command(BaseCommand):
    help = "Post demo visits for last month through the claims service and run the monthly settlement."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM (default: last month in Asia/Shanghai)")

    def handle(self, *args, period=None, **options):
        period = period or previous_month()
        year, month = (int(x) for x in period.split("-"))
        posted = 0
        for admdvs in capitation_regions():
            members = Member.objects.filter(admdvs_id=admdvs, status="active").order_by("id")[:40]
            for index, member in enumerate(members):
                provider = member_provider_for_month(member=member, year=year, month=month)
                if provider is not None:
                    posted += self._visits(member, provider.fixmedins_code, year, month, period, index)
        self.stdout.write(f"demo visits posted for {period}: {posted}")
        header = f"{'region':8} {'provider':14} {'members':>7} {'quota':>10} {'actual':>10} {'paid':>10}"
        self.stdout.write(header)
        for admdvs in capitation_regions():
            run = settlement_run_compute(admdvs=admdvs, kind="monthly", period=period)
            for line in run.lines.select_related("provider").order_by("provider__fixmedins_code"):
                self.stdout.write(f"{admdvs:8} {line.provider.fixmedins_code:14} {line.members:>7} "
                                  f"{line.quota:>10} {line.actual:>10} {line.paid:>10}")
            t = run.totals
            self.stdout.write(f"{admdvs:8} {'合计 total':14} {t['members']:>7} {t.get('quota', ''):>10} "
                              f"{t.get('actual', ''):>10} {t.get('paid', ''):>10}   run {run.pk} {run.status}")

    def _visits(self, member, provider_code, year, month, period, index) -> int:
        from claims.requests import SHANGHAI, ClaimRequest
        from claims.services import claim_settle

        created_count = 0
        for k in range(VISITS_PER_MEMBER):
            amount = Decimal(40 + 15 * ((index + k) % 5)).quantize(Decimal("0.01"))
            request = ClaimRequest(
                admdvs=member.admdvs_id, certno=member.certno, fixmedins_code=provider_code,
                visit_at=datetime.combine(datetime(year, month, 3 + 9 * k + index % 7).date(), time(9, 30),
                                          tzinfo=SHANGHAI),
                medfee_sumamt=amount, inscp_scp_amt=amount,
                idempotency_key=f"demo-{period}-{member.admdvs_id}-{member.pk}-{k}")
            _claim, created = claim_settle(request=request, by=None)
            created_count += created
        return created_count
