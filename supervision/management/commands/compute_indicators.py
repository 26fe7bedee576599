from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from policy.models import Region
from supervision.periods import period_parse
from supervision.services import supervision_period_run


class Command(BaseCommand):
    help = "计算机构月度监测指标并生成预警: --admdvs 360100 --period 2024-03 (可重复执行)"

    def add_arguments(self, parser):
        parser.add_argument("--admdvs", required=True, help="统筹区编码，或 all")
        parser.add_argument("--period", required=True, help="YYYY-MM")

    def handle(self, *args, admdvs, period, **options):
        try:
            month = period_parse(period)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        regions = (list(Region.objects.values_list("admdvs", flat=True)) if admdvs == "all" else [admdvs])
        for code in regions:
            if not Region.objects.filter(admdvs=code).exists():
                raise CommandError(f"未知统筹区 {code}")
            result = supervision_period_run(admdvs=code, period=month)
            self.stdout.write(f"{code} {period}: {result['indicators']} 家机构指标, 预警 {result['warnings']}")
