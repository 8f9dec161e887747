from django.contrib import admin

from dashboards.models import ExportLog, RollupState


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "region", "period_start", "period_end", "row_count")
    list_filter = ("kind", "region")
    readonly_fields = [field.name for field in ExportLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ("name", "refreshed_at", "weeks", "duration_ms")
    readonly_fields = ("name", "refreshed_at", "weeks", "duration_ms")
