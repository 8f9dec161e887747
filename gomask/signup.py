"""The sign-up form: one account, then a professional record or a pharmacy membership.

It composes accounts, pharmacies and professionals, so it lives in the project package
above them all (accounts sits below both and imports neither; docs/architecture.md).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from gomask.errors import DomainError
from gomask.phones import normalise_phone
from gomask.services import complete_signup
from pharmacies.services import registered_pharmacy
from professionals.models import Profession
from professionals.services import available_professional_identifier
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
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=30,
        required=False,
        help_text=_("Par exemple 06 12 34 56 78 ; outre-mer : 0692 12 34 56 ou +262 692 12 34 56."),
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

    def clean_phone(self):
        return normalise_phone(self.cleaned_data.get("phone", ""))

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

    def signup(self, request, user):
        """Called by allauth once the account exists: the write is one service."""
        data = self.cleaned_data
        complete_signup(
            user=user,
            role=data["account_type"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone=data.get("phone", ""),
            profession=data.get("profession", ""),
            identifier=data.get("identifier", ""),
            practice_commune=data.get("practice_commune"),
            practice_address=data.get("practice_address", ""),
            finess=data.get("finess", ""),
        )
