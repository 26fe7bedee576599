from django.contrib import admin

from .models import District, ParameterSet, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("admdvs", "name", "insutype", "has_signup")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_filter = ("region",)
    search_fields = ("code", "name")
