"""python manage.py run_settlement --admdvs 360100 --kind monthly --period 2024-03 [--split]
python manage.py run_settlement --admdvs 411300 --kind fee_for_service --period 2024-03"""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from budgets.services import settlement_run_compute
from budgets.tasks import settlement_split_signature


class Command(BaseCommand):
    help = "Compute (or recompute, while draft) a settlement run — the same service as the API."

    def add_arguments(self, parser):
        parser.add_argument("--admdvs", required=True)
        parser.add_argument("--kind", required=True, choices=["monthly", "year_end", "fee_for_service"])
        parser.add_argument("--period", required=True, help="YYYY-MM (monthly) or YYYY (year_end)")
        parser.add_argument("--split", action="store_true", help="split by district over the Celery workers")

    def handle(self, *args, admdvs, kind, period, split, **options):
        try:
            if split and kind != "fee_for_service":     # one aggregate statement: nothing to split
                run_id = settlement_split_signature(admdvs, kind, period).apply_async().get(timeout=3600)
                from budgets.models import SettlementRun

                run = SettlementRun.objects.get(pk=run_id)
            else:
                run = settlement_run_compute(admdvs=admdvs, kind=kind, period=period)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"run {run.pk} {run.admdvs_id} {run.kind} {run.period} {run.status} {run.totals}")
