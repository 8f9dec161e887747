"""Input shape only; the rules (scopes, windows, counts) live in crisis.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisis.models import DECISION_MAX, MAX_NEEDED, PLACE_MAX, SKILLS_MAX, SUMMARY_MAX, Level, OrsanTrack
from gomask.idempotency import IdempotentForm
from notifications.models import BODY_MAX, TITLE_MAX, Severity
from professionals.models import Profession
from territories.forms import CommuneField


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _datetime_field(label):
    return forms.DateTimeField(
        label=label,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages={"invalid": _("Saisissez une date et une heure (jj/mm/aaaa hh:mm).")},
    )


class ActivationForm(forms.Form):
    territory = forms.ChoiceField(label=_("Territoire de CPTS"), required=False)
    level = forms.TypedChoiceField(label=_("Niveau"), choices=Level.choices, coerce=int)
    track = forms.ChoiceField(label=_("Volet ORSAN"), choices=OrsanTrack.choices)
    summary = forms.CharField(
        label=_("Situation"), max_length=SUMMARY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_drill = forms.BooleanField(label=_("Exercice (EXERCICE affiché partout)"), required=False)

    def __init__(self, *args, territories=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(t.pk), t.name) for t in territories]
        self.fields["territory"].choices = [("", "—")] + choices
        if len(choices) == 1:
            self.fields["territory"].initial = choices[0][0]


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=_("Nouvelle décision"), max_length=DECISION_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActivationBulletinForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=TITLE_MAX)
    body = forms.CharField(label=_("Message"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 5}))
    severity = forms.ChoiceField(label=_("Gravité"), choices=Severity.choices, initial=Severity.WARNING)
    professions = forms.MultipleChoiceField(
        label=_("Professions (aucune cochée : toutes)"),
        choices=Profession.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class AvailabilityForm(forms.Form):
    starts_at = _datetime_field(_("Disponible à partir de"))
    ends_at = _datetime_field(_("Jusqu'à"))
    commune = CommuneField(label=_("Depuis la commune"), required=False)
    skills = forms.CharField(
        label=_("Compétences utiles (facultatif)"),
        max_length=SKILLS_MAX,
        required=False,
        help_text=_("Ex. : vaccination, soins de plaies, suivi à domicile."),
    )


class ConfirmDuplicateMixin(forms.Form):
    """A box shown only after a PossibleDuplicate refusal: post a copy of an open request."""

    confirm_duplicate = forms.BooleanField(
        label=_("Oui, il faut du renfort en plus : publier aussi cette demande"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, ask_confirmation=False, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_confirmation:
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()


class RequestForm(ConfirmDuplicateMixin, IdempotentForm):
    place = forms.CharField(
        label=_("Lieu"), max_length=PLACE_MAX, help_text=_("Ex. : gymnase municipal, centre de dépistage.")
    )
    commune = CommuneField(label=_("Commune"))
    starts_at = _datetime_field(_("Début"))
    ends_at = _datetime_field(_("Fin"))
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    needed = forms.IntegerField(label=_("Nombre de personnes"), min_value=1, max_value=MAX_NEEDED, initial=1)


class CensusFilterForm(forms.Form):
    profession = forms.ChoiceField(
        label=_("Profession"), choices=[("", _("Toutes"))] + list(Profession.choices), required=False
    )
    commune = CommuneField(label=_("Commune"), required=False)
    at = _datetime_field(_("Disponible le"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].required = False


class SiteRequestForm(ConfirmDuplicateMixin, IdempotentForm):
    """A care site's manager asks for reinforcement at their site: the place is the site."""

    starts_at = _datetime_field(_("Début"))
    ends_at = _datetime_field(_("Fin"))
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    needed = forms.IntegerField(label=_("Nombre de personnes"), min_value=1, max_value=MAX_NEEDED, initial=1)
