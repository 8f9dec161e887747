from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only a service may write (ledgers, handovers, deliveries, roll-ups):
    the admin shows them so staff can look things up, and changes nothing behind the rules."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
