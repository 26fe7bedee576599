from django.apps import AppConfig


class NationalConfig(AppConfig):
    name = "national"
    verbose_name = "国家医保平台接口"
    default_auto_field = "django.db.models.BigAutoField"
