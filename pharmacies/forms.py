"""Input shape of the pharmacist's stock forms; the rules live in pharmacies.services."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from gomask.cleaning import MAX_QUANTITY
from gomask.idempotency import IdempotentForm
from pharmacies.models import ArrivalSource
from pharmacies.selectors import active_products
from pharmacies.services import Unit
from pharmacies.wording import enumerate_fr, masks


def product_choices():
    return [(product.code, product.name) for product in active_products()]


class ProductField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Produit"))
        super().__init__(choices=product_choices, **kwargs)


class ArrivalForm(IdempotentForm):
    product = ProductField()
    quantity = forms.IntegerField(label=_("Quantité reçue"), min_value=1, max_value=MAX_QUANTITY)
    unit = forms.ChoiceField(label=_("Unité"), choices=Unit.choices, initial=Unit.MASK)
    source = forms.ChoiceField(label=_("Provenance"), choices=ArrivalSource.choices)
    note = forms.CharField(label=_("Remarque (facultatif)"), max_length=255, required=False)
    confirm_duplicate = forms.BooleanField(
        label=_("Oui, c'est une seconde livraison : l'enregistrer aussi"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, ask_confirmation=False, **kwargs):
        """`ask_confirmation`: show the confirmation box (after a PossibleDuplicate refusal)."""
        super().__init__(*args, **kwargs)
        products = active_products()
        # The box size is shown before saving: in the unit's help and, with JavaScript, as the
        # conversion next to the quantity (static/js/pharmacies/arrival.js).
        self.fields["unit"].help_text = _("Une boîte : %(sizes)s.") % {
            "sizes": enumerate_fr([masks(product.box_size, product) for product in products])
        }
        self.fields["unit"].widget.attrs["data-box-sizes"] = json.dumps(
            {product.code: product.box_size for product in products}
        )
        self.fields["quantity"].widget.attrs["aria-describedby"] = "arrival-conversion"
        if ask_confirmation:
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()


class InventoryCountForm(IdempotentForm):
    product = ProductField()
    counted = forms.IntegerField(
        label=_("Masques comptés en rayon"),
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text=_("Le nombre réel de masques ; l'écart avec le stock affiché est enregistré."),
    )


class LossForm(IdempotentForm):
    product = ProductField()
    quantity = forms.IntegerField(label=_("Masques perdus ou abîmés"), min_value=1, max_value=MAX_QUANTITY)
    reason = forms.CharField(label=_("Motif"), max_length=255)


class TransferForm(IdempotentForm):
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
