"""French administrative divisions: reference data loaded from data/territories.json.gz.

Rows are only written by the load_territories command, never by users. Codes are the
official ones (INSEE for regions, départements and communes, SIREN for EPCIs), so they are
the primary keys and other apps can refer to them in URLs and fixtures.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("région")
        verbose_name_plural = _("régions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Departement(models.Model):
    code = models.CharField(_("code INSEE"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name=_("région"),
        on_delete=models.PROTECT,
        related_name="departements",
    )

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    """Établissement public de coopération intercommunale (an intercommunalité)."""

    class Kind(models.TextChoices):
        CC = "CC", _("Communauté de communes")
        CA = "CA", _("Communauté d'agglomération")
        CU = "CU", _("Communauté urbaine")
        METRO = "METRO", _("Métropole")

    code = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=5, choices=Kind.choices)
    population = models.PositiveIntegerField(_("population"), default=0)
    # The region of most of its member communes: a few EPCIs straddle a regional border.
    region = models.ForeignKey(
        Region,
        verbose_name=_("région"),
        on_delete=models.PROTECT,
        related_name="epcis",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("intercommunalité (EPCI)")
        verbose_name_plural = _("intercommunalités (EPCI)")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Commune(models.Model):
    insee_code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    departement = models.ForeignKey(
        Departement,
        verbose_name=_("département"),
        on_delete=models.PROTECT,
        related_name="communes",
    )
    # Denormalised from the département so that regional filters need no join.
    region = models.ForeignKey(
        Region,
        verbose_name=_("région"),
        on_delete=models.PROTECT,
        related_name="communes",
    )
    epci = models.ForeignKey(
        Epci,
        verbose_name=_("intercommunalité (EPCI)"),
        on_delete=models.SET_NULL,
        related_name="communes",
        null=True,
        blank=True,
    )
    population = models.PositiveIntegerField(_("population"), default=0)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    position_is_approximate = models.BooleanField(
        _("position approximative"),
        default=False,
        help_text=_("Position estimée à partir des communes voisines, faute de source précise."),
    )
    # normalize_name(name): lower case, no accents, "st" spelt "saint"; for prefix search.
    search_name = models.CharField(_("nom normalisé"), max_length=100, db_index=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name", "insee_code"]
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="commune_lat_lng_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="commune_position_on_earth",
            ),
            # ASCII digits only (`\d` would take other scripts' digits); Corsica's 2A/2B.
            models.CheckConstraint(
                condition=models.Q(insee_code__regex=r"^([0-9]{2}|2[AB])[0-9]{3}$"),
                name="commune_insee_code_ascii",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.departement_id})"


class PostalCode(models.Model):
    # One postal code may serve several communes and a commune may have several codes.
    code = models.CharField(_("code postal"), max_length=5, db_index=True)
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        on_delete=models.CASCADE,
        related_name="postal_codes",
    )

    class Meta:
        verbose_name = _("code postal")
        verbose_name_plural = _("codes postaux")
        ordering = ["code", "commune_id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "commune"], name="postal_code_unique_per_commune"),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{5}$"), name="postal_code_ascii_digits"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.commune.name}"


class DataLoad(models.Model):
    """One run of load_territories, so that `load_territories --if-changed` (make run)
    can skip reloading the file it already loaded."""

    file_sha256 = models.CharField(_("empreinte SHA-256 du fichier"), max_length=64)
    # Sorted region codes separated by commas; empty for all of France.
    regions = models.CharField(_("régions"), max_length=200, blank=True)
    loaded_at = models.DateTimeField(_("chargé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("chargement du référentiel")
        verbose_name_plural = _("chargements du référentiel")
        ordering = ["-loaded_at"]

    def __str__(self):
        return f"{self.loaded_at:%Y-%m-%d %H:%M} {self.regions or 'France'} {self.file_sha256[:12]}"


class GeocodingFallbackReason(models.TextChoices):
    UNAVAILABLE = "unavailable", _("service injoignable ou réponse invalide")
    NOT_FOUND = "not_found", _("adresse introuvable dans la commune")


class GeocodingFallback(models.Model):
    """How many addresses got their commune's position instead of their own, per day and
    reason, so that an administrator sees a dead or moved geocoder (admin) rather than
    pharmacies quietly placed at the town hall."""

    day = models.DateField(_("jour"))
    reason = models.CharField(_("raison"), max_length=20, choices=GeocodingFallbackReason.choices)
    count = models.PositiveIntegerField(_("adresses"), default=0)
    last_commune = models.CharField(_("dernière commune (INSEE)"), max_length=5, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=200, blank=True)
    last_at = models.DateTimeField(_("dernière fois"))

    class Meta:
        verbose_name = _("repli du géocodage sur la commune")
        verbose_name_plural = _("replis du géocodage sur la commune")
        ordering = ["-day", "reason"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "reason"], name="geocoding_fallback_one_row_per_day_reason"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.reason}: {self.count}"
