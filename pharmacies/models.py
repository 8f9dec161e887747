from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gomask.identifiers import validate_finess
from gomask.phones import PhoneField, phone_check


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
    phone = PhoneField(_("téléphone"), max_length=20, blank=True)
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
            ),
            # Nine ASCII characters: digits, but for the letters of Corsican (2A, 2B) and
            # overseas département codes in second place.
            models.CheckConstraint(
                name="pharmacy_finess_ascii", condition=Q(finess__regex=r"^[0-9][0-9A-Z][0-9]{7}$")
            ),
            phone_check("phone", "pharmacy_phone_e164"),
        ]

    def __str__(self):
        from pharmacies.wording import pharmacy_label

        return pharmacy_label(self)


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


class Product(models.Model):
    """A kind of mask, always counted in masks; boxes are converted on entry."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    box_size = models.PositiveIntegerField(_("masques par boîte"), default=50)
    is_active = models.BooleanField(_("distribué"), default=True)

    class Meta:
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        ordering = ["name"]
        constraints = [models.CheckConstraint(name="product_box_size_positive", condition=Q(box_size__gt=0))]

    def __str__(self):
        return self.name


class StockLevel(models.Model):
    """What a pharmacy holds of a product. Only `pharmacies.stock` writes it, with a ledger row."""

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="stock_levels")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(_("en stock"), default=0)
    reserved = models.IntegerField(_("réservé (options)"), default=0)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)
    # Set by the pharmacist's one-click "épuisé"; cleared by the next arrival or count.
    sold_out_at = models.DateTimeField(_("déclaré épuisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("niveau de stock")
        verbose_name_plural = _("niveaux de stock")
        constraints = [
            models.UniqueConstraint(fields=["pharmacy", "product"], name="one_stock_level_per_product"),
            models.CheckConstraint(name="stock_on_hand_not_negative", condition=Q(on_hand__gte=0)),
            models.CheckConstraint(name="stock_reserved_not_negative", condition=Q(reserved__gte=0)),
            models.CheckConstraint(
                name="stock_reserved_within_on_hand", condition=Q(reserved__lte=models.F("on_hand"))
            ),
        ]

    def __str__(self):
        return f"{self.pharmacy} — {self.product}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    ARRIVAL = "arrival", _("Arrivée")
    DISPENSATION = "dispensation", _("Délivrance")
    RESERVATION_HOLD = "reservation_hold", _("Option posée")
    RESERVATION_RELEASE = "reservation_release", _("Option levée")
    INVENTORY_COUNT = "inventory_count", _("Inventaire")
    ADJUSTMENT = "adjustment", _("Perte ou casse")
    TRANSFER_OUT = "transfer_out", _("Transfert sortant")
    TRANSFER_IN = "transfer_in", _("Transfert entrant")
    CORRECTION = "correction", _("Correction")


class ArrivalSource(models.TextChoices):
    NATIONAL = "national", _("Stock national")
    REGIONAL = "regional", _("Stock régional de l'ARS")
    COMPANY_DONATION = "company_donation", _("Don d'une entreprise")
    LOCAL_AUTHORITY_DONATION = "local_authority_donation", _("Don d'une collectivité")
    PARTNER_DONATION = "partner_donation", _("Don d'un autre partenaire")


class StockMovement(models.Model):
    """One line of the stock ledger: never updated, never deleted.

    The level is always the sum of the deltas; a mistake is corrected by a compensating
    movement (kind CORRECTION), so the history stays readable.
    """

    level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="movements")
    # Denormalised from the level for the ledger screens and regional roll-ups.
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="stock_movements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("nature"), max_length=30, choices=MovementKind.choices)
    on_hand_delta = models.IntegerField(_("variation du stock"))
    reserved_delta = models.IntegerField(_("variation des options"), default=0)
    on_hand_after = models.IntegerField(_("stock après"))
    reserved_after = models.IntegerField(_("options après"))
    source = models.CharField(_("provenance"), max_length=30, choices=ArrivalSource.choices, blank=True)
    reason = models.CharField(_("motif"), max_length=255, blank=True)
    counterpart = models.ForeignKey(
        Pharmacy,
        verbose_name=_("officine d'origine ou de destination"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("mouvement de stock")
        verbose_name_plural = _("mouvements de stock")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pharmacy", "product", "-created_at"], name="ledger_by_pharmacy_idx")]
        constraints = [
            models.CheckConstraint(name="movement_after_not_negative", condition=Q(on_hand_after__gte=0)),
            models.CheckConstraint(
                name="movement_reserved_after_within_stock",
                condition=Q(reserved_after__gte=0) & Q(reserved_after__lte=models.F("on_hand_after")),
            ),
            models.CheckConstraint(name="arrival_has_a_source", condition=~Q(kind="arrival") | ~Q(source="")),
            models.UniqueConstraint(
                fields=["corrects"], condition=Q(corrects__isnull=False), name="one_correction_per_movement"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on_hand_delta:+d} — {self.pharmacy}"
