"""Admin for assessment results and deductions: entered on a form (through ``budgets.assessments``),
approved by another staff member with the list action; approved rows are read-only. Imported by
``budgets.admin``."""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from config.errors import Conflict
from staff.admin_mixins import ServiceFormAdminMixin
from staff.scope import scope_for_user

from .assessments import assessment_approve, assessment_enter, deduction_approve, deduction_enter
from .models import Assessment, Deduction


class _EnteredThenApprovedAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    list_filter = ("status", "year", "provider__admdvs")
    search_fields = ("provider__fixmedins_code", "provider__fixmedins_name", "document_no")
    list_select_related = ("provider", "entered_by", "approved_by")
    autocomplete_fields = ("provider",)
    actions = ["approve_selected"]
    approve = None          # the service approving one row

    def get_queryset(self, request):
        return scope_for_user(request.user).filter(super().get_queryset(request), region_field="provider__admdvs",
                                                   district_field="provider__district")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_approved:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False            # an entry is corrected by a new one, never deleted (audit trail)

    def has_approve_assessment_permission(self, request):
        return request.user.has_perm("budgets.approve_assessment")

    def get_readonly_fields(self, request, obj=None):
        return ("status", "entered_by", "entered_at", "approved_by", "approved_at")

    def service_save(self, request, obj, data, changed, *, adding):
        try:
            return self.enter(request, obj, data)
        except Conflict as exc:
            raise ValidationError(exc.message) from None

    @admin.action(description=_("审核所选（须由录入人以外的人审核）"), permissions=["approve_assessment"])
    def approve_selected(self, request, queryset):
        for item in queryset:
            try:
                type(self).approve(item, request.user)
                self.message_user(request, f"{item} 已审核")
            except PermissionDenied as exc:
                self.message_user(request, f"{item}: {exc}", level=messages.ERROR)


@admin.register(Assessment)
class AssessmentAdmin(_EnteredThenApprovedAdmin):
    list_display = ("provider", "year", "score", "passed", "document_no", "status", "entered_by", "approved_by")
    list_filter = ("passed", *_EnteredThenApprovedAdmin.list_filter)
    fields = ("provider", "year", "score", "passed", "document_no", "status", "entered_by", "entered_at",
              "approved_by", "approved_at")

    @staticmethod
    def approve(item, user):
        return assessment_approve(assessment=item, by=user)

    def enter(self, request, obj, data):
        return assessment_enter(provider=data["provider"], year=data["year"], score=data["score"],
                                passed=data["passed"], document_no=data["document_no"], by=request.user)


@admin.register(Deduction)
class DeductionAdmin(_EnteredThenApprovedAdmin):
    list_display = ("provider", "year", "kind", "amount", "taken_so_far", "reason", "document_no", "status",
                    "entered_by", "approved_by")
    list_filter = ("kind", *_EnteredThenApprovedAdmin.list_filter)
    fields = ("provider", "year", "kind", "amount", "reason", "document_no", "status", "entered_by", "entered_at",
              "approved_by", "approved_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            taken_total=Sum("taken__amount", filter=Q(taken__line__run__status="approved")))

    @admin.display(description=_("已扣除"))
    def taken_so_far(self, item):
        return item.taken_total or 0

    def has_change_permission(self, request, obj=None):
        # A deduction is not edited after entry either: a mistake is a new entry (and the draft is
        # simply not approved), so what was approved is exactly what was entered.
        return obj is None and super().has_change_permission(request, obj)

    @staticmethod
    def approve(item, user):
        return deduction_approve(deduction=item, by=user)

    def enter(self, request, obj, data):
        if obj.pk is not None:
            raise ValidationError("扣款录入后不能修改；如有错误请不予审核并重新录入")
        return deduction_enter(provider=data["provider"], year=data["year"], kind=data["kind"], amount=data["amount"],
                               reason=data["reason"], document_no=data["document_no"], by=request.user)
