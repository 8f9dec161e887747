from django.contrib import admin

from consultations.models import (
    Availability,
    Booking,
    Mission,
    PriorityZone,
    Site,
    Slot,
    Volunteer,
    WaitingListEntry,
)


@admin.register(PriorityZone)
class PriorityZoneAdmin(admin.ModelAdmin):
    list_display = ["epci", "region", "designated_at", "is_active"]
    list_filter = ["region", "is_active"]
    raw_id_fields = ["epci", "designated_by"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "zone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["commune", "zone"]
    filter_horizontal = ["coordinators"]


class AvailabilityInline(admin.TabularInline):
    model = Availability
    extra = 0


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    list_display = ["professional", "max_days_per_month", "needs_lodging"]
    raw_id_fields = ["professional"]
    inlines = [AvailabilityInline]


@admin.register(Mission)
class MissionAdmin(admin.ModelAdmin):
    list_display = ["site", "volunteer", "start_date", "end_date", "status", "lodging_confirmed"]
    list_filter = ["status"]
    raw_id_fields = ["volunteer", "site", "created_by"]

    def has_change_permission(self, request, obj=None):
        # Missions change through the services (caps, slots, patients told), not the admin.
        return False


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["mission", "starts_at", "ends_at"]
    raw_id_fields = ["mission"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only and without identity: patient data is for the doctor and the site's coordinators."""

    list_display = ["slot", "status", "lives_in_zone", "has_regular_doctor", "became_regular_doctor"]
    list_filter = ["status", "has_regular_doctor"]
    fields = ["slot", "status", "lives_in_zone", "has_regular_doctor", "became_regular_doctor", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(admin.ModelAdmin):
    list_display = ["site", "commune", "created_at", "notified_at"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ["volunteer", "start_date", "end_date"]
    raw_id_fields = ["volunteer"]
