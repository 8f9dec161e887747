from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gomask.identifiers import validate_finess


class PositionPrecision(models.TextChoices):
    ADDRESS = "address", _("adresse")
    COMMUNE = "commune", _("commune (position approchée)")


class Pharmacy(models.Model):
    """An officine, identified by its FINESS number."""

    finess = models.CharField(_("numéro FINESS"), max_length=9, unique=True, validators=[validate_finess])
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=255)
    commune = models.ForeignKey("territories.Commune", verbose_name=_("commune"), on_delete=models.PROTECT)
    # Denormalised from the commune so that regional screens filter without joins.
    departement = models.ForeignKey(
        "territories.Departement", on_delete=models.PROTECT, related_name="pharmacies"
    )
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="pharmacies")
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    position_precision = models.CharField(
        max_length=10, choices=PositionPrecision.choices, default=PositionPrecision.COMMUNE
    )
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("ouverte"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("officine")
        verbose_name_plural = _("officines")
        ordering = ["name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="pharmacy_position_idx")]
        constraints = [
            models.CheckConstraint(
                name="pharmacy_position_in_range",
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.commune.name})"


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("En attente de validation")
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Révoquée")


class PharmacyMembership(models.Model):
    """A pharmacist (titulaire or adjoint) who may act for a pharmacy."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pharmacy_memberships"
    )
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.CASCADE, related_name="memberships")
    is_owner = models.BooleanField(_("titulaire"), default=False)
    status = models.CharField(
        _("statut"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pharmacien de l'officine")
        verbose_name_plural = _("pharmaciens des officines")
        constraints = [
            models.UniqueConstraint(fields=["user", "pharmacy"], name="one_membership_per_pharmacy")
        ]

    def __str__(self):
        return f"{self.user} @ {self.pharmacy}"
