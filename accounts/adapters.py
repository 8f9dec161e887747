from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse
from django.utils.html import strip_tags

from accounts import hooks
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

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's e-mails (address verification, password reset, login codes, notices) are
        rendered as allauth does, then written to the notifications outbox (`accounts.hooks`):
        its claim, retries and recovery deliver them exactly once, never a direct SMTP send."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request), **context},
        )
        body = message.body if message.content_subtype == "plain" else strip_tags(message.body)
        hooks.hand_over_mail(address=email, subject=message.subject, body=body, template=template_prefix)
