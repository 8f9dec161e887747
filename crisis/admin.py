from django.contrib import admin

from crisis.models import (
    Acceptance,
    Acknowledgement,
    Activation,
    Availability,
    Decision,
    ReinforcementRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The console's records are written by its services only (the log is append-only)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ("territory", "level", "track", "is_drill", "started_at", "ended_at")
    list_filter = ("track", "is_drill")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ("activation", "recorded_at", "author", "text")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ("bulletin", "professional", "channel", "acknowledged_at")


@admin.register(Availability)
class AvailabilityAdmin(ReadOnlyAdmin):
    list_display = ("activation", "professional", "commune", "starts_at", "ends_at")


@admin.register(ReinforcementRequest)
class ReinforcementRequestAdmin(ReadOnlyAdmin):
    list_display = ("activation", "place", "profession", "needed", "status", "radius_km", "created_at")


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("request", "professional", "accepted_at")
