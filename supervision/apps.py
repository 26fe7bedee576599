from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "基金监测预警"

    def ready(self) -> None:
        post_migrate.connect(_ensure_seed, sender=self, dispatch_uid="supervision.ensure_seed")


def _ensure_seed(using="default", **kwargs) -> None:
    # Same seed as migration 0002, re-applied only when the table is empty, i.e. after a test-database
    # flush (a region whose settings staff removed on purpose is not refilled behind their back).
    import importlib

    from django.apps import apps

    from .models import SupervisionSettings

    if not SupervisionSettings.objects.using(using).exists():
        importlib.import_module("supervision.migrations.0002_seed_settings").forwards(apps, None)
