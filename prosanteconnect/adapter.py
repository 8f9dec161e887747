"""allauth's social-account adapter (SOCIALACCOUNT_ADAPTER): the portal's rules for a
Pro Santé Connect sign-in, a new account made by one, and linking an existing account."""

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from django.contrib import messages
from django.utils.translation import gettext as _

from accounts.models import AccountStatus, Role
from gomask.middleware import render_refusal
from prosanteconnect import services
from prosanteconnect.provider import PROVIDER_CLASS_ID

logger = logging.getLogger(__name__)


def _is_psc(sociallogin) -> bool:
    return sociallogin.account.get_provider().id == PROVIDER_CLASS_ID


def _identity(sociallogin) -> services.PscIdentity:
    return services.identity_from_claims(services.user_claims(sociallogin.account.extra_data))


def _tell(request, outcome, identity) -> None:
    message = services.outcome_message(outcome, identity)
    if message is not None:
        level, text = message
        messages.add_message(request, messages.SUCCESS if level == "success" else messages.WARNING, text)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        """Checks every Pro Santé Connect sign-in (new, returning or linking) before allauth logs
        anyone in; a refusal (services.PscRefused) reaches the page middleware: refused.html, 403."""
        if not _is_psc(sociallogin):
            return
        provider = sociallogin.account.get_provider()
        services.check_acr(extra_data=sociallogin.account.extra_data, accepted=provider.acr_values)
        identity = _identity(sociallogin)
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            if request.user.is_authenticated:
                _tell(request, services.attach_identity(user_id=request.user.pk, identity=identity), identity)
                # allauth saves this very instance when it connects the account: it must not
                # write back the status it had before.
                request.user.refresh_from_db()
            return
        if sociallogin.is_existing:
            _tell(request, services.attach_identity(user_id=sociallogin.user.pk, identity=identity), identity)
            sociallogin.user.refresh_from_db()
            return
        services.check_sign_in(identity=identity, user=None)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if _is_psc(sociallogin):
            # Every Pro Santé Connect account is a health professional's; pending until
            # save_user finds them in the directory.
            user.role = Role.PROFESSIONAL
            user.status = AccountStatus.PENDING
        return user

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        if _is_psc(sociallogin):
            identity = _identity(sociallogin)
            _tell(request, services.attach_identity(user_id=user.pk, identity=identity), identity)
            user.refresh_from_db()
        return user

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """A token or userinfo that fails its checks (signature, issuer, audience, expiry) or an
        error answered by the service: a French refusal page instead of allauth's generic one."""
        super().on_authentication_error(
            request, provider, error=error, exception=exception, extra_context=extra_context
        )
        if error == AuthError.CANCELLED or getattr(provider, "id", None) != PROVIDER_CLASS_ID:
            return
        logger.warning("Pro Santé Connect sign-in refused (%s): %r", error, exception, exc_info=exception)
        refusal = services.PscRefused(
            _(
                "La réponse de Pro Santé Connect n'a pas pu être vérifiée (jeton invalide, altéré ou "
                "expiré) : connexion refusée. Réessayez depuis la page de connexion."
            ),
            code="psc_invalid_response",
        )
        raise ImmediateHttpResponse(render_refusal(request, refusal))
