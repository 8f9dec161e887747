"""Care-site status and referral slips.

The sites themselves are `distribution.CareSite` (supplied from the regional stock too); this
app keeps what their managers declare (the current status, one row per site, and its history)
and the slips professionals send to a site.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gomask.cleaning import MAX_QUANTITY

REASON_MAX = 200


class SiteState(models.TextChoices):
    OPEN = "open", _("Ouvert")
    SATURATED = "saturated", _("Saturé")
    CLOSED = "closed", _("Fermé")


class _StatusFields(models.Model):
    state = models.CharField(_("état"), max_length=10, choices=SiteState.choices)
    capacity_left = models.PositiveIntegerField(_("places restantes aujourd'hui"), null=True, blank=True)
    covid_track = models.BooleanField(_("filière COVID"), default=False)
    non_covid_track = models.BooleanField(_("filière non COVID"), default=False)
    accepts_referrals = models.BooleanField(_("accepte les patients adressés"), default=False)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(_("déclaré le"))

    class Meta:
        abstract = True


class SiteStatus(_StatusFields):
    """The current status of a care site: its manager's last declaration.

    `silence_flagged_at` is set when the site's CPTS and ARS were told it has been silent, and
    cleared by the next declaration: one message per silence.
    """

    site = models.OneToOneField(
        "distribution.CareSite", primary_key=True, on_delete=models.CASCADE, related_name="status"
    )
    silence_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("statut de site")
        verbose_name_plural = _("statuts de sites")
        indexes = [models.Index(fields=["declared_at"], name="site_status_declared_idx")]
        constraints = [
            models.CheckConstraint(
                name="site_status_state_known", condition=Q(state__in=["open", "saturated", "closed"])
            ),
            models.CheckConstraint(
                name="site_status_capacity_in_range",
                condition=Q(capacity_left__isnull=True) | Q(capacity_left__lte=MAX_QUANTITY),
            ),
        ]

    def __str__(self):
        return f"{self.site_id}: {self.state}"

    @property
    def is_stale(self) -> bool:
        """Older than REFERRAL_STALE_HOURS: shown as such."""
        return timezone.now() - self.declared_at > timedelta(hours=settings.REFERRAL_STALE_HOURS)


class StatusReport(_StatusFields):
    """One declaration, kept as the site's status history."""

    site = models.ForeignKey("distribution.CareSite", on_delete=models.CASCADE, related_name="status_reports")

    class Meta:
        verbose_name = _("déclaration de statut")
        verbose_name_plural = _("déclarations de statut")
        ordering = ["-declared_at", "-id"]
        indexes = [models.Index(fields=["site", "-declared_at"], name="status_report_site_idx")]
        constraints = [
            models.CheckConstraint(
                name="status_report_state_known", condition=Q(state__in=["open", "saturated", "closed"])
            ),
        ]

    def __str__(self):
        return f"{self.site_id}: {self.state} ({self.declared_at:%Y-%m-%d %H:%M})"


class Referral(models.Model):
    """A referral slip: a patient sent by a professional to a site, with a reason in a few words.

    No identity of the patient and no health data beyond the short reason; deleted after
    REFERRAL_RETENTION_DAYS.
    """

    site = models.ForeignKey("distribution.CareSite", on_delete=models.CASCADE, related_name="referrals")
    reason = models.CharField(_("motif"), max_length=REASON_MAX)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sender_name = models.CharField(_("adressé par"), max_length=255)
    sender_phone = models.CharField(_("téléphone de l'émetteur"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("émise le"), db_index=True)

    class Meta:
        verbose_name = _("fiche d'adressage")
        verbose_name_plural = _("fiches d'adressage")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="referral_reason_not_empty", condition=~Q(reason="")),
        ]

    def __str__(self):
        return f"{self.site_id} ← {self.sender_id} ({self.created_at:%Y-%m-%d})"
