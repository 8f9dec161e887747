"""Input shape of the pharmacist's stock forms; the rules live in pharmacies.services."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from gomask.cleaning import MAX_QUANTITY
from pharmacies.models import ArrivalSource
from pharmacies.selectors import active_products
from pharmacies.services import Unit


def product_choices():
    return [(product.code, product.name) for product in active_products()]


class ProductField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Produit"))
        super().__init__(choices=product_choices, **kwargs)


class OneTimeForm(forms.Form):
    """A form carrying a fresh one-time token: a double-clicked submit is recorded once
    (see pharmacies.services.claim_form_token)."""

    form_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class ArrivalForm(OneTimeForm):
    product = ProductField()
    quantity = forms.IntegerField(label=_("Quantité reçue"), min_value=1, max_value=MAX_QUANTITY)
    unit = forms.ChoiceField(label=_("Unité"), choices=Unit.choices, initial=Unit.MASK)
    source = forms.ChoiceField(label=_("Provenance"), choices=ArrivalSource.choices)
    note = forms.CharField(label=_("Remarque (facultatif)"), max_length=255, required=False)


class InventoryCountForm(OneTimeForm):
    product = ProductField()
    counted = forms.IntegerField(
        label=_("Masques comptés en rayon"),
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text=_("Le nombre réel de masques ; l'écart avec le stock affiché est enregistré."),
    )


class LossForm(OneTimeForm):
    product = ProductField()
    quantity = forms.IntegerField(label=_("Masques perdus ou abîmés"), min_value=1, max_value=MAX_QUANTITY)
    reason = forms.CharField(label=_("Motif"), max_length=255)


class TransferForm(OneTimeForm):
    product = ProductField()
    quantity = forms.IntegerField(label=_("Masques à transférer"), min_value=1, max_value=MAX_QUANTITY)
    destination_finess = forms.CharField(
        label=_("N° FINESS de l'officine destinataire"), max_length=12, help_text=_("9 caractères.")
    )


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Motif de la correction"), max_length=255)


class LedgerFilterForm(forms.Form):
    product = forms.ChoiceField(label=_("Produit"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("Tous les produits")), *product_choices()]


class NearbyStockForm(forms.Form):
    product = ProductField(required=False)
