"""Derived planning data: the nightly stock-out forecast and the proposals drawn from it.

The forecast is rebuilt every night (planning.forecast) and can be dropped and rebuilt; a
proposal becomes real only through the transfer and shipment services (planning.services).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gomask.cleaning import MAX_QUANTITY


class StockForecast(models.Model):
    """One pharmacy x product: stock, expected demand, days of cover, stock-out date."""

    pharmacy = models.ForeignKey("pharmacies.Pharmacy", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.CASCADE, related_name="+")
    computed_on = models.DateField(_("calculée le"))
    on_hand = models.IntegerField(_("en stock"))
    reserved = models.IntegerField(_("réservé (options)"))
    # Masks per day: the recent dispensation rate (exponentially weighted over 14 days), the
    # ceiling of the referenced professionals' quotas, and the expected demand (the smaller one).
    recent_rate = models.FloatField(_("délivrances récentes par jour"))
    quota_ceiling = models.FloatField(_("plafond des quotas par jour"))
    daily_demand = models.FloatField(_("demande attendue par jour"))
    referenced = models.IntegerField(_("professionnels référencés"))
    days_of_cover = models.FloatField(_("jours de couverture"), null=True, blank=True)
    stockout_on = models.DateField(_("rupture prévue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("prévision de rupture")
        verbose_name_plural = _("prévisions de rupture")
        constraints = [
            models.UniqueConstraint(fields=["pharmacy", "product"], name="one_forecast_per_stock"),
        ]
        indexes = [models.Index(fields=["product", "days_of_cover"], name="forecast_cover_idx")]

    def __str__(self):
        return f"{self.pharmacy_id}/{self.product_id}: {self.days_of_cover}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class ProposalKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfert entre officines")
    REGIONAL = "regional", _("Envoi du stock régional")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposée")
    ACCEPTED = "accepted", _("Acceptée par l'ARS, en attente de l'officine")
    DONE = "done", _("Réalisée")
    DISMISSED = "dismissed", _("Écartée")


class Proposal(models.Model):
    """A transfer between two pharmacies, or a shipment from the regional stock, that removes
    a predicted stock-out without taking the sender below the minimum cover."""

    kind = models.CharField(_("nature"), max_length=10, choices=ProposalKind.choices)
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey("pharmacies.Pharmacy", on_delete=models.PROTECT, related_name="+")
    sender = models.ForeignKey(
        "pharmacies.Pharmacy", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantité (masques)"))
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    computed_on = models.DateField(_("proposée le"))
    status = models.CharField(
        _("statut"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    # The one-time token handed to the transfer service: a replay transfers nothing more.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    carried_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transfer_movement = models.OneToOneField(
        "pharmacies.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.OneToOneField(
        "distribution.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("proposition de rééquilibrage")
        verbose_name_plural = _("propositions de rééquilibrage")
        ordering = ["computed_on", "id"]
        constraints = [
            models.CheckConstraint(
                name="proposal_quantity_in_range", condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY)
            ),
            models.CheckConstraint(
                name="proposal_sender_matches_kind",
                condition=(Q(kind="transfer") & Q(sender__isnull=False) & ~Q(sender=models.F("recipient")))
                | (Q(kind="regional") & Q(sender__isnull=True)),
            ),
            models.CheckConstraint(
                name="proposal_done_is_carried_out",
                condition=~Q(status="done") | Q(transfer_movement__isnull=False) | Q(shipment__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} → {self.recipient_id}"
