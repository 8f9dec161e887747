from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache


class PortalAdminSite(admin.AdminSite):
    """The Django admin without a door of its own.

    Django's admin login opens a session with a password alone: no TOTP step and no failed-login
    limit. Every login goes through the portal's (allauth) login page instead, which applies both;
    the admin sends there, with `next` so the person comes back.
    """

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        if request.user.is_authenticated and self.has_permission(request):
            return redirect(reverse("admin:index", current_app=self.name))
        if request.user.is_authenticated:
            # Logged in but not staff: the portal's login would send them straight back here.
            raise PermissionDenied(_("L'administration est réservée aux administrateurs du portail."))
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = ""
        target = target or reverse("admin:index", current_app=self.name)
        return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
