"""The observatory's filters: region (administrators), level, département, profession, indicator."""

from django import forms
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import ensure_region_scope
from observatory import selectors
from territories.models import Departement, Region


def _choices(mapping):
    return [(key, label) for key, label in mapping.items()]


class ObservatoryFilterForm(forms.Form):
    region = forms.CharField(label=_("Région"), required=False, max_length=3)
    level = forms.ChoiceField(label=_("Niveau"), required=False, choices=_choices(selectors.LEVELS))
    departement = forms.CharField(label=_("Département"), required=False, max_length=3)
    profession = forms.ChoiceField(
        label=_("Profession"), required=False, choices=_choices(selectors.PROFESSIONS)
    )
    indicator = forms.ChoiceField(
        label=_("Indicateur de la carte"), required=False, choices=_choices(selectors.INDICATORS)
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters = None

    def _region(self, code: str) -> Region | None:
        if self.user.role != Role.ADMIN:
            # ARS staff and CPTS coordinators: their own region; another one is refused (403).
            if code and code != self.user.region_id:
                ensure_region_scope(self.user, code)
            code = self.user.region_id
        if not code:
            code = self.user.region_id or _busiest_region()
        return Region.objects.filter(pk=code).first()

    def clean(self):
        data = super().clean()
        region = self._region((data.get("region") or "").strip().upper())
        if region is None:
            self.add_error("region", _("Cette région n'existe pas."))
            return data
        departement = None
        code = (data.get("departement") or "").strip().upper()
        if code:
            departement = Departement.objects.filter(pk=code, region=region).first()
            if departement is None:
                self.add_error("departement", _("Ce département n'est pas dans la région."))
        if self.errors:
            return data
        if self.user.role == Role.CPTS_COORDINATOR:
            territory = selectors.cpts_territory(self.user, region)
        else:
            territory = selectors.Territory(region=region)
        self.filters = selectors.ObservatoryFilters(
            territory=territory,
            level=data.get("level") or selectors.EPCI,
            departement=departement,
            profession=data.get("profession") or selectors.GENERAL_PRACTICE,
            indicator=data.get("indicator") or selectors.ACCESSIBILITY,
        )
        return data


def _busiest_region() -> str | None:
    """An administrator without a region lands on the region with the most communes."""
    from territories.models import Commune

    return (
        Commune.objects.values("region")
        .annotate(n=Count("pk"))
        .order_by("-n", "region")
        .values_list("region", flat=True)
        .first()
    )
