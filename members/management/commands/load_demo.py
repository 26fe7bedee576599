"""``python manage.py load_demo [--scale N]``: the demo data of members/demo.py (thin wrapper)."""
from django.core.management.base import BaseCommand

from members import demo


class Command(BaseCommand):
    help = "载入五个统筹区的演示数据（可重复执行）；--scale N 为每个统筹区追加 N 名参保人用于性能测试"

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="每个统筹区追加的参保人数（批量写入）")
        parser.add_argument("--batch-size", type=int, default=50_000)

    def handle(self, *args, scale: int, batch_size: int, **options):
        report = demo.load_demo()
        self.stdout.write("演示数据 / demo data: " + (", ".join(f"{k} +{v}" for k, v in report.created.items())
                                                      or "nothing new"))
        if scale > 0:
            added = demo.load_scale(per_region=scale, batch_size=batch_size,
                                    progress=lambda admdvs, n: self.stderr.write(f"  {admdvs}: {n:,}"))
            self.stdout.write("批量参保人 / bulk members: " + ", ".join(f"{k} +{v:,}" for k, v in added.items()))
