"""Admin of forecast runs and snapshots (read-only: runs come from the forecast, snapshots from the roll-up)."""
from django.contrib import admin, messages

from forecasting.models import ForecastRun, ForecastSnapshot
# The admin modules load in every process (admin autodiscovery), so the "forecast" export kind is
# registered for `export_data` too; forecasting's AppConfig.ready() is the better home (lead).


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "as_of", "horizon_months", "companies", "seconds", "created_at", "finished_at"]
    list_filter = ["status"]
    search_fields = ["message"]
    readonly_fields = ["status", "as_of", "horizon_months", "companies", "seconds", "message", "created_at",
                       "finished_at"]
    actions = ["run_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Run a new forecast now (on the worker)")
    def run_now(self, request, queryset):
        from forecasting.services.forecast_runs import forecast_run_create
        from forecasting.tasks import forecast_run_task

        run = forecast_run_create()
        forecast_run_task.delay(run.pk)
        self.message_user(request, f"Forecast run {run.pk} queued.", messages.SUCCESS)


@admin.register(ForecastSnapshot)
class ForecastSnapshotAdmin(admin.ModelAdmin):
    list_display = ["week_start", "scope", "scope_id", "horizon", "committed", "consumption", "pipeline_weighted",
                    "taken_at"]
    list_filter = ["scope", "horizon", "week_start"]
    search_fields = ["scope_id"]
    date_hierarchy = "week_start"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
