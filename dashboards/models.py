"""No tables: one unmanaged model only to carry the dashboard's permission (granted to roles by
staff/roles.py), so "who may open the dashboard" is an ordinary Django permission."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboard", _("可查看工作台"))]
        verbose_name = _("工作台")
        verbose_name_plural = _("工作台")
