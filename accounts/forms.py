"""The TOTP step's forms: allauth's, saying when a right code was already used."""

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

CODE_ALREADY_USED = _(
    "Ce code a déjà été utilisé. Attendez que votre application affiche le code suivant "
    "(il change toutes les 30 secondes), puis saisissez-le."
)


def totp_code_already_used(user, code: str) -> bool:
    """A right code for this period that was already accepted once (allauth refuses a replay)."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not code:
        return False
    totp = TOTP(authenticator)
    if not validate_totp_code(decrypt(authenticator.data["secret"]), code):
        return False
    return cache.get(totp._get_used_cache_key(code)) is not None


class _SaysWhenACodeWasAlreadyUsed:
    def clean_code(self):
        try:
            return super().clean_code()
        except forms.ValidationError as error:
            code = self.cleaned_data.get("code")
            if error.code == "incorrect_code" and totp_code_already_used(self.user, code):
                raise forms.ValidationError(CODE_ALREADY_USED, code="code_already_used") from error
            raise


class TotpAuthenticateForm(_SaysWhenACodeWasAlreadyUsed, AuthenticateForm):
    """The TOTP step after the password (allauth's form, with the reused-code message)."""


class TotpReauthenticateForm(_SaysWhenACodeWasAlreadyUsed, ReauthenticateForm):
    """The TOTP step asked of a session that has not passed it (allauth's form, same message)."""
