from django.contrib import admin

from .models import StaffScope


@admin.register(StaffScope)
class StaffScopeAdmin(admin.ModelAdmin):
    list_display = ("user", "all_regions", "region")
    list_filter = ("all_regions", "region")
    search_fields = ("user__username",)
    filter_horizontal = ("districts",)
    autocomplete_fields = ("user",)
