"""Input shape of the professionals' pages; the rules live in services and selectors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from pharmacies.forms import product_choices
from territories.forms import PlaceField

RADIUS_CHOICES = [(5, "5 km"), (10, "10 km"), (20, "20 km"), (50, "50 km")]
DEFAULT_RADIUS_KM = 20
DEFAULT_PRODUCT = "surgical"


class MaskSearchForm(forms.Form):
    place = PlaceField(
        label=_("Commune ou code postal"),
        required=False,
        help_text=_("Laissez vide pour chercher autour de votre lieu d'exercice."),
    )
    product = forms.ChoiceField(label=_("Produit"), choices=product_choices, required=False)
    radius = forms.TypedChoiceField(
        label=_("Rayon"), choices=RADIUS_CHOICES, coerce=int, required=False, empty_value=DEFAULT_RADIUS_KM
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].initial = DEFAULT_PRODUCT
        self.fields["radius"].initial = DEFAULT_RADIUS_KM


class ReferencingForm(forms.Form):
    pharmacy = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
