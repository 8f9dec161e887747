"""Solidarity consultations in priority zones (Pacte de lutte contre les déserts médicaux).

Priority zones are EPCIs designated by the ARS; consultation sites sit in them; volunteer
doctors (médecins solidaires) state where and when they can come; ARS staff or a site's
coordinator match a volunteer to a site for some days (a mission) and publish its slots;
patients book a slot without an account.

The zone model lives here rather than in territories (where architecture.md first put it):
territories only holds read-only reference data loaded by a command, while a priority zone
is a decision of the ARS, written by people, and only consultations use it.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gomask.phones import PhoneField, phone_check


class PriorityZone(models.Model):
    """An EPCI designated by the ARS as a priority territory for access to a doctor."""

    epci = models.OneToOneField(
        "territories.Epci",
        verbose_name=_("intercommunalité (EPCI)"),
        on_delete=models.PROTECT,
        related_name="priority_zone",
    )
    region = models.ForeignKey(
        "territories.Region", verbose_name=_("région"), on_delete=models.PROTECT, related_name="+"
    )
    designated_at = models.DateField(_("désignée le"))
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("désignée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("zone prioritaire")
        verbose_name_plural = _("zones prioritaires")
        ordering = ["epci__name"]

    def __str__(self):
        return self.epci.name


class SiteKind(models.TextChoices):
    CABINET = "cabinet", _("Cabinet médical")
    MAISON_DE_SANTE = "maison_de_sante", _("Maison de santé")
    CENTRE_DE_SANTE = "centre_de_sante", _("Centre de santé")


class Site(models.Model):
    """A place where volunteer doctors give consultations."""

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=SiteKind.choices)
    zone = models.ForeignKey(
        PriorityZone, verbose_name=_("zone prioritaire"), on_delete=models.PROTECT, related_name="sites"
    )
    address = models.CharField(_("adresse"), max_length=255)
    commune = models.ForeignKey(
        "territories.Commune", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    phone = PhoneField(_("téléphone"), max_length=20, blank=True)
    access = models.TextField(
        _("accès"),
        blank=True,
        help_text=_("Pour les patients : entrée, stationnement, transports, accessibilité en fauteuil."),
    )
    equipment = models.TextField(_("équipement disponible"), blank=True)
    lodging_options = models.TextField(_("hébergement proposé aux médecins"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinateurs"),
        blank=True,
        related_name="coordinated_sites",
    )

    class Meta:
        verbose_name = _("lieu de consultation")
        verbose_name_plural = _("lieux de consultation")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "commune"], name="site_unique_name_per_commune"),
            models.CheckConstraint(
                name="site_position_on_earth",
                condition=Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180),
            ),
            phone_check("phone", "site_phone_e164"),
        ]

    def __str__(self):
        return self.name


class Volunteer(models.Model):
    """A médecin solidaire: where they accept to go, how often, and whether they need lodging."""

    professional = models.OneToOneField(
        "professionals.Professional",
        verbose_name=_("médecin"),
        on_delete=models.CASCADE,
        related_name="volunteer",
    )
    zones = models.ManyToManyField(PriorityZone, verbose_name=_("zones acceptées"), blank=True)
    sites = models.ManyToManyField(Site, verbose_name=_("lieux acceptés"), blank=True)
    max_days_per_month = models.PositiveSmallIntegerField(_("jours par mois au plus"), default=2)
    needs_lodging = models.BooleanField(_("besoin d'un hébergement"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("médecin solidaire")
        verbose_name_plural = _("médecins solidaires")
        constraints = [
            models.CheckConstraint(
                name="volunteer_days_per_month_in_range",
                condition=Q(max_days_per_month__gte=1, max_days_per_month__lte=31),
            )
        ]

    def __str__(self):
        return str(self.professional)


class Availability(models.Model):
    """A period during which a volunteer can come (both dates included)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="availabilities")
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))

    class Meta:
        verbose_name = _("disponibilité")
        verbose_name_plural = _("disponibilités")
        ordering = ["start_date", "end_date"]
        constraints = [
            models.CheckConstraint(
                name="availability_ends_after_start", condition=Q(end_date__gte=F("start_date"))
            )
        ]

    def __str__(self):
        return f"{self.start_date} → {self.end_date}"


class MissionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    PUBLISHED = "published", _("Créneaux publiés")
    CANCELLED = "cancelled", _("Annulée")


