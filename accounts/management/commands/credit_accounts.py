"""python manage.py credit_accounts --admdvs 411300 --period 2024-03"""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import account_credit_month


class Command(BaseCommand):
    help = "Credit the personal accounts of one region for one month (idempotent: re-runs credit only what is missing)."

    def add_arguments(self, parser):
        parser.add_argument("--admdvs", required=True)
        parser.add_argument("--period", required=True, help="YYYY-MM")

    def handle(self, *args, admdvs, period, **options):
        try:
            run = account_credit_month(admdvs=admdvs, period=period, by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {', '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(f"run {run.pk} {admdvs} {run.period:%Y-%m}: employed {run.employed_count} "
                          f"{run.employed_amount}, retired {run.retired_count} {run.retired_amount}, "
                          f"already credited {run.skipped_count}")
        for item in run.refused:
            self.stderr.write(f"REFUSED: {item['message']}")
