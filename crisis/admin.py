"""The console's records are written by its services only (the log is append-only): read-only."""

from django.contrib import admin

from crisis.models import (
    Acceptance,
    Acknowledgement,
    Activation,
    Availability,
    Decision,
    ReinforcementRequest,
)
from gomask.admin_helpers import ReadOnlyAdmin


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
