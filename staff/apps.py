from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "经办人员"
