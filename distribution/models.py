"""Quota policies, options (reservations), handovers (dispensations) and regional allocations.

Stock levels and their ledger live in `pharmacies`; everything here that moves stock does it
through `pharmacies.stock.lock_levels` + `record_movement` (see distribution/services.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gomask.cleaning import MAX_QUANTITY
from gomask.phones import PhoneField, phone_check
from professionals.models import Profession


class QuotaPeriod(models.TextChoices):
    WEEK = "week", _("Semaine (du lundi au dimanche)")


class QuotaPolicy(models.Model):
    """One version of a quota: masks per period for a profession and a product.

    Never edited: a new version is a new row. The version in force on a date is the latest
    `effective_from <= date`, a regional version taking precedence over the national ones.
    """

    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices)
    product = models.ForeignKey(
        "pharmacies.Product", verbose_name=_("produit"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(
        _("période"), max_length=10, choices=QuotaPeriod.choices, default=QuotaPeriod.WEEK
    )
    quantity = models.PositiveIntegerField(_("masques par période"))
    effective_from = models.DateField(_("en vigueur à partir du"))
    region = models.ForeignKey(
        "territories.Region",
        verbose_name=_("région"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Vide : quota national."),
    )
    note = models.CharField(_("référence"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version de quota")
        verbose_name_plural = _("versions de quota")
        ordering = ["profession", "product", "-effective_from", "-id"]
        indexes = [
            models.Index(
                fields=["profession", "product", "region", "-effective_from"], name="quota_policy_lookup_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                name="quota_policy_quantity_in_range",
                condition=Q(quantity__gte=0, quantity__lte=MAX_QUANTITY),
            ),
        ]

    def __str__(self):
        scope = self.region.name if self.region_id else _("national")
        from pharmacies.wording import masks

        label = f"{self.get_profession_display()} — {self.product}"
        return _("%(label)s : %(quantity)s par semaine (%(scope)s, à partir du %(date)s)") % {
            "label": label,
            "quantity": masks(self.quantity),
            "scope": scope,
            "date": self.effective_from.strftime("%d/%m/%Y"),
        }


class QuotaUsage(models.Model):
    """The lock row of one (professional, product, week).

    Every service that takes from a quota (reserve, dispense) or gives back to it (cancel,
    expire) locks this row FIRST, then the reservation rows, then the stock levels: one global
    order, so no deadlock. Usage itself is always recomputed from the real records while the
    lock is held; no counter is kept here.
    """

    professional = models.ForeignKey(
        "professionals.Professional", on_delete=models.CASCADE, related_name="quota_usages"
    )
    product = models.ForeignKey("pharmacies.Product", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("semaine du"))

    class Meta:
        verbose_name = _("verrou de quota")
        verbose_name_plural = _("verrous de quota")
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "product", "period_start"], name="one_quota_usage_per_period"
            )
        ]

    def __str__(self):
        return f"{self.professional_id}/{self.product_id}/{self.period_start}"


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Retirée")
    CANCELLED = "cancelled", _("Annulée")
    EXPIRED = "expired", _("Expirée")


class Reservation(models.Model):
    """An option: masks held at a pharmacy for a professional until `expires_at`."""

    professional = models.ForeignKey(
        "professionals.Professional", on_delete=models.PROTECT, related_name="reservations"
    )
    pharmacy = models.ForeignKey("pharmacies.Pharmacy", on_delete=models.PROTECT, related_name="reservations")
    product = models.ForeignKey("pharmacies.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantité"))
    period_start = models.DateField(_("semaine du"))
    status = models.CharField(
        _("statut"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("posée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hold_movement = models.ForeignKey(
        "pharmacies.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_movement = models.ForeignKey(
        "pharmacies.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["professional", "product", "period_start", "status"], name="reservation_usage_idx"
            ),
            models.Index(fields=["status", "expires_at"], name="reservation_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="reservation_quantity_in_range", condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY)
            ),
            models.CheckConstraint(
                name="reservation_expires_after_creation", condition=Q(expires_at__gt=F("created_at"))
            ),
            models.UniqueConstraint(
                fields=["professional", "pharmacy", "product"],
                condition=Q(status="active"),
                name="one_active_reservation_per_pharmacy_product",
            ),
        ]

    def __str__(self):
        return f"{self.professional} — {self.quantity} {self.product} @ {self.pharmacy}"

    def current_status(self, now=None) -> str:
        """The status as people must see it: an active option past its expiry is expired at once,
        even before the periodic sweep has released its stock (which it will do)."""
        if self.status == ReservationStatus.ACTIVE and self.expires_at <= (now or timezone.now()):
            return ReservationStatus.EXPIRED
        return self.status

    @property
    def is_active(self) -> bool:
        return self.current_status() == ReservationStatus.ACTIVE

    def get_current_status_display(self) -> str:
        return ReservationStatus(self.current_status()).label


class Dispensation(models.Model):
    """A handover of masks to a professional, after the pharmacist checked their identity."""

    professional = models.ForeignKey(
        "professionals.Professional", on_delete=models.PROTECT, related_name="dispensations"
    )
    pharmacy = models.ForeignKey(
        "pharmacies.Pharmacy", on_delete=models.PROTECT, related_name="dispensations"
    )
    product = models.ForeignKey("pharmacies.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantité"))
    policy = models.ForeignKey(
        QuotaPolicy, verbose_name=_("quota appliqué"), on_delete=models.PROTECT, related_name="dispensations"
    )
    period_start = models.DateField(_("semaine du"))
    reservation = models.OneToOneField(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="dispensation"
    )
    identity_checked = models.BooleanField(_("identité vérifiée"))
    dispensed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    movement = models.OneToOneField(
        "pharmacies.StockMovement", on_delete=models.PROTECT, related_name="dispensation"
    )
    created_at = models.DateTimeField(_("délivrée le"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("délivrance")
        verbose_name_plural = _("délivrances")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["professional", "product", "period_start"], name="dispensation_usage_idx"),
            models.Index(fields=["pharmacy", "-created_at"], name="dispensation_by_pharmacy_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="dispensation_quantity_in_range",
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
            ),
            models.CheckConstraint(name="dispensation_identity_checked", condition=Q(identity_checked=True)),
        ]

    def __str__(self):
        return f"{self.quantity} {self.product} → {self.professional} ({self.pharmacy})"


class CareSiteKind(models.TextChoices):
    COVID_CENTRE = "covid_centre", _("Centre de consultation COVID-19")
    LAB = "lab", _("Laboratoire de biologie médicale")
    SSE_CENTRE = "sse_centre", _("Centre de consultation SSE")
    HEALTH_HOUSE = "health_house", _("Maison de santé pluriprofessionnelle")
    HEALTH_CENTRE = "health_centre", _("Centre de santé")
    HOSPITAL_ENTRY = "hospital_entry", _("Accueil hospitalier (urgences, filière)")


CARE_SITE_TEXT_MAX = 500


class CareSite(models.Model):
    """A place where patients are seen or tested: COVID/SSE consultation centres, maisons and
    centres de santé, laboratories, hospital entry points.

    Supplied from the regional stock (shipments) and, with a status declared by its manager
    (the `referrals` app), a destination for patients sent by professionals. The position is
    the address's or, failing that, the commune's.
    """

    kind = models.CharField(_("type"), max_length=20, choices=CareSiteKind.choices)
    name = models.CharField(_("nom"), max_length=200)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey("territories.Commune", verbose_name=_("commune"), on_delete=models.PROTECT)
    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = PhoneField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(
        _("courriel du site"), blank=True, help_text=_("Reçoit les fiches d'adressage.")
    )
    opening_hours = models.CharField(_("horaires d'ouverture"), max_length=CARE_SITE_TEXT_MAX, blank=True)
    access_conditions = models.CharField(
        _("conditions d'accès"),
        max_length=CARE_SITE_TEXT_MAX,
        blank=True,
        help_text=_("Ex. : sur indication médicale."),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_care_sites",
    )
    finess = models.CharField(_("numéro FINESS"), max_length=9, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site de soins")
        verbose_name_plural = _("sites de soins")
        ordering = ["name"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="care_site_position_idx")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name", "commune"], name="one_care_site_per_name"),
            models.UniqueConstraint(
                fields=["finess"], condition=~Q(finess=""), name="one_care_site_per_finess"
            ),
            models.CheckConstraint(
                name="care_site_position_in_range",
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
            ),
            models.CheckConstraint(
                name="care_site_finess_ascii", condition=Q(finess__regex=r"^[0-9AB]{0,9}$")
            ),
            phone_check("phone", "care_site_phone_e164"),
        ]

    def __str__(self):
        return f"{self.name} ({self.commune.name})"


class ShipmentSource(models.TextChoices):
    NATIONAL = "national", _("Stock national")
    COMPANY = "company", _("Masques récupérés auprès d'entreprises")
    LOCAL_AUTHORITY = "local_authority", _("Masques récupérés auprès de collectivités")
    PARTNER = "partner", _("Masques récupérés auprès d'autres partenaires")


class Shipment(models.Model):
    """A shipment from the regional stock of an ARS to a pharmacy or a care site."""

    region = models.ForeignKey("territories.Region", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        "pharmacies.Product", verbose_name=_("produit"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantité (masques)"))
    source = models.CharField(_("origine du stock régional"), max_length=20, choices=ShipmentSource.choices)
    pharmacy = models.ForeignKey(
        "pharmacies.Pharmacy", null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    care_site = models.ForeignKey(
        CareSite, null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shipped_at = models.DateTimeField(_("expédié le"), auto_now_add=True, db_index=True)
    received_at = models.DateTimeField(_("reçu le"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrival_movement = models.OneToOneField(
        "pharmacies.StockMovement", null=True, blank=True, on_delete=models.PROTECT, related_name="shipment"
    )

    class Meta:
        verbose_name = _("envoi du stock régional")
        verbose_name_plural = _("envois du stock régional")
        ordering = ["-shipped_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="shipment_quantity_in_range", condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY)
            ),
            models.CheckConstraint(
                name="shipment_has_one_destination",
                condition=(Q(pharmacy__isnull=False) & Q(care_site__isnull=True))
                | (Q(pharmacy__isnull=True) & Q(care_site__isnull=False)),
            ),
            models.CheckConstraint(
                name="shipment_receipt_is_complete",
                condition=Q(received_at__isnull=True, received_by__isnull=True)
                | Q(received_at__isnull=False, received_by__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.quantity} {self.product} → {self.destination}"

    @property
    def destination(self):
        return self.pharmacy if self.pharmacy_id else self.care_site

    @property
    def is_received(self) -> bool:
        return self.received_at is not None
