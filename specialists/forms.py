from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from specialists.models import ResponseCommitment, Urgency
from specialists.services import ANSWER_MAX, QUESTION_MAX, RADIUS_MAX, RADIUS_MIN
from specialists.specialties import CHOICES


class ProfileForm(forms.Form):
    is_active = forms.BooleanField(label=_("J'accepte de recevoir des demandes d'avis"), required=False)
    radius_km = forms.IntegerField(
        label=_("Rayon d'intervention autour de ma commune d'exercice (km)"),
        min_value=RADIUS_MIN,
        max_value=RADIUS_MAX,
        initial=60,
    )
    response_hours = forms.TypedChoiceField(
        label=_("Je m'engage à répondre"),
        choices=ResponseCommitment.choices,
        coerce=int,
        initial=ResponseCommitment.HOURS_24,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); the service checks each."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class RequestForm(forms.Form):
    specialty = forms.ChoiceField(label=_("Spécialité"), choices=[("", "---------"), *CHOICES])
    urgency = forms.ChoiceField(label=_("Urgence"), choices=Urgency.choices, initial=Urgency.DAY)
    question = forms.CharField(
        label=_("Votre question"),
        max_length=QUESTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Courte et précise ; n'indiquez ni le nom ni la date de naissance du patient."),
    )
    attachments = MultipleFileField(
        label=_("Pièces jointes (facultatif)"),
        required=False,
        widget=MultipleFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _(
            "PDF, JPEG ou PNG ; %(count)d fichiers de %(size)s Mio au plus."
        ) % {
            "count": settings.SPECIALISTS_MAX_ATTACHMENTS,
            "size": f"{settings.SPECIALISTS_ATTACHMENT_MAX_BYTES / 1024 / 1024:g}",
        }


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Votre avis"), max_length=ANSWER_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
