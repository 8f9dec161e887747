"""Input shapes of the consultations pages; the rules themselves live in services."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import services
from consultations.models import PriorityZone, Site
from consultations.selectors import SORT_DISTANCE, SORT_SOONEST
from gomask.clock import local_date
from gomask.errors import InvalidInput
from territories.forms import CommuneField, CommuneInput, PlaceField


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _by_service(cleaner, value, **kwargs):
    """Run one of the services' cleaning rules on a field, as a form error (the rule stays there)."""
    try:
        return cleaner(value, **kwargs)
    except InvalidInput as exc:
        raise forms.ValidationError(str(exc.message), code=exc.code) from exc


class SearchForm(forms.Form):
    q = PlaceField(label=_("Votre commune ou code postal"), help_text=_("Par exemple 32400 ou Riscle."))
    sort = forms.ChoiceField(
        label=_("Trier par"),
        choices=[(SORT_DISTANCE, _("Distance")), (SORT_SOONEST, _("Prochain créneau"))],
        required=False,
        widget=forms.RadioSelect,
        initial=SORT_DISTANCE,
    )

    def clean_sort(self):
        return self.cleaned_data.get("sort") or SORT_DISTANCE


class EligibilityForm(forms.Form):
    """The two questions that decide who may book a slot during its priority window."""

    commune = CommuneField(
        label=_("Commune de résidence"),
        help_text=_("Code postal (ex. 32400) ou nom de la commune."),
        widget=CommuneInput(attrs={"autocomplete": "address-level2"}),
    )
    has_regular_doctor = forms.TypedChoiceField(
        label=_("Avez-vous un médecin traitant ?"),
        choices=[("non", _("Non, je n'ai pas de médecin traitant")), ("oui", _("Oui"))],
        coerce=lambda value: value == "oui",
        widget=forms.RadioSelect,
    )


class BookingForm(EligibilityForm):
    first_name = forms.CharField(
        label=_("Prénom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=DateInput(attrs={"autocomplete": "bday"})
    )
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=20,
        help_text=_("Par exemple 06 12 34 56 78."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_("La confirmation et le rappel y sont envoyés."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_first_name(self):
        return _by_service(services.clean_name, self.cleaned_data["first_name"], field="first_name")

    def clean_last_name(self):
        return _by_service(services.clean_name, self.cleaned_data["last_name"], field="last_name")

    def clean_birth_date(self):
        today = local_date(timezone.now())
        return _by_service(services.clean_birth_date, self.cleaned_data["birth_date"], today=today)

    def clean_phone(self):
        return _by_service(services.clean_phone, self.cleaned_data["phone"])

    def clean_email(self):
        return _by_service(services.clean_email, self.cleaned_data["email"])


class WaitingListForm(forms.Form):
    """An alert for a site: an e-mail address or a mobile number (one of the two)."""

    email = forms.CharField(
        label=_("Adresse e-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("ou numéro de mobile (SMS)"),
        required=False,
        max_length=20,
        help_text=_("Par exemple 06 12 34 56 78. Un seul message, puis l'alerte s'arrête."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )


class PlaceAlertForm(WaitingListForm):
    """An alert for the sites near a commune (postal code or name)."""

    field_order = ["place", "email", "phone"]
    place = PlaceField(label=_("Commune ou code postal"))


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
