from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import User
from gomask.errors import DomainError


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "status", "region", "is_staff"]
    list_filter = ["role", "status", "region", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    actions = ["approve_selected"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name", "phone")}),
        (_("Rôle et périmètre"), {"fields": ("role", "status", "region", "approved_by", "approved_at")}),
        (_("Droits d'administration"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "region", "password1", "password2")}),
    )
    readonly_fields = ["approved_by", "approved_at", "last_login", "date_joined"]

    @admin.action(description=_("Valider les comptes sélectionnés"))
    def approve_selected(self, request, queryset):
        for user in queryset:
            try:
                services.approve_account(approver=request.user, user_id=user.pk)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
        self.message_user(request, _("Comptes validés."), messages.SUCCESS)
