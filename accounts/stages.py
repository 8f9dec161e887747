"""allauth login stages of the portal (AccountAdapter.get_login_stages)."""

from allauth.mfa.stages import AuthenticateStage
from django.conf import settings


class SecondFactorStage(AuthenticateStage):
    """allauth's TOTP step, skipped for a sign-in that is two-factor itself: Pro Santé Connect
    (CPS card or e-CPS, its `acr` checked before this stage; settings.SECOND_FACTOR_SOCIAL_PROVIDERS).
    The session then holds that sign-in's record, which accounts.access accepts as the second factor.
    """

    def _should_handle(self, request) -> bool:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if (
            sociallogin is not None
            and sociallogin.account.provider in settings.SECOND_FACTOR_SOCIAL_PROVIDERS
        ):
            return False
        return super()._should_handle(request)
