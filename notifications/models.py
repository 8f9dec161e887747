"""Notifications: an outbox of deliveries, the in-portal inbox, preferences, crisis bulletins.

A separate app because the same outbox serves stock arrivals (pharmacies), crisis
bulletins (ARS / CPTS), option reminders (distribution) and the e-mails of the solidarity
consultations (patients have no account: their e-mail address alone is the recipient).

Exactly-once rests on three things:
- a `Delivery` row is written in the same transaction as the event it announces;
- `delivery_key` is unique per (event, recipient, channel): a second row cannot exist;
- a worker claims a row with a conditional UPDATE that changes exactly one row before
  sending it, and marks it sent with the same claim token (see notifications.delivery).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PORTAL = "portal", _("Notification dans le portail")


class DeliveryKind(models.TextChoices):
    STOCK_ARRIVAL = "stock_arrival", _("Arrivée de masques")
    BULLETIN = "bulletin", _("Bulletin de crise")
    OPTION_REMINDER = "option_reminder", _("Rappel d'option")
    STOCKOUT_SUMMARY = "stockout_summary", _("Synthèse des ruptures")
    # Solidarity consultations: patients have no account, the address is the recipient.
    BOOKING_CONFIRMATION = "booking_confirmation", _("Confirmation de rendez-vous")
    BOOKING_REMINDER = "booking_reminder", _("Rappel de rendez-vous")
    BOOKING_CANCELLED = "booking_cancelled", _("Annulation de rendez-vous")
    WAITING_LIST_JOINED = "waiting_list_joined", _("Inscription sur liste d'attente")
    WAITING_LIST_NOTICE = "waiting_list_notice", _("Créneau libéré")
    # CPTS crisis console (crisis app): a professional is asked to reinforce.
    REINFORCEMENT_REQUEST = "reinforcement", _("Demande de renfort")
    ACCOUNT_APPROVED = "account_approved", _("Compte validé")
    # allauth's own e-mails: address verification, password reset, login codes, notices.
    ACCOUNT_MESSAGE = "account_message", _("Message du compte")
    # Care sites (referrals app): a slip to the site's address, a silent site to its CPTS and ARS.
    REFERRAL_SLIP = "referral_slip", _("Fiche d'adressage")
    SITE_SILENT = "site_silent", _("Site de soins sans nouvelles")
    # Second-line specialists: a link only, never the content of the request.
    ADVICE_REQUEST = "advice_request", _("Demande d'avis spécialisé")
    ADVICE_ANSWER = "advice_answer", _("Suivi d'une demande d'avis")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec définitif")
    SKIPPED = "skipped", _("Sans objet")


class NotificationPreference(models.Model):
    """The channels a professional chose; no row means the defaults (e-mail and portal)."""

    professional = models.OneToOneField(
        "professionals.Professional", on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("par e-mail"), default=True)
    sms = models.BooleanField(_("par SMS"), default=False)
    portal = models.BooleanField(_("dans le portail"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self):
        return f"{self.professional}: {', '.join(self.channels()) or '—'}"

    def channels(self) -> list[str]:
        return [channel for channel in Channel.values if getattr(self, channel)]


class ArrivalNotice(models.Model):
    """A stock arrival announced to the professionals referenced at the pharmacy."""

    movement = models.OneToOneField(
        "pharmacies.StockMovement", on_delete=models.PROTECT, related_name="arrival_notice"
    )
    pharmacy = models.ForeignKey("pharmacies.Pharmacy", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantité reçue"))
    available = models.IntegerField(_("disponible après l'arrivée"))
    recipients = models.PositiveIntegerField(_("professionnels référencés"), default=0)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("annonce d'arrivée")
        verbose_name_plural = _("annonces d'arrivée")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.pharmacy} — {self.product}: +{self.quantity}"


class CallMark(models.Model):
    """The pharmacist reached a referenced professional by phone after an arrival."""

    notice = models.ForeignKey(ArrivalNotice, on_delete=models.CASCADE, related_name="call_marks")
    professional = models.ForeignKey("professionals.Professional", on_delete=models.CASCADE, related_name="+")
    reached_at = models.DateTimeField(_("joint le"), auto_now_add=True)
    reached_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("appel")
        verbose_name_plural = _("appels")
        constraints = [
            models.UniqueConstraint(fields=["notice", "professional"], name="one_call_mark_per_arrival")
        ]

    def __str__(self):
        return f"{self.notice_id}/{self.professional_id}"


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Vigilance")
    CRITICAL = "critical", _("Alerte")


class CoordinatorScope(models.Model):
    """The territory of a CPTS coordinator: the EPCIs and communes their CPTS covers."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cpts_scope")
    name = models.CharField(_("nom de la CPTS"), max_length=200)
    epcis = models.ManyToManyField("territories.Epci", blank=True, related_name="+")
    communes = models.ManyToManyField("territories.Commune", blank=True, related_name="+")

    class Meta:
        verbose_name = _("territoire de CPTS")
        verbose_name_plural = _("territoires de CPTS")

    def __str__(self):
        return self.name


