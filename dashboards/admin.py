from django.contrib import admin

from dashboards.models import (
    DispensationWeek,
    ExportLog,
    PharmacyWeek,
    ProfessionalCensus,
    RollupState,
    ServedMonth,
    ServedWeek,
)
from gomask.admin_helpers import ReadOnlyAdmin


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


@admin.register(PharmacyWeek)
class PharmacyWeekAdmin(ReadOnlyAdmin):
    """Roll-ups: derived data, rebuilt by refresh_rollups."""

    list_display = ["week_start", "pharmacy", "product", "arrived_national", "arrived_regional", "dispensed"]
    list_filter = ["region", "product"]


@admin.register(DispensationWeek)
class DispensationWeekAdmin(ReadOnlyAdmin):
    list_display = ["week_start", "region", "departement", "profession", "product", "quantity"]
    list_filter = ["region", "profession"]


@admin.register(ServedWeek)
class ServedWeekAdmin(ReadOnlyAdmin):
    list_display = ["week_start", "professional", "product", "quantity", "quota"]
    list_filter = ["region"]
    raw_id_fields = ["professional"]


@admin.register(ProfessionalCensus)
class ProfessionalCensusAdmin(ReadOnlyAdmin):
    list_display = ["region", "departement", "epci", "profession", "known", "referenced"]
    list_filter = ["region", "profession"]


@admin.register(ServedMonth)
class ServedMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "professional", "product", "weeks", "quantity", "quota"]
    list_filter = ["region"]
    raw_id_fields = ["professional"]
