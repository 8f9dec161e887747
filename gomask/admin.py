from django.contrib import admin

from gomask.admin_helpers import ReadOnlyAdmin
from gomask.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["scope", "key", "actor", "result_id", "created_at"]
    list_filter = ["scope"]
    search_fields = ["key", "actor__email"]
    date_hierarchy = "created_at"
