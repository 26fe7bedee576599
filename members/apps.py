from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "参保人与签约"
