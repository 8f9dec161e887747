"""Input shape of the distribution pages; the rules themselves live in distribution/services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from distribution.models import MAX_QUANTITY, CareSite, ShipmentSource
from gomask.idempotency import IdempotentForm
from pharmacies.wording import masks, pharmacy_label
from professionals.models import Profession
from territories.forms import PlaceField
from territories.models import Region

QUANTITY_ERRORS = {
    "required": _("Indiquez une quantité de masques."),
    "invalid": _("La quantité doit être un nombre entier de masques."),
    "min_value": _("La quantité doit être d'au moins %(limit_value)s."),
    "max_value": _("La quantité ne peut pas dépasser %(limit_value)s masques."),
}


def quantity_field(label, *, minimum=1, **kwargs):
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=MAX_QUANTITY,
        error_messages=QUANTITY_ERRORS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        **kwargs,
    )


def product_choices(products):
    return [(product.code, product.name) for product in products]


class CounterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Numéro RPPS / ADELI ou nom du professionnel"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "type": "search"}),
        help_text=_("11 chiffres (RPPS), 9 chiffres (ADELI), ou au moins deux lettres du nom."),
    )


class DispenseForm(IdempotentForm):
    product = forms.ChoiceField(label=_("Produit"))
    quantity = quantity_field(_("Nombre de masques remis"))
    identity_checked = forms.BooleanField(
        label=_("Identité vérifiée (carte professionnelle ou pièce d'identité)"),
        error_messages={"required": _("Vérifiez l'identité du professionnel et cochez la case.")},
    )

    def __init__(self, *args, allowances=(), **kwargs):
        """`allowances`: the HandoverAllowance of the products that may be handed over now."""
        super().__init__(*args, **kwargs)
        self.limits = {row.product.code: row.can_hand_over for row in allowances}
        self.fields["product"].choices = [
            (
                row.product.code,
                _("%(product)s — jusqu'à %(count)s maintenant")
                % {"product": row.product.name, "count": masks(row.can_hand_over, row.product)},
            )
            for row in allowances
        ]
        if self.limits:
            self.fields["quantity"].widget.attrs["max"] = max(self.limits.values())

    def clean(self):
        data = super().clean()
        limit = self.limits.get(data.get("product"))
        if limit is not None and data.get("quantity") and data["quantity"] > limit:
            self.add_error(
                "quantity",
                _("Vous pouvez remettre au plus %(limit)s maintenant (voir le détail ci-dessus).")
                % {"limit": masks(limit)},
            )
        return data


def quota_choices(quota_rows):
    """Products offered with what is left of the week's quota ("Masque FFP2 — il vous reste 4 masques")."""
    return [
        (
            row.product.code,
            _("%(product)s — il vous reste %(remaining)s cette semaine")
            % {"product": row.product.name, "remaining": masks(row.remaining, row.product)},
        )
        for row in quota_rows
    ]


class ReserveForm(IdempotentForm):
    pharmacy = forms.TypedChoiceField(label=_("Officine"), coerce=int)
    product = forms.ChoiceField(label=_("Produit"))
    quantity = quantity_field(_("Nombre de masques"))

    def __init__(self, *args, pharmacies=(), quota_rows=(), **kwargs):
        """`quota_rows`: the QuotaStatus of the products the professional may still reserve."""
        super().__init__(*args, **kwargs)
        self.remaining = {row.product.code: row.remaining for row in quota_rows}
        self.fields["pharmacy"].choices = [(pharmacy.pk, pharmacy_label(pharmacy)) for pharmacy in pharmacies]
        self.fields["product"].choices = quota_choices(quota_rows)
        if self.remaining:
            self.fields["quantity"].widget.attrs["max"] = max(self.remaining.values())

    def clean(self):
        data = super().clean()
        remaining = self.remaining.get(data.get("product"))
        if remaining is not None and data.get("quantity") and data["quantity"] > remaining:
            self.add_error(
                "quantity",
                _("Il vous reste %(remaining)s cette semaine : demandez-en au plus %(count)d.")
                % {"remaining": masks(remaining), "count": remaining},
            )
        return data


class QuotaPolicyForm(forms.Form):
    profession = forms.ChoiceField(label=_("Profession"), choices=Profession.choices)
    product = forms.ChoiceField(label=_("Produit"))
    quantity = quantity_field(_("Masques par semaine"), minimum=0)
    effective_from = forms.DateField(
        label=_("En vigueur à partir du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    region = forms.ChoiceField(label=_("Portée"))
    note = forms.CharField(label=_("Référence (message, arrêté)"), max_length=255, required=False)

    def __init__(self, *args, user, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = product_choices(products)
        if user.role == "admin":
            choices = [("", _("National (toutes les régions)"))]
            choices += [(region.code, region.name) for region in Region.objects.order_by("name")]
        else:
            choices = [(user.region_id, user.region.name)]
        self.fields["region"].choices = choices
        self.fields["region"].required = False


class ShipmentForm(forms.Form):
    DESTINATIONS = [("pharmacy", _("Une officine")), ("care_site", _("Un centre COVID ou un laboratoire"))]

    destination = forms.ChoiceField(label=_("Destination"), choices=DESTINATIONS, widget=forms.RadioSelect)
    finess = forms.CharField(
        label=_("Numéro FINESS de l'officine"),
        max_length=9,
        required=False,
        help_text=_("9 caractères ; pour un envoi à une officine."),
    )
    care_site = forms.ModelChoiceField(
        label=_("Centre ou laboratoire"), queryset=CareSite.objects.none(), required=False
    )
    product = forms.ChoiceField(label=_("Produit"))
    quantity = quantity_field(_("Nombre de masques"))
    source = forms.ChoiceField(label=_("Origine des masques"), choices=ShipmentSource.choices)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, care_sites, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_site"].queryset = care_sites
        self.fields["product"].choices = product_choices(products)

    def clean(self):
        data = super().clean()
        if data.get("destination") == "pharmacy" and not data.get("finess"):
            self.add_error("finess", _("Indiquez le numéro FINESS de l'officine destinataire."))
        if data.get("destination") == "care_site" and not data.get("care_site"):
            self.add_error("care_site", _("Choisissez le centre ou le laboratoire destinataire."))
        return data


RADIUS_CHOICES = [(5, "5 km"), (10, "10 km"), (20, "20 km"), (50, "50 km")]
DEFAULT_RADIUS_KM = 20
DEFAULT_PRODUCT = "surgical"


class MaskSearchForm(forms.Form):
    place = PlaceField(
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
        if self.is_bound:
            # A search left without product or radius (a typed or shared address) uses the
            # defaults, and the form shows those: never "5 km" on screen for a 20 km search.
            data = self.data.copy()
            for name in ("product", "radius"):
                if not data.get(name):
                    data[name] = str(self.fields[name].initial)
            self.data = data
