from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import access

# Pages a user without the second factor may still reach: allauth's pages (log in, the TOTP
# step, enrolment, sign-out), static files, the health check and the language switch.
_ALWAYS_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/i18n/")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class RequireStaffMfaMiddleware:
    """ARS staff, administrators and Django staff must have passed TOTP in this very session.

    Not enrolled yet: sent to enrolment. Enrolled but this session never passed the code (a
    session opened by a path that skipped the TOTP step): asked for the code before anything else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and access.needs_second_factor(user)
            and not request.path.startswith(_ALWAYS_ALLOWED_PREFIXES)
            and not access.session_passed_second_factor(request, user)
        ):
            enrolled = access.has_enrolled_totp(user)
            if _is_api(request):
                return JsonResponse(
                    {
                        "code": "mfa_required",
                        "message": _("Saisissez votre code de double authentification (TOTP) pour continuer.")
                        if enrolled
                        else _("Activez la double authentification (TOTP) pour continuer."),
                    },
                    status=403,
                )
            if not enrolled:
                return redirect(reverse("mfa_activate_totp"))
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class AccountStatusGateMiddleware:
    """Pending and suspended accounts (logged in by session) reach only their status and
    sign-out; API calls by token are gated the same way in accounts.authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        if access.may_reach(user, view_name=match.view_name if match else None, path=request.path):
            return None
        if _is_api(request):
            return JsonResponse(
                {"code": access.status_code(user), "message": str(access.status_message(user))}, status=403
            )
        raise PermissionDenied(access.status_message(user))
