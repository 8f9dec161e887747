from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts import access

# Routes a session that has not passed the second factor may use: logging in and out, the TOTP
# step itself, and what every page needs. Everything else waits for the code.
_BEFORE_SECOND_FACTOR = frozenset(
    {
        "account_login",
        "account_logout",
        "mfa_authenticate",
        "mfa_reauthenticate",
        "healthz",
        "set_language",
        "javascript-catalog",
    }
)
# An account that must enrol may also reach the enrolment pages (allauth asks for the password
# again and for a verified e-mail address first).
_ENROLMENT = _BEFORE_SECOND_FACTOR | {
    "mfa_index",
    "mfa_activate_totp",
    "account_reauthenticate",
    "account_email",
    "account_email_verification_sent",
    "account_confirm_email",
}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class RequireStaffMfaMiddleware:
    """ARS staff, administrators and Django staff must have passed TOTP in this very session.

    Not enrolled yet: sent to enrolment. Enrolled but this session never passed the code (a
    session opened by a path that skipped the TOTP step): asked for the code before anything else,
    including allauth's account pages (so the TOTP device cannot be removed from such a session).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not access.needs_second_factor(user)
            or access.session_passed_second_factor(request, user)
        ):
            return None
        enrolled = access.has_enrolled_totp(user)
        view_name = request.resolver_match.view_name if request.resolver_match else None
        if view_name in (_BEFORE_SECOND_FACTOR if enrolled else _ENROLMENT):
            return None
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
