from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gomask.identifiers import validate_adeli, validate_rpps
from gomask.phones import PhoneField, phone_check
from gomask.text import normalise_for_search


class Profession(models.TextChoices):
    MEDECIN = "medecin", _("Médecin")
    INFIRMIER = "infirmier", _("Infirmier")
    SAGE_FEMME = "sage_femme", _("Sage-femme")
    PHARMACIEN = "pharmacien", _("Pharmacien")
    MASSEUR_KINESITHERAPEUTE = "masseur_kinesitherapeute", _("Masseur-kinésithérapeute")
    CHIRURGIEN_DENTISTE = "chirurgien_dentiste", _("Chirurgien-dentiste")
    BIOLOGISTE = "biologiste", _("Biologiste")
    PEDICURE_PODOLOGUE = "pedicure_podologue", _("Pédicure-podologue")
    ORTHOPHONISTE = "orthophoniste", _("Orthophoniste")
    ORTHOPTISTE = "orthoptiste", _("Orthoptiste")


class Professional(models.Model):
    """A health professional (libéral), identified by RPPS or ADELI."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="professional",
    )
    rpps = models.CharField(
        _("numéro RPPS"), max_length=11, unique=True, null=True, blank=True, validators=[validate_rpps]
    )
    adeli = models.CharField(
        _("numéro ADELI"), max_length=9, unique=True, null=True, blank=True, validators=[validate_adeli]
    )
    profession = models.CharField(_("profession"), max_length=30, choices=Profession.choices)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    # Lower-case, accent-free "last first" for the counter search.
    search_name = models.CharField(max_length=210, db_index=True, editable=False)
    phone = PhoneField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    practice_address = models.CharField(_("adresse d'exercice"), max_length=255, blank=True)
    practice_commune = models.ForeignKey(
        "territories.Commune",
        verbose_name=_("commune d'exercice"),
        on_delete=models.PROTECT,
        related_name="professionals",
    )
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    # From the RPPS directory (PS_LibreAcces, written by professionals.directory_import): the
    # profession code ("10" médecin, "60" infirmier...) and the savoir-faire of the activity
    # kept ("SM53" médecine générale...), for a directory of specialists.
    directory_profession_code = models.CharField(_("code profession (RPPS)"), max_length=4, blank=True)
    specialty_code = models.CharField(_("code savoir-faire (RPPS)"), max_length=10, blank=True, db_index=True)
    specialty_label = models.CharField(_("savoir-faire (spécialité)"), max_length=200, blank=True)
    directory_seen_at = models.DateTimeField(_("présent dans l'annuaire le"), null=True, blank=True)
    # Set when a directory import no longer lists them: suspended (no option, no handover),
    # never deleted, since their history stays; cleared if they come back.
    left_directory_at = models.DateTimeField(_("absent de l'annuaire depuis"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("professionnel de santé")
        verbose_name_plural = _("professionnels de santé")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                name="professional_has_rpps_or_adeli",
                condition=Q(rpps__isnull=False) | Q(adeli__isnull=False),
            ),
            # ASCII digits only: the same number in other digits would be another string and
            # get round the unique constraints.
            models.CheckConstraint(
                name="professional_rpps_ascii_digits",
                condition=Q(rpps__isnull=True) | Q(rpps__regex=r"^[0-9]{11}$"),
            ),
            models.CheckConstraint(
                name="professional_adeli_ascii_digits",
                condition=Q(adeli__isnull=True) | Q(adeli__regex=r"^[0-9]{9}$"),
            ),
            phone_check("phone", "professional_phone_e164"),
        ]

    def __str__(self):
        return f"{self.get_profession_display()} {self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        self.refresh_search_name()
        super().save(*args, **kwargs)

    def refresh_search_name(self) -> None:
        """Called by save(); bulk inserts, which bypass save(), call it themselves."""
        self.search_name = normalise_for_search(f"{self.last_name} {self.first_name}")

    @property
    def is_suspended(self) -> bool:
        return self.left_directory_at is not None

    @property
    def identifier(self) -> str:
        return self.rpps or self.adeli

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Referencing(models.Model):
    """A professional's home pharmacy ("se faire référencer"): one at a time, history kept."""

    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="referencings")
    pharmacy = models.ForeignKey("pharmacies.Pharmacy", on_delete=models.PROTECT, related_name="referencings")
    started_at = models.DateTimeField(_("depuis le"), auto_now_add=True)
    ended_at = models.DateTimeField(_("jusqu'au"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("référencement")
        verbose_name_plural = _("référencements")
        constraints = [
            models.UniqueConstraint(
                fields=["professional"], condition=Q(ended_at__isnull=True), name="one_home_pharmacy"
            )
        ]
        indexes = [models.Index(fields=["pharmacy", "ended_at"], name="referencing_by_pharmacy_idx")]

    def __str__(self):
        return f"{self.professional} → {self.pharmacy}"
