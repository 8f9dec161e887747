from django.contrib import admin

from gomask.admin_helpers import ReadOnlyAdmin
from pharmacies.models import Pharmacy, PharmacyMembership, Product, StockLevel, StockMovement


class MembershipInline(admin.TabularInline):
    model = PharmacyMembership
    fk_name = "pharmacy"
    extra = 0
    raw_id_fields = ["user", "approved_by"]


@admin.register(Pharmacy)
class PharmacyAdmin(admin.ModelAdmin):
    list_display = ["finess", "name", "commune", "departement", "is_active"]
    list_filter = ["region", "departement", "is_active"]
    search_fields = ["finess", "name", "commune__name"]
    raw_id_fields = ["commune", "departement", "region"]
    inlines = [MembershipInline]


@admin.register(PharmacyMembership)
class PharmacyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "pharmacy", "is_owner", "status", "approved_at"]
    list_filter = ["status", "is_owner"]
    search_fields = ["user__email", "pharmacy__finess", "pharmacy__name"]
    raw_id_fields = ["user", "pharmacy", "approved_by"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "box_size", "is_active"]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    """Read-only: levels change only through stock movements."""

    list_display = ["pharmacy", "product", "on_hand", "reserved", "updated_at", "sold_out_at"]
    list_filter = ["product", "pharmacy__region"]
    search_fields = ["pharmacy__finess", "pharmacy__name"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    """Read-only: the ledger is append-only; corrections are new movements."""

    list_display = ["created_at", "pharmacy", "product", "kind", "on_hand_delta", "reserved_delta", "actor"]
    list_filter = ["kind", "source", "product"]
    search_fields = ["pharmacy__finess", "pharmacy__name"]
    date_hierarchy = "created_at"
