"""Admin: runs are read here (and started on the simulation pages); nothing is edited by hand."""
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Scenario, SimulationFinding, SimulationRun
from .selectors import simulation_runs_visible


class ScenarioInline(admin.TabularInline):
    model = Scenario
    fields = ("position", "label", "based_on", "values")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SimulationRun)
class SimulationRunAdmin(admin.ModelAdmin):
    list_display = ("id", "admdvs", "year", "status", "progress", "visits", "baseline_matches", "created_at",
                    "created_by", "page")
    list_filter = ("admdvs", "status", "baseline_matches")
    readonly_fields = ("admdvs", "year", "status", "partitions_total", "partitions_done", "visits",
                       "cancel_requested", "baseline_matches", "error", "created_at", "finished_at", "created_by",
                       "page")
    exclude = ("results",)
    inlines = [ScenarioInline]

    def get_queryset(self, request):
        return simulation_runs_visible(user=request.user)

    @admin.display(description="进度")
    def progress(self, obj):
        return f"{obj.partitions_done}/{obj.partitions_total}"

    @admin.display(description="结果页")
    def page(self, obj):
        return format_html('<a href="{}">查看</a>', reverse("simulation:run", args=[obj.pk]))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SimulationFinding)
class SimulationFindingAdmin(admin.ModelAdmin):
    list_display = ("run", "setl_id", "kind", "recorded_fund_pay", "replayed_fund_pay", "note")
    list_filter = ("kind",)
    search_fields = ("setl_id",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(run__in=simulation_runs_visible(user=request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
