"""Second-line specialists and the requests for advice (télé-expertise) sent to them.

The content of a request (question, answer, attachments and their names) is stored encrypted
(specialists/crypto.py) and is readable only by the requester and the specialist who accepted;
each read is an `AccessLogEntry`. After the retention period the content is deleted and the
metadata (specialty, urgency, times, territory) stays for the figures.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from specialists.specialties import CHOICES as SPECIALTY_CHOICES


class ResponseCommitment(models.IntegerChoices):
    HOURS_3 = 3, _("dans les 3 heures")
    HOURS_24 = 24, _("sous 24 heures")
    HOURS_48 = 48, _("sous 48 heures")
    HOURS_72 = 72, _("sous 72 heures")


class SpecialistProfile(models.Model):
    """A specialist who opted in to take requests for advice from their area."""

    professional = models.OneToOneField(
        "professionals.Professional", on_delete=models.CASCADE, related_name="specialist_profile"
    )
    specialty = models.CharField(_("spécialité"), max_length=10, choices=SPECIALTY_CHOICES)
    radius_km = models.PositiveSmallIntegerField(_("rayon d'intervention (km)"), default=60)
    response_hours = models.PositiveSmallIntegerField(
        _("engagement de réponse"), choices=ResponseCommitment.choices, default=ResponseCommitment.HOURS_24
    )
    is_active = models.BooleanField(_("accepte des demandes"), default=True)
    opted_in_at = models.DateTimeField(_("inscrit le"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("spécialiste (avis)")
        verbose_name_plural = _("spécialistes (avis)")
        constraints = [
            models.CheckConstraint(
                name="specialist_radius_range", condition=Q(radius_km__gte=5) & Q(radius_km__lte=300)
            ),
        ]
        indexes = [models.Index(fields=["specialty", "is_active"], name="specialist_by_specialty_idx")]

    def __str__(self):
        return f"{self.professional} ({self.get_specialty_display()})"


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Non urgent (sous quelques jours)")
    DAY = "day", _("Sous 24 heures")
    URGENT = "urgent", _("Urgent (dans les 3 heures)")


class RequestStatus(models.TextChoices):
    SENT = "sent", _("Envoyée")
    ACCEPTED = "accepted", _("Acceptée")
    ANSWERED = "answered", _("Répondue")
    EXPIRED = "expired", _("Expirée")


class AdviceRequest(models.Model):
    requester = models.ForeignKey(
        "professionals.Professional", on_delete=models.PROTECT, related_name="advice_requests"
    )
    specialty = models.CharField(_("spécialité"), max_length=10, choices=SPECIALTY_CHOICES)
    urgency = models.CharField(_("urgence"), max_length=10, choices=Urgency.choices)
    status = models.CharField(
        _("état"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    # Where the requester practised when sending: the centre of the circles and the territory
    # of the figures (kept after the content is purged).
    commune = models.ForeignKey(
        "territories.Commune", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    # Index in SPECIALISTS_CIRCLES_KM of the circle the request is offered in, and since when.
    circle = models.PositiveSmallIntegerField(default=0)
    radius_km = models.PositiveSmallIntegerField(_("rayon actuel (km)"))
    circle_started_at = models.DateTimeField()
    # Encrypted content (Fernet tokens, text); emptied by the retention purge.
    question_token = models.TextField(blank=True)
    answer_token = models.TextField(blank=True)
    accepted_by = models.ForeignKey(
        "professionals.Professional",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accepted_advice_requests",
    )
    created_at = models.DateTimeField(_("envoyée le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expirée le"), null=True, blank=True)
    content_purged_at = models.DateTimeField(_("contenu effacé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande d'avis")
        verbose_name_plural = _("demandes d'avis")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "circle_started_at"], name="advice_open_idx"),
            models.Index(fields=["specialty", "status"], name="advice_by_specialty_idx"),
            models.Index(fields=["created_at"], name="advice_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="advice_accepted_has_owner",
                condition=Q(status="sent")
                | Q(status="expired", accepted_by__isnull=True)
                | (Q(accepted_by__isnull=False) & Q(accepted_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="advice_answered_has_time",
                condition=~Q(status="answered") | Q(answered_at__isnull=False),
            ),
            models.CheckConstraint(
                name="advice_owner_is_not_requester",
                condition=Q(accepted_by__isnull=True) | ~Q(accepted_by=F("requester")),
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_specialty_display()} ({self.get_status_display()})"


class Attachment(models.Model):
    """A file the requester joined (PDF, JPEG or PNG), encrypted; deleted by the purge."""

    request = models.ForeignKey(AdviceRequest, on_delete=models.CASCADE, related_name="attachments")
    name_token = models.TextField()
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    data_token = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["pk"]

    def __str__(self):
        return f"#{self.request_id}/{self.pk}"


class AccessAction(models.TextChoices):
    READ_REQUEST = "read_request", _("Lecture de la demande")
    READ_ATTACHMENT = "read_attachment", _("Lecture d'une pièce jointe")


class AccessLogEntry(models.Model):
    """Who read what of a request, and when (kept after the content is purged)."""

    request = models.ForeignKey(AdviceRequest, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=AccessAction.choices)
    attachment_id = models.BigIntegerField(_("pièce jointe"), null=True, blank=True)
    at = models.DateTimeField(_("le"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("accès à une demande d'avis")
        verbose_name_plural = _("journal des accès aux demandes d'avis")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} #{self.request_id}"
