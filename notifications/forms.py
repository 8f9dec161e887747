import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from notifications.models import BODY_MAX, TITLE_MAX, CoordinatorScope, Severity
from professionals.models import Profession
from territories.models import Departement, Epci, Region


class PreferencesForm(forms.Form):
    email = forms.BooleanField(label=_("Par e-mail"), required=False)
    sms = forms.BooleanField(
        label=_("Par SMS"),
        required=False,
        help_text=_("Au numéro de téléphone de votre fiche professionnelle."),
    )
    portal = forms.BooleanField(label=_("Dans le portail (liste des notifications)"), required=False)


class ScopeChoiceField(forms.MultipleChoiceField):
    """Offers the territories of the author's scope, but lets any code through.

    The scope rule lives in services.publish_bulletin: a code outside it, sent by a crafted
    form, must be refused there with its clear message, as through any other entry point.
    """

    def valid_value(self, value):
        return True


def _submitted_values(data, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name)
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class BulletinForm(forms.Form):
    """Input shape only; the scope rules live in services.publish_bulletin.

    Fields not offered to a role (the region to ARS staff, départements to a CPTS coordinator)
    are still passed on when a crafted form sends them, so that the service refuses them
    instead of their being silently replaced by the author's own scope.
    """

    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX)
    # Carried from the form through the preview to "Confirmer l'envoi": a double click on the
    # confirmation publishes once (services.publish_bulletin.once: a repeat replays the first).
    form_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Texte simple, 5 000 caractères au plus."),
    )
    severity = forms.ChoiceField(
        label=_("Gravité"), choices=Severity.choices, initial=Severity.INFO, widget=forms.RadioSelect
    )
    is_public = forms.BooleanField(
        label=_("Afficher aussi ce bulletin au public sur la page d'accueil"), required=False
    )
    region = forms.ChoiceField(label=_("Région"), required=False)
    departements = ScopeChoiceField(
        label=_("Départements visés"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun coché : toute la région."),
    )
    epcis = ScopeChoiceField(
        label=_("Intercommunalités (EPCI) visées"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    professions = forms.MultipleChoiceField(
        label=_("Professions visées"),
        required=False,
        choices=Profession.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucune cochée : toutes les professions."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.role == Role.ADMIN:
            self.fields["region"].choices = [("", "—")] + [
                (r.pk, r.name) for r in Region.objects.order_by("name")
            ]
            self.fields["region"].required = True
            departements = Departement.objects.order_by("code")
            epcis = Epci.objects.order_by("name")
        else:
            del self.fields["region"]
            departements = Departement.objects.filter(region_id=user.region_id).order_by("code")
            epcis = Epci.objects.filter(region_id=user.region_id).order_by("name")
        if user.role == Role.CPTS_COORDINATOR:
            del self.fields["departements"]
            scope = CoordinatorScope.objects.filter(user=user).first()
            epcis = scope.epcis.order_by("name") if scope else Epci.objects.none()
            self.fields["epcis"].help_text = _("Aucune choisie : tout le territoire de votre CPTS.")
        else:
            self.fields["departements"].choices = [(d.pk, f"{d.name} ({d.pk})") for d in departements]
            self.fields["epcis"].help_text = _("Aucune choisie : pas de restriction par intercommunalité.")
        self.fields["epcis"].choices = [(e.pk, e.name) for e in epcis]

    def clean(self):
        data = super().clean()
        if "region" not in self.fields:
            submitted = _submitted_values(self.data, "region")
            data["region"] = submitted[0] if submitted else None
        if "departements" not in self.fields:
            data["departements"] = _submitted_values(self.data, "departements")
        return data
