from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountStatus, Role
from gomask.errors import DomainError
from pharmacies.services import registered_pharmacy, request_membership
from professionals.models import Profession
from professionals.services import available_professional_identifier, register_professional
from territories.forms import CommuneField

SIGNUP_ROLES = [
    (Role.PROFESSIONAL, _("Professionnel de santé libéral")),
    (Role.PHARMACIST, _("Pharmacien d'officine")),
    (Role.PATIENT, _("Patient")),
]


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth handles e-mail, password and verification."""

    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    phone = forms.RegexField(
        label=_("Téléphone"),
        regex=r"^(\+33\s?|0)[1-9](\s?\d{2}){4}$",
        required=False,
        error_messages={"invalid": _("Saisissez un numéro de téléphone français (ex. 05 62 00 00 00).")},
    )
    account_type = forms.ChoiceField(label=_("Je suis"), choices=SIGNUP_ROLES)
    profession = forms.ChoiceField(
        label=_("Profession"), choices=[("", "—")] + list(Profession.choices), required=False
    )
    identifier = forms.CharField(
        label=_("Numéro RPPS ou ADELI"),
        max_length=20,
        required=False,
        help_text=_("RPPS : 11 chiffres ; ADELI : 9 chiffres."),
    )
    practice_commune = CommuneField(label=_("Commune d'exercice (code postal ou nom)"), required=False)
    practice_address = forms.CharField(label=_("Adresse d'exercice"), max_length=255, required=False)
    finess = forms.CharField(
        label=_("Numéro FINESS de l'officine"),
        max_length=12,
        required=False,
        help_text=_("9 caractères, figurant sur vos documents d'officine."),
    )

    def clean(self):
        data = super().clean()
        role = data.get("account_type")
        if role == Role.PROFESSIONAL:
            for field in ("profession", "identifier", "practice_commune"):
                if not data.get(field):
                    self.add_error(field, _("Ce champ est obligatoire pour un professionnel de santé."))
            if data.get("identifier"):
                try:
                    available_professional_identifier(data["identifier"])
                except DomainError as exc:
                    self.add_error("identifier", str(exc.message))
        if role == Role.PHARMACIST:
            if not data.get("finess"):
                self.add_error("finess", _("Ce champ est obligatoire pour un pharmacien."))
            else:
                try:
                    data["finess"] = registered_pharmacy(data["finess"]).finess
                except DomainError as exc:
                    self.add_error("finess", str(exc.message))
        return data

    @transaction.atomic
    def signup(self, request, user):
        data = self.cleaned_data
        role = data["account_type"]
        user.first_name = data["first_name"].strip()
        user.last_name = data["last_name"].strip()
        user.phone = data.get("phone", "")
        user.role = role
        user.status = (
            AccountStatus.PENDING if role in {Role.PHARMACIST, Role.PROFESSIONAL} else AccountStatus.ACTIVE
        )
        user.save()
        if role == Role.PROFESSIONAL:
            register_professional(
                user=user,
                identifier=data["identifier"],
                profession=data["profession"],
                first_name=user.first_name,
                last_name=user.last_name,
                practice_commune=data["practice_commune"],
                practice_address=data.get("practice_address", ""),
                phone=user.phone,
                email=user.email,
            )
        elif role == Role.PHARMACIST:
            request_membership(user=user, finess=data["finess"])


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
