"""Input shape of the professionals' pages; the rules live in services and selectors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from distribution.forms import quota_choices
from territories.forms import CommuneField

RADIUS_CHOICES = [(5, "5 km"), (10, "10 km"), (20, "20 km"), (50, "50 km")]
DEFAULT_RADIUS_KM = 20
DEFAULT_PRODUCT = "surgical"


class MaskSearchForm(forms.Form):
    place = CommuneField(
        label=_("Commune ou code postal"),
        required=False,
        help_text=_("Laissez vide pour chercher autour de votre lieu d'exercice."),
    )
    product = forms.ChoiceField(label=_("Produit"), required=False)
    radius = forms.TypedChoiceField(
        label=_("Rayon"), choices=RADIUS_CHOICES, coerce=int, required=False, empty_value=DEFAULT_RADIUS_KM
    )

    def __init__(self, *args, quota_rows=(), **kwargs):
        """`quota_rows`: the QuotaStatus of the products the professional has a quota for; only
        those are offered, each with what is left of the week's quota."""
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = quota_choices(quota_rows)
        codes = [row.product.code for row in quota_rows]
        open_codes = [row.product.code for row in quota_rows if row.remaining > 0]
        self.default_product = (
            DEFAULT_PRODUCT
            if DEFAULT_PRODUCT in open_codes
            else (open_codes or codes or [DEFAULT_PRODUCT])[0]
        )
        self.fields["product"].initial = self.default_product
        self.fields["radius"].initial = DEFAULT_RADIUS_KM


class ReferencingForm(forms.Form):
    pharmacy = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
