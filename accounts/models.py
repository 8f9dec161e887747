from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gomask.phones import PhoneField, phone_check


class Role(models.TextChoices):
    PHARMACIST = "pharmacist", _("Pharmacien d'officine")
    PROFESSIONAL = "professional", _("Professionnel de santé")
    ARS_STAFF = "ars_staff", _("Agent de l'ARS")
    CPTS_COORDINATOR = "cpts_coordinator", _("Coordinateur de CPTS")
    PATIENT = "patient", _("Patient")
    ADMIN = "admin", _("Administrateur national")


class AccountStatus(models.TextChoices):
    PENDING = "pending", _("En attente de validation")
    ACTIVE = "active", _("Validé")
    SUSPENDED = "suspended", _("Suspendu")


# Roles whose accounts an administrator (or a pharmacy owner) must approve first.
ROLES_NEEDING_APPROVAL = {Role.PHARMACIST, Role.PROFESSIONAL}
# Roles scoped to one region.
REGIONAL_ROLES = {Role.ARS_STAFF, Role.CPTS_COORDINATOR}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=Role.ADMIN, status=AccountStatus.ACTIVE)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in with an e-mail address; `role` decides what they may do."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    phone = PhoneField(_("téléphone"), max_length=20, blank=True)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    status = models.CharField(
        _("statut"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    region = models.ForeignKey(
        "territories.Region",
        verbose_name=_("région"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("Périmètre des agents de l'ARS et des coordinateurs de CPTS."),
    )
    approved_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.CheckConstraint(
                name="regional_roles_have_a_region",
                condition=~Q(role__in=[Role.ARS_STAFF, Role.CPTS_COORDINATOR]) | Q(region__isnull=False),
            ),
            phone_check("phone", "user_phone_e164"),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} <{self.email}>" if full_name else self.email

    @property
    def is_approved(self) -> bool:
        return self.is_active and self.status == AccountStatus.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.status == AccountStatus.PENDING

    def has_role(self, *roles: str) -> bool:
        return self.is_authenticated and self.role in roles
