from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# The admin's menu headings. Several apps name themselves with a plain string; these lazy
# translations (in the English catalog, locale/en) take their place so the menus follow the
# language chosen in the header. Keyed by app label; the Chinese text is the app's own name.
MENU_NAMES = {
    "accounts": _("个人账户"),
    "budgets": _("定额预算与结算"),
    "claims": _("门诊结算"),
    "imports": _("批量导入"),
    "members": _("参保人与签约"),
    "policy": _("统筹区与政策参数"),
    "providers": _("定点医疗机构"),
    "staff": _("经办人员与审计"),
    "supervision": _("基金监测预警"),
}


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("工作台")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        for label, name in MENU_NAMES.items():
            try:
                config = apps.get_app_config(label)
            except LookupError:
                continue
            if isinstance(config.verbose_name, str):  # a plain string: not translatable as it is
                config.verbose_name = name
