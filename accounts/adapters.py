from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from gomask.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        return reverse("accounts:landing")

    def get_login_stages(self) -> list[str]:
        """allauth's stages, its TOTP step replaced by one that a Pro Santé Connect sign-in passes."""
        return [
            "accounts.stages.SecondFactorStage" if path == "allauth.mfa.stages.AuthenticateStage" else path
            for path in super().get_login_stages()
        ]

    def get_client_ip(self, request):
        """allauth's rate limits count by the same client address as every other limit."""
        return client_ip(request)
