from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "经办人员与审计"

    def ready(self) -> None:
        from .audit import connect_signals

        connect_signals()
        from . import admin_audit  # noqa: F401  (registers the audit admin next to the team's staff admin)
        post_migrate.connect(_sync_roles, dispatch_uid="staff.roles_sync")


def _sync_roles(app_config, **kwargs) -> None:
    # post_migrate is sent once per app and permissions are created per app, so sync when the last
    # installed app's turn comes: by then every permission exists.
    from django.apps import apps

    if app_config is list(apps.get_app_configs())[-1]:
        from .roles import roles_sync

        roles_sync()
