"""Derived tables of the observatory of access to care.

Everything here except the DREES file is recomputed from the directory (professionals) and
the INSEE populations (territories) by `services.compute_access` (a scheduled task), so the
page reads ready figures and never computes per request. The DREES APL rows come from the
official file an administrator imports (`manage.py import_drees_apl`).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AccessRun(models.Model):
    """One computation of the observatory: when, how long, over what."""

    started_at = models.DateTimeField(_("début"))
    finished_at = models.DateTimeField(_("fin"))
    communes = models.PositiveIntegerField(_("communes"))
    general_practitioners = models.PositiveIntegerField(_("médecins généralistes"))
    supply_communes = models.PositiveIntegerField(_("communes d'exercice de généralistes"))

    class Meta:
        verbose_name = _("calcul de l'observatoire")
        verbose_name_plural = _("calculs de l'observatoire")
        ordering = ["-finished_at"]

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M}"


class AreaAccess(models.Model):
    """Shared columns of a commune's and an EPCI's figures."""

    population = models.PositiveIntegerField(_("population"))
    # Active professionals (still in the directory) practising there, by profession code.
    professionals = models.JSONField(_("professionnels par profession"), default=dict)
    general_practitioners = models.PositiveIntegerField(_("médecins généralistes"), default=0)
    # Commune: to the nearest commune where a GP practises (0 when one practises there);
    # EPCI: mean over its communes weighted by population. Null when no GP anywhere.
    nearest_gp_km = models.FloatField(_("distance au généraliste le plus proche (km)"), null=True)
    # 2SFCA: general practitioners within reach per 100,000 inhabitants (EPCI: weighted mean).
    accessibility = models.FloatField(_("accessibilité (2SFCA)"))
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        abstract = True


class CommuneAccess(AreaAccess):
    commune = models.OneToOneField(
        "territories.Commune", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # Denormalised so that a region's or an EPCI's rows need no join.
    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    departement = models.ForeignKey("territories.Departement", on_delete=models.CASCADE, related_name="+")
    epci = models.ForeignKey(
        "territories.Epci", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("accès aux soins d'une commune")
        verbose_name_plural = _("accès aux soins des communes")
        indexes = [models.Index(fields=["region", "accessibility"], name="commune_access_region_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(accessibility__gte=0) & (Q(nearest_gp_km__isnull=True) | Q(nearest_gp_km__gte=0)),
                name="commune_access_non_negative",
            )
        ]

    def __str__(self):
        return f"{self.commune_id}: {self.accessibility:.1f}"


class EpciAccess(AreaAccess):
    epci = models.OneToOneField(
        "territories.Epci", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey("territories.Region", on_delete=models.CASCADE, related_name="+")
    communes = models.PositiveIntegerField(_("communes"), default=0)
    # Centroid of its communes weighted by population (where the map draws it).
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("accès aux soins d'une intercommunalité")
        verbose_name_plural = _("accès aux soins des intercommunalités")
        indexes = [models.Index(fields=["region", "accessibility"], name="epci_access_region_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(accessibility__gte=0) & (Q(nearest_gp_km__isnull=True) | Q(nearest_gp_km__gte=0)),
                name="epci_access_non_negative",
            )
        ]

    def __str__(self):
        return f"{self.epci_id}: {self.accessibility:.1f}"


class DreesImport(models.Model):
    """One import of the official DREES APL file."""

    imported_at = models.DateTimeField(_("importé le"), auto_now_add=True)
    imported_by = models.CharField(_("importé par"), max_length=200, blank=True)
    file_name = models.CharField(_("fichier"), max_length=255)
    sheet = models.CharField(_("feuille"), max_length=100)
    year = models.PositiveSmallIntegerField(_("année"))
    rows = models.PositiveIntegerField(_("communes importées"))
    skipped = models.PositiveIntegerField(_("lignes ignorées"))

    class Meta:
        verbose_name = _("import de l'APL de la DREES")
        verbose_name_plural = _("imports de l'APL de la DREES")
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.file_name} ({self.year})"


class DreesApl(models.Model):
    """The official APL to general practitioners of a commune for a year (consultations and
    visits accessible per inhabitant and per year, age-standardised)."""

    commune = models.ForeignKey("territories.Commune", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.FloatField(_("APL DREES"))
    source = models.ForeignKey(DreesImport, on_delete=models.CASCADE, related_name="values")

    class Meta:
        verbose_name = _("APL de la DREES")
        verbose_name_plural = _("APL de la DREES")
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="drees_apl_one_per_commune_year"),
            models.CheckConstraint(condition=Q(value__gte=0), name="drees_apl_non_negative"),
        ]
        indexes = [models.Index(fields=["year"], name="drees_apl_year_idx")]

    def __str__(self):
        return f"{self.commune_id} {self.year}: {self.value}"
