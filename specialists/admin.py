"""Admin: the directory of specialists and the access log, never the requests' content.

Requests and attachments are deliberately not registered: their content is readable by the
requester and the accepting specialist only, not by administrators.
"""

from django.contrib import admin

from gomask.admin_helpers import ReadOnlyAdmin
from specialists.models import AccessLogEntry, SpecialistProfile


@admin.register(SpecialistProfile)
class SpecialistProfileAdmin(admin.ModelAdmin):
    list_display = ["professional", "specialty", "radius_km", "response_hours", "is_active"]
    list_filter = ["specialty", "is_active"]
    raw_id_fields = ["professional"]
    search_fields = ["professional__search_name"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "request_id", "attachment_id"]
    list_filter = ["action"]
    fields = ["at", "user", "action", "request_id", "attachment_id"]
    readonly_fields = fields