TITLE_MAX = 200
BODY_MAX = 5000


class CrisisBulletin(models.Model):
    """A bulletin under the CPTS "situations sanitaires exceptionnelles" protocol."""

    title = models.CharField(_("titre"), max_length=TITLE_MAX)
    body = models.TextField(_("message"), max_length=BODY_MAX)
    severity = models.CharField(_("gravité"), max_length=10, choices=Severity.choices, default=Severity.INFO)
    is_public = models.BooleanField(_("affiché au public sur la page d'accueil"), default=False)
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+")
    # Empty lists mean "the whole region" (or, for a CPTS, its whole territory).
    departements = models.ManyToManyField("territories.Departement", blank=True, related_name="+")
    epcis = models.ManyToManyField("territories.Epci", blank=True, related_name="+")
    communes = models.ManyToManyField("territories.Commune", blank=True, related_name="+")
    # Profession codes (professionals.Profession); empty means every profession.
    professions = models.JSONField(_("professions"), default=list, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=20)
    published_at = models.DateTimeField(_("publié le"), auto_now_add=True, db_index=True)
    recipients = models.PositiveIntegerField(_("destinataires"), default=0)
    # A drill (exercice): marked EXERCICE in its subject, SMS, portal notification and pages.
    is_drill = models.BooleanField(_("exercice"), default=False)
    fanout_enqueued_at = models.DateTimeField(null=True, blank=True)
    fanout_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(name="bulletin_title_not_empty", condition=~Q(title="")),
            models.CheckConstraint(name="bulletin_body_not_empty", condition=~Q(body="")),
            models.CheckConstraint(
                name="bulletin_severity_known", condition=Q(severity__in=["info", "warning", "critical"])
            ),
        ]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """The outbox: one message to one recipient on one channel, delivered at most once."""

    delivery_key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=DeliveryKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    professional = models.ForeignKey(
        "professionals.Professional", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Address at the time of the event: e-mail address or phone number ("" for the portal).
    address = models.CharField(max_length=254, blank=True)
    pharmacy = models.ForeignKey(
        "pharmacies.Pharmacy", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    arrival = models.ForeignKey(
        ArrivalNotice, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    bulletin = models.ForeignKey(
        CrisisBulletin, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    # E-mail attachments, e.g. a calendar file:
    # [{"filename": "consultation.ics", "content": "...", "mimetype": "text/calendar; method=CANCEL"}]
    attachments = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set by a claim that took the row over from a worker that died mid-send.
    recovered = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_due_idx",
            ),
            models.Index(
                fields=["professional", "pharmacy", "channel", "created_at"],
                condition=Q(kind="stock_arrival"),
                name="delivery_arrival_window_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="delivery_sent_has_sent_at",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
            models.CheckConstraint(
                name="delivery_has_a_recipient",
                condition=Q(professional__isnull=False)
                | Q(user__isnull=False)
                | (Q(channel__in=["email", "sms"]) & ~Q(address="")),
            ),
        ]

    def __str__(self):
        return self.delivery_key


class Notification(models.Model):
    """An in-portal notification (the portal channel of a delivery)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    delivery = models.OneToOneField(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification"
    )
    kind = models.CharField(max_length=20, choices=DeliveryKind.choices)
    title = models.CharField(_("titre"), max_length=255)
    body = models.TextField(_("message"))
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.title
