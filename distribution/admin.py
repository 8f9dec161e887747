from django.contrib import admin

from distribution.models import CareSite, Dispensation, QuotaPolicy, QuotaUsage, Reservation, Shipment
from gomask.admin_helpers import ReadOnlyAdmin


@admin.register(QuotaPolicy)
class QuotaPolicyAdmin(ReadOnlyAdmin):
    """Versions are added from the ARS pages (one rule, one place); the admin shows them."""

    list_display = ["profession", "product", "quantity", "period", "effective_from", "region", "created_by"]
    list_filter = ["profession", "product", "region"]
    date_hierarchy = "effective_from"


@admin.register(QuotaUsage)
class QuotaUsageAdmin(ReadOnlyAdmin):
    list_display = ["professional", "product", "period_start"]
    raw_id_fields = ["professional"]
    search_fields = ["professional__rpps", "professional__last_name"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "professional",
        "pharmacy",
        "product",
        "quantity",
        "status",
        "created_at",
        "expires_at",
    ]
    list_filter = ["status", "product"]
    search_fields = ["professional__rpps", "professional__last_name", "pharmacy__finess"]
    date_hierarchy = "created_at"


@admin.register(Dispensation)
class DispensationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "professional",
        "pharmacy",
        "product",
        "quantity",
        "policy",
        "dispensed_by",
    ]
    list_filter = ["product"]
    search_fields = ["professional__rpps", "professional__last_name", "pharmacy__finess"]
    date_hierarchy = "created_at"


@admin.register(CareSite)
class CareSiteAdmin(admin.ModelAdmin):
    """COVID consultation centres and laboratories: reference data kept by administrators."""

    list_display = ["name", "kind", "commune", "region", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["name", "commune__name"]
    raw_id_fields = ["commune"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "shipped_at",
        "region",
        "product",
        "quantity",
        "source",
        "pharmacy",
        "care_site",
        "received_at",
    ]
    list_filter = ["region", "product", "source"]
    date_hierarchy = "shipped_at"
