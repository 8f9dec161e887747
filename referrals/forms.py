"""Input shape only: the rules live in referrals.services."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from distribution.models import CARE_SITE_TEXT_MAX, CareSiteKind
from referrals.models import REASON_MAX, SiteState
from referrals.selectors import TRACK_COVID, TRACK_NON_COVID
from territories.forms import CommuneField, PlaceField


class TypedPlaceField(PlaceField):
    """A place as people type it: "31 000" is the postal code 31000."""

    def clean(self, value):
        text = str(value or "")
        if re.fullmatch(r"[0-9 ]+", text.strip()):
            value = text.replace(" ", "")
        return super().clean(value)


class StatusForm(forms.Form):
    state = forms.ChoiceField(
        label=_("État du site"), choices=SiteState.choices, widget=forms.RadioSelect, initial=SiteState.OPEN
    )
    capacity_left = forms.CharField(
        label=_("Places restantes aujourd'hui"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Laissez vide si vous ne savez pas."),
    )
    covid_track = forms.BooleanField(label=_("Filière COVID"), required=False)
    non_covid_track = forms.BooleanField(label=_("Filière non COVID"), required=False)
    accepts_referrals = forms.BooleanField(label=_("Accepte les patients adressés"), required=False)


KIND_FILTER_CHOICES = [("", _("Tous les types")), *CareSiteKind.choices]
TRACK_CHOICES = [("", _("Toutes les filières")), (TRACK_COVID, _("COVID")), (TRACK_NON_COVID, _("Non COVID"))]


class SiteSearchForm(forms.Form):
    place = TypedPlaceField(
        label=_("Commune ou code postal"),
        required=False,
        help_text=_("Laissez vide pour chercher autour de votre lieu d'exercice."),
    )
    kind = forms.ChoiceField(label=_("Type de site"), choices=KIND_FILTER_CHOICES, required=False)
    track = forms.ChoiceField(label=_("Filière"), choices=TRACK_CHOICES, required=False)
    open_now = forms.BooleanField(label=_("Ouverts maintenant (pas saturés)"), required=False)


class ReferralForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif en quelques mots"),
        max_length=REASON_MAX,
        help_text=_(
            "Sans nom du patient ni autre donnée de santé : par exemple « fièvre, toux depuis 3 jours »."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SiteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=CareSiteKind.choices)
    name = forms.CharField(label=_("Nom"), max_length=200)
    address = forms.CharField(label=_("Adresse"), max_length=255, required=False)
    commune = CommuneField(label=_("Commune"))
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    email = forms.CharField(
        label=_("Courriel du site"),
        max_length=254,
        required=False,
        help_text=_("Reçoit les fiches d'adressage."),
    )
    opening_hours = forms.CharField(
        label=_("Horaires d'ouverture"),
        max_length=CARE_SITE_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Par exemple : lun.–ven. 8 h–19 h ; sam. 9 h–12 h."),
    )
    access_conditions = forms.CharField(
        label=_("Conditions d'accès"),
        max_length=CARE_SITE_TEXT_MAX,
        required=False,
        help_text=_("Par exemple : sur indication médicale."),
    )
    manager_email = forms.CharField(
        label=_("Courriel du responsable"),
        max_length=254,
        required=False,
        help_text=_("Un compte validé du portail ; il déclarera le statut du site."),
    )
    finess = forms.CharField(label=_("Numéro FINESS (facultatif)"), max_length=12, required=False)
    is_active = forms.BooleanField(label=_("Site actif"), required=False, initial=True)
