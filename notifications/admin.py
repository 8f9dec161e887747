from django.contrib import admin

from gomask.admin_helpers import ReadOnlyAdmin
from notifications.models import (
    ArrivalNotice,
    CallMark,
    CoordinatorScope,
    CrisisBulletin,
    Delivery,
    Notification,
    NotificationPreference,
)


@admin.register(CoordinatorScope)
class CoordinatorScopeAdmin(admin.ModelAdmin):
    """The territory of each CPTS coordinator: set here by administrators."""

    list_display = ["name", "user"]
    search_fields = ["name", "user__email"]
    raw_id_fields = ["user", "epcis", "communes"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ["professional", "email", "sms", "portal", "updated_at"]
    search_fields = ["professional__rpps", "professional__last_name"]


@admin.register(ArrivalNotice)
class ArrivalNoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "pharmacy", "product", "quantity", "available", "recipients"]
    date_hierarchy = "created_at"


@admin.register(CallMark)
class CallMarkAdmin(ReadOnlyAdmin):
    list_display = ["notice", "professional", "reached_at", "reached_by"]


@admin.register(CrisisBulletin)
class CrisisBulletinAdmin(ReadOnlyAdmin):
    """Bulletins are published through the ARS/CPTS pages, which check the targeting scope."""

    list_display = ["published_at", "title", "severity", "is_public", "region", "author", "recipients"]
    list_filter = ["severity", "is_public", "region"]
    search_fields = ["title"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "channel", "status", "address", "attempts", "sent_at"]
    list_filter = ["kind", "channel", "status"]
    search_fields = ["delivery_key", "address"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "title"]