class Mission(models.Model):
    """A volunteer at a site for some consecutive days."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("médecin"), on_delete=models.PROTECT, related_name="missions"
    )
    site = models.ForeignKey(Site, verbose_name=_("lieu"), on_delete=models.PROTECT, related_name="missions")
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    status = models.CharField(
        _("statut"), max_length=20, choices=MissionStatus.choices, default=MissionStatus.PLANNED
    )
    lodging_confirmed = models.BooleanField(_("hébergement confirmé"), default=False)
    lodging_note = models.CharField(_("hébergement"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("créée par")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    # Until then, only residents of the zone without a médecin traitant may book.
    priority_until = models.DateTimeField(_("priorité jusqu'au"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["start_date", "site__name"]
        constraints = [
            models.CheckConstraint(
                name="mission_ends_after_start", condition=Q(end_date__gte=F("start_date"))
            ),
            models.CheckConstraint(
                name="mission_published_has_dates",
                condition=~Q(status="published")
                | Q(published_at__isnull=False, priority_until__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.site} · {self.volunteer} · {self.start_date}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class Slot(models.Model):
    """A consultation time slot of a mission."""

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("début"), db_index=True)
    ends_at = models.DateTimeField(_("fin"))

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(name="slot_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.UniqueConstraint(fields=["mission", "starts_at"], name="slot_unique_start_per_mission"),
        ]

    def __str__(self):
        return f"{self.mission.site} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def priority_until(self) -> datetime | None:
        """Until when only residents of the zone without a médecin traitant may book this slot.

        The mission's window (publication + PRIORITY_WINDOW_HOURS), closed at the latest
        PRIORITY_RELEASE_BEFORE_SLOT_HOURS before the slot starts: a window that outlived its
        slot would leave it unbookable for everyone else although the page says it opens to all.
        """
        until = self.mission.priority_until
        if until is None:
            return None
        return min(until, self.starts_at - timedelta(hours=settings.PRIORITY_RELEASE_BEFORE_SLOT_HOURS))

    def is_priority_at(self, moment: datetime) -> bool:
        until = self.priority_until
        return until is not None and moment < until


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Réservé")
    ATTENDED = "attended", _("Venu")
    NO_SHOW = "no_show", _("Absent")
    CANCELLED = "cancelled", _("Annulé")


ACTIVE_BOOKING_STATUSES = [BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]


class Booking(models.Model):
    """A patient's appointment, made without an account.

    Identity fields are emptied by the purge task a configurable time after the
    consultation (`purged_at` set); what remains is enough for aggregated statistics.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slot = models.ForeignKey(
        Slot, verbose_name=_("créneau"), on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    phone = PhoneField(_("téléphone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    # normalised "last|first|yyyy-mm-dd", for the limit on future bookings per person.
    identity_key = models.CharField(max_length=250, blank=True, db_index=True, editable=False)
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name=_("commune de résidence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lives_in_zone = models.BooleanField(_("réside dans la zone"), default=False)
    has_regular_doctor = models.BooleanField(_("a un médecin traitant"), default=True)
    became_regular_doctor = models.BooleanField(
        _("le médecin devient médecin traitant"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rendez-vous")
        verbose_name_plural = _("rendez-vous")
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=["booked", "attended", "no_show"]),
                name="booking_one_active_per_slot",
            ),
            models.CheckConstraint(
                name="booking_cancelled_has_date",
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
            ),
            phone_check("phone", "booking_phone_e164"),
        ]

    def __str__(self):
        return f"{self.slot} · {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES


class WaitingListEntry(models.Model):
    """An alert "tell me when a slot opens": an e-mail address or a mobile number, for one site
    or for a place (the sites within SLOT_ALERT_RADIUS_KM of a commune). Told once, through the
    outbox, when a slot frees up or is published there; then `notified_at` is set. Unsubscribing
    (signed link) deletes the row."""

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="waiting_list"
    )
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneField(_("téléphone mobile"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alerte créneau")
        verbose_name_plural = _("alertes créneaux")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "email", "phone"],
                condition=Q(notified_at__isnull=True, site__isnull=False),
                name="waiting_list_one_pending_per_site",
            ),
            models.UniqueConstraint(
                fields=["commune", "email", "phone"],
                condition=Q(notified_at__isnull=True, commune__isnull=False),
                name="waiting_list_one_pending_per_commune",
            ),
            models.CheckConstraint(
                name="waiting_list_one_target",
                condition=Q(site__isnull=False, commune__isnull=True)
                | Q(site__isnull=True, commune__isnull=False),
            ),
            models.CheckConstraint(
                name="waiting_list_one_contact",
                condition=(Q(email="") & ~Q(phone="")) | (~Q(email="") & Q(phone="")),
            ),
            phone_check("phone", "waiting_list_phone_e164"),
        ]

    def __str__(self):
        return f"{self.site or self.commune} · {self.email or self.phone}"
