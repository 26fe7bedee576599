from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = "统筹区与政策参数"

    def ready(self) -> None:
        from . import signals  # noqa: F401
