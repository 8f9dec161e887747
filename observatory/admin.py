from django.contrib import admin

from observatory.models import AccessRun, DreesImport


@admin.register(AccessRun)
class AccessRunAdmin(admin.ModelAdmin):
    list_display = ["finished_at", "communes", "general_practitioners", "supply_communes"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DreesImport)
class DreesImportAdmin(admin.ModelAdmin):
    list_display = ["imported_at", "file_name", "sheet", "year", "rows", "skipped", "imported_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
