"""Read side of the national interface: the staff reconciliation page."""
from __future__ import annotations

from django.db.models import QuerySet

from staff.scope import scope_for_user

from .models import Reconciliation

PERIOD_KEY = ("provider_id", "insutype", "clr_type", "setl_optins", "stmt_begndate", "stmt_enddate")


def unbalanced_reconciliations(*, user) -> QuerySet[Reconciliation]:
    """For each clinic, scheme, clearing type, agency and period, the latest 3201 answer, when it
    did not balance (a later balanced one settles the day). Clinics outside the user's scope are
    left out."""
    latest = Reconciliation.objects.order_by(*PERIOD_KEY, "-id").distinct(*PERIOD_KEY).values("id")
    queryset = Reconciliation.objects.filter(id__in=latest, balanced=False).select_related("provider")
    return scope_for_user(user).filter(queryset, region_field="provider__admdvs", district_field="provider__district")
