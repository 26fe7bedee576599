from django.contrib import admin

from .models import StaffScope


@admin.register(StaffScope)
class StaffScopeAdmin(admin.ModelAdmin):
    """Who sees which districts. Granting scope is itself a privilege: only users holding the
    staffscope permissions (normally superusers) reach this page."""

    list_display = ("user", "all_regions", "region", "district_list")
    list_filter = ("all_regions", "region")
    list_select_related = ("user", "region")
    search_fields = ("user__username",)
    filter_horizontal = ("districts",)
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("districts")

    @admin.display(description="县区")
    def district_list(self, obj):
        return "、".join(d.name for d in obj.districts.all()) or "全市"
