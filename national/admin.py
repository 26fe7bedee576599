"""Admin: staff create clinic system accounts (the same service as ``manage.py clinic_token``) and
read the interface's records; nothing here changes a settlement."""
from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from rest_framework.authtoken.models import Token

from providers.models import Provider

from .models import ClinicAccount, Reconciliation
from .services import clinic_account_ensure


class ClinicAccountForm(forms.ModelForm):
    provider = forms.ModelChoiceField(queryset=Provider.objects.all(), label="定点机构")

    class Meta:
        model = ClinicAccount
        fields = ["provider"]


@admin.register(ClinicAccount)
class ClinicAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "created_at", "created_by"]
    search_fields = ["provider__fixmedins_code", "user__username"]
    readonly_fields = ["user", "provider", "created_at", "created_by", "token"]
    form = ClinicAccountForm

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["provider"]

    @admin.display(description="API 令牌 (Authorization: Token …)")
    def token(self, obj):
        return Token.objects.filter(user=obj.user).values_list("key", flat=True).first() or "-"

    def save_model(self, request, obj, form, change):
        if change:
            return
        account, _, _ = clinic_account_ensure(fixmedins_code=form.cleaned_data["provider"].fixmedins_code,
                                              by=request.user)
        obj.pk, obj.user, obj.provider = account.pk, account.user, account.provider

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reconciliation)
class ReconciliationAdmin(admin.ModelAdmin):
    list_display = ["provider", "stmt_begndate", "stmt_enddate", "insutype", "clr_type", "balanced",
                    "clinic_fund_pay_sumamt", "fund_pay_sumamt", "created_at"]
    list_filter = ["balanced", "insutype", "clr_type"]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": format_html(
            '<a href="{}">对账不平的机构日</a>', reverse("national-reconciliation"))}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
