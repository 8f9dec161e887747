"""The dashboard filters: region (administrators only), département, EPCI, period, product."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import ensure_region_scope
from dashboards.selectors import DashboardFilters, default_period, default_region_code
from gomask.errors import InvalidInput
from pharmacies.models import Product
from territories.models import Departement, Epci, Region

MAX_PERIOD_DAYS = 371  # a year of whole weeks, plus the partial ones at both ends


class DashboardFilterForm(forms.Form):
    region = forms.CharField(label=_("Région"), required=False, max_length=3)
    departement = forms.CharField(label=_("Département"), required=False, max_length=3)
    epci = forms.CharField(label=_("Intercommunalité (EPCI)"), required=False, max_length=9)
    start = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Au"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.CharField(label=_("Produit"), required=False, max_length=30)

    def __init__(self, *args, user, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.today = today or timezone.localdate()

    def _region(self) -> Region:
        code = (self.cleaned_data.get("region") or "").strip()
        if self.user.role != Role.ADMIN:
            # ARS staff: their own region; asking for another one is refused (403), not ignored.
            if code and code != self.user.region_id:
                ensure_region_scope(self.user, code)
            code = self.user.region_id
        if not code:
            code = self.user.region_id or default_region_code()
        region = Region.objects.filter(pk=code).first()
        if region is None:
            raise forms.ValidationError({"region": _("Cette région n'existe pas.")})
        return region

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        region = self._region()
        departement = None
        if data.get("departement"):
            departement = Departement.objects.filter(pk=data["departement"], region=region).first()
            if departement is None:
                self.add_error("departement", _("Ce département n'est pas dans la région."))
        epci = None
        if data.get("epci"):
            epci = Epci.objects.filter(pk=data["epci"], region=region).first()
            if epci is None:
                self.add_error("epci", _("Cette intercommunalité n'est pas dans la région."))
        product = None
        if data.get("product"):
            product = Product.objects.filter(code=data["product"]).first()
            if product is None:
                self.add_error("product", _("Ce produit n'existe pas."))
        default_start, default_end = default_period(self.today)
        start, end = data.get("start") or default_start, data.get("end") or default_end
        if end < start:
            self.add_error("end", _("La fin de la période doit suivre son début."))
        elif (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("end", _("La période ne peut pas dépasser un an."))
        elif end > self.today + timedelta(days=7):
            self.add_error("end", _("La période ne peut pas finir dans le futur."))
        if not self.errors:
            self.filters = DashboardFilters(
                region=region, departement=departement, epci=epci, start=start, end=end, product=product
            )
        return data

    def get_filters(self) -> DashboardFilters:
        """The validated filters, or InvalidInput (400) with the first error in French."""
        if not self.is_valid():
            field, errors = next(iter(self.errors.items()))
            raise InvalidInput(errors[0], code="invalid_filter", field=None if field == "__all__" else field)
        return self.filters


class ExportForm(forms.Form):
    """The per-professional dispensation export: one region, one month."""

    region = forms.CharField(label=_("Région"), required=False, max_length=3)
    month = forms.CharField(
        label=_("Mois"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        try:
            year, month = (int(part) for part in value.split("-"))
            first = date(year, month, 1)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("Indiquez un mois au format AAAA-MM.")) from None
        if first > timezone.localdate():
            raise forms.ValidationError(_("Ce mois n'a pas encore commencé."))
        return first

    def clean_region(self):
        code = (self.cleaned_data.get("region") or "").strip() or self.user.region_id
        if not code:
            raise forms.ValidationError(_("Choisissez une région."))
        ensure_region_scope(self.user, code)
        region = Region.objects.filter(pk=code).first()
        if region is None:
            raise forms.ValidationError(_("Cette région n'existe pas."))
        return region

    def period(self) -> tuple[date, date]:
        first = self.cleaned_data["month"]
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return first, following - timedelta(days=1)
