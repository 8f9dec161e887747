"""Input shapes of the planning pages (validation only; rules live in services)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from distribution.models import ShipmentSource
from gomask.cleaning import MAX_QUANTITY
from pharmacies.models import Product
from professionals.models import Profession
from territories.models import Departement, Epci, Region

MAX_SIMULATION_WEEKS = 12
MAX_LOT = 10_000_000


def _product_choices():
    return [(p.code, p.name) for p in Product.objects.filter(is_active=True).order_by("name")]


class RegionScopedForm(forms.Form):
    """A `region` field for administrators; ARS staff and CPTS coordinators stay in theirs."""

    region = forms.CharField(label=_("Région"), required=False, max_length=3)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.role != Role.ADMIN:
            del self.fields["region"]

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip()
        return code or "76"

    @property
    def region_code(self) -> str:
        if self.user.role != Role.ADMIN:
            return self.user.region_id
        return self.cleaned_data.get("region") or "76"


class AtRiskFilterForm(RegionScopedForm):
    departement = forms.ChoiceField(label=_("Département"), required=False)
    epci = forms.ChoiceField(label=_("Intercommunalité (EPCI)"), required=False)
    product = forms.ChoiceField(label=_("Produit"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        region_code = (self.data.get("region") if user.role == Role.ADMIN else user.region_id) or "76"
        everything = [("", _("Tous"))]
        self.fields["departement"].choices = everything + [
            (d.code, f"{d.code} — {d.name}")
            for d in Departement.objects.filter(region_id=region_code).order_by("code")
        ]
        self.fields["epci"].choices = everything + list(
            Epci.objects.filter(region_id=region_code).order_by("name").values_list("code", "name")
        )
        self.fields["product"].choices = everything + _product_choices()

    def clean_region(self):
        code = super().clean_region()
        if not Region.objects.filter(pk=code).exists():
            raise forms.ValidationError(_("Cette région n'existe pas."))
        return code

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "departement": Departement.objects.filter(pk=data["departement"]).first()
            if data["departement"]
            else None,
            "epci": Epci.objects.filter(pk=data["epci"]).first() if data["epci"] else None,
            "product": Product.objects.filter(code=data["product"]).first() if data["product"] else None,
        }


class AllocationForm(RegionScopedForm):
    product = forms.ChoiceField(label=_("Produit"))
    quantity = forms.CharField(
        initial="10000",
        label=_("Masques reçus (lot régional)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    source = forms.ChoiceField(label=_("Origine du lot"), choices=ShipmentSource.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["product"].choices = _product_choices()

    def clean_quantity(self):
        # Accept "12 000" as people type it (spaces, narrow and non-breaking spaces, dots).
        raw = "".join(ch for ch in self.cleaned_data["quantity"] if ch not in " .\u202f\xa0")
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LOT:
            raise forms.ValidationError(
                _("Indiquez un nombre de masques entre 1 et %(max)s.")
                % {"max": f"{MAX_LOT:,}".replace(",", " ")}
            )
        return int(raw)


class SimulationForm(RegionScopedForm):
    product = forms.ChoiceField(label=_("Produit"))
    weeks = forms.IntegerField(
        label=_("Semaines passées"), min_value=1, max_value=MAX_SIMULATION_WEEKS, initial=4
    )
    effective_from = forms.DateField(
        label=_("En vigueur à partir du (pour publier)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["product"].choices = _product_choices()
        for code, label in Profession.choices:
            self.fields[f"quota_{code}"] = forms.IntegerField(
                label=_("%(profession)s : masques par semaine (projet)") % {"profession": label},
                required=False,
                min_value=0,
                max_value=MAX_QUANTITY,
                help_text=_("Vide : le quota en vigueur."),
            )

    def draft(self) -> dict[str, int | None]:
        return {code: self.cleaned_data.get(f"quota_{code}") for code in Profession.values}

    def effective_from_or_today(self):
        return self.cleaned_data.get("effective_from") or timezone.localdate()
