from django.contrib import admin

from territories.models import Commune, DataLoad, Departement, Epci, GeocodingFallback, PostalCode, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["code", "name"]


@admin.register(Epci)
class EpciAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "population", "region"]
    list_filter = ["region", "kind"]
    list_select_related = ["region"]
    search_fields = ["code", "name"]


class PostalCodeInline(admin.TabularInline):
    model = PostalCode
    extra = 0


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = [
        "insee_code",
        "name",
        "departement",
        "region",
        "population",
        "position_is_approximate",
    ]
    list_filter = ["region", "position_is_approximate", "departement"]
    list_select_related = ["departement", "region"]
    # "=" makes the code an exact match, "^" a prefix match that can use the index.
    search_fields = ["=insee_code", "^search_name", "^name", "=postal_codes__code"]
    autocomplete_fields = ["epci"]
    readonly_fields = ["search_name"]
    inlines = [PostalCodeInline]


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "commune"]
    list_filter = ["commune__region"]
    list_select_related = ["commune"]
    search_fields = ["^code", "=commune__insee_code", "^commune__name"]
    raw_id_fields = ["commune"]


@admin.register(DataLoad)
class DataLoadAdmin(admin.ModelAdmin):
    list_display = ["loaded_at", "regions", "file_sha256"]
    readonly_fields = ["loaded_at", "regions", "file_sha256"]

    def has_add_permission(self, request):
        return False


@admin.register(GeocodingFallback)
class GeocodingFallbackAdmin(admin.ModelAdmin):
    """Read-only: written by territories.geocoding each time an address gets its commune's position."""

    list_display = ["day", "reason", "count", "last_commune", "last_error", "last_at"]
    list_filter = ["reason"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
