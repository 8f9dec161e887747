from django.contrib import admin

from pharmacies.models import Pharmacy, PharmacyMembership


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
