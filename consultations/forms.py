"""Input shapes of the consultations pages; the rules themselves live in services."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consultations.models import PriorityZone, Site
from gomask.identifiers import is_ascii_digits
from territories.forms import CommuneField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class PlaceField(CommuneField):
    """A commune, or a postal code standing for its most populated commune (distances only)."""

    def resolve(self, text: str):
        from territories.selectors import find_communes

        if is_ascii_digits(text, 5):
            matches = find_communes(text, limit=1)
            if matches:
                return matches[0]
        return super().resolve(text)


class SearchForm(forms.Form):
    q = PlaceField(label=_("Votre commune ou code postal"))


class BookingForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=DateInput())
    phone = forms.CharField(label=_("Téléphone"), max_length=20, help_text=_("Par exemple 06 12 34 56 78."))
    email = forms.EmailField(
        label=_("Adresse e-mail"), help_text=_("La confirmation et le rappel y sont envoyés.")
    )
    commune = CommuneField(label=_("Commune de résidence"))
    no_regular_doctor = forms.BooleanField(label=_("Je n'ai pas de médecin traitant"), required=False)


class WaitingListForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))


class VolunteerProfileForm(forms.Form):
    zones = forms.ModelMultipleChoiceField(
        label=_("Zones prioritaires acceptées"),
        queryset=PriorityZone.objects.filter(is_active=True).select_related("epci"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Lieux de consultation acceptés"),
        queryset=Site.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    max_days_per_month = forms.IntegerField(label=_("Nombre de jours par mois au plus"), min_value=1)
    needs_lodging = forms.BooleanField(label=_("J'ai besoin d'un hébergement sur place"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cap = settings.VOLUNTEER_MAX_DAYS_PER_MONTH
        self.fields["max_days_per_month"].max_value = cap
        self.fields["max_days_per_month"].widget.attrs["max"] = cap
        self.fields["max_days_per_month"].help_text = _(
            "Le dispositif national prévoit %(cap)s jour(s) par mois au plus."
        ) % {"cap": cap}


class AvailabilityForm(forms.Form):
    start_date = forms.DateField(label=_("Disponible du"), widget=DateInput())
    end_date = forms.DateField(label=_("Jusqu'au"), widget=DateInput())


class MissionForm(forms.Form):
    volunteer = forms.ChoiceField(label=_("Médecin solidaire"))
    site = forms.ChoiceField(label=_("Lieu de consultation"))
    start_date = forms.DateField(label=_("Premier jour"), widget=DateInput())
    end_date = forms.DateField(label=_("Dernier jour"), widget=DateInput())
    lodging_note = forms.CharField(label=_("Hébergement prévu"), max_length=255, required=False)

    def __init__(self, *args, volunteers=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].choices = [("", "---------")] + [
            (v.pk, str(v.professional)) for v in volunteers
        ]
        self.fields["site"].choices = [("", "---------")] + [(s.pk, s.name) for s in sites]


class PublishSlotsForm(forms.Form):
    day_start = forms.TimeField(label=_("Début de journée"), widget=TimeInput(), initial="09:00")
    day_end = forms.TimeField(label=_("Fin de journée"), widget=TimeInput(), initial="17:00")
    break_start = forms.TimeField(
        label=_("Début de la pause"), widget=TimeInput(), required=False, initial="12:00"
    )
    break_end = forms.TimeField(
        label=_("Fin de la pause"), widget=TimeInput(), required=False, initial="13:30"
    )
    slot_minutes = forms.IntegerField(label=_("Durée d'un créneau (minutes)"), min_value=5, max_value=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot_minutes"].initial = settings.CONSULTATION_SLOT_MINUTES


class LodgingForm(forms.Form):
    lodging_note = forms.CharField(label=_("Hébergement confirmé"), max_length=255)


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(
        label=_("Présence"),
        choices=[("1", _("Venu")), ("0", _("Absent"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    became_regular_doctor = forms.BooleanField(
        label=_("J'ai accepté de devenir son médecin traitant"), required=False
    )
