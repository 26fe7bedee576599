from django.core.management.base import BaseCommand

from supervision.tallies import tallies_rebuild


class Command(BaseCommand):
    help = ("从全部结算记录重建监测计数表 (supervision.tallies)：用 COPY 等绕过结算写入器导入结算后执行；"
            "重建期间结算写入等待")

    def handle(self, *args, **options):
        counts = tallies_rebuild()
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
