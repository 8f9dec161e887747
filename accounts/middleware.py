from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Pages a user without TOTP may still reach: enrolment itself, logout, static files.
_ALWAYS_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")


class RequireStaffMfaMiddleware:
    """ARS staff and administrators must enrol TOTP before using the portal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in settings.MFA_REQUIRED_ROLES
            and not request.path.startswith(_ALWAYS_ALLOWED_PREFIXES)
            and not _has_totp(user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "code": "mfa_required",
                        "message": _("Activez la double authentification (TOTP) pour continuer."),
                    },
                    status=403,
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
