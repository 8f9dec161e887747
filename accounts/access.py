"""Who may be in a session, and where an account that is not validated may go.

One place for both rules, used by the page middleware and by the API's token authentication:
- a role that needs a second factor (or any Django staff account) must have passed it IN THIS
  SESSION, not merely have enrolled one (allauth records each authentication step in the session);
  a Pro Santé Connect sign-in (CPS/e-CPS, its `acr` checked) counts as one;
- a pending or suspended account reaches its status, its sign-out and its own account settings
  (allauth's pages), nothing else, on pages and API alike.
"""

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountStatus

# Routes an account that is not (or no longer) validated may use: its status, signing out, and
# technical routes every page needs. allauth's own pages (/accounts/...) are the person's account.
STATUS_ROUTES = frozenset(
    {
        "home",
        "healthz",
        "liveness",
        "readiness",
        # The accessibility statement is owed to every visitor (RGAA).
        "accessibility",
        "accounts:landing",
        "api-me",
        "api-token",
        "set_language",
        "javascript-catalog",
        # Open data reads no account at all (its fast path answers before the session is
        # loaded): the same document for everyone, a pending account included.
        "opendata:pharmacies",
        "opendata:care-sites",
        "opendata:consultations",
    }
)
ACCOUNT_PAGES_PREFIX = "/accounts/"

PENDING_MESSAGE = _(
    "Votre compte est en attente de validation : vous pourrez agir dès qu'il aura été validé."
)
SUSPENDED_MESSAGE = _("Votre compte est suspendu : contactez l'administrateur du portail.")


def needs_second_factor(user) -> bool:
    return bool(user.role in settings.MFA_REQUIRED_ROLES or user.is_staff or user.is_superuser)


def has_enrolled_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_second_factor(request, user) -> bool:
    """TOTP passed in this session, or a sign-in that is two-factor itself: Pro Santé Connect
    (CPS card or e-CPS) with its `acr` checked (settings.SECOND_FACTOR_SOCIAL_PROVIDERS)."""
    strong_providers = settings.SECOND_FACTOR_SOCIAL_PROVIDERS
    return any(
        record.get("method") == "mfa"
        or (record.get("method") == "socialaccount" and record.get("provider") in strong_providers)
        for record in get_authentication_records(request, user)
    )


def may_reach(user, *, view_name: str | None, path: str) -> bool:
    """Whether an authenticated account of this status may use this route."""
    if user.is_approved:
        return True
    return view_name in STATUS_ROUTES or path.startswith(ACCOUNT_PAGES_PREFIX)


def status_message(user):
    return SUSPENDED_MESSAGE if user.status == AccountStatus.SUSPENDED else PENDING_MESSAGE


def status_code(user) -> str:
    return "account_suspended" if user.status == AccountStatus.SUSPENDED else "account_pending"
