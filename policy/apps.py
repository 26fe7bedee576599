from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = "统筹区与政策参数"

    def ready(self) -> None:
        from . import signals  # noqa: F401

        post_migrate.connect(_ensure_seed, sender=self, dispatch_uid="policy.ensure_seed")


def _ensure_seed(using="default", **kwargs) -> None:
    # The data migration seeds the regions once; a test database flush (transactional tests) empties
    # every table and then sends post_migrate, so the same idempotent seed runs here too.
    from .models import District, ParameterSet, Region
    from .seed import seed_policy

    if not Region.objects.using(using).exists():
        seed_policy(Region, District, ParameterSet)
