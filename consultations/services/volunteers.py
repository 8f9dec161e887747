"""Volunteer doctors: who may volunteer, the zones and sites they accept, their monthly cap and
lodging need, and the periods when they can come."""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from consultations.models import Availability, PriorityZone, Site, Volunteer
from consultations.services.limits import local_date, now_or
from gomask.errors import Conflict, InvalidInput, NotAllowed, NotFound
from professionals.models import Profession


def doctor_of(user):
    """The professional record of an approved médecin; anyone else is refused (403)."""
    professional = getattr(user, "professional", None) if user.is_authenticated else None
    if (
        user.role != Role.PROFESSIONAL
        or not user.is_approved
        or professional is None
        or professional.profession != Profession.MEDECIN
    ):
        raise NotAllowed(
            _("Seuls les médecins au compte professionnel validé peuvent se porter volontaires."),
            code="not_a_doctor",
        )
    return professional


def volunteer_of(user) -> Volunteer | None:
    professional = doctor_of(user)
    return Volunteer.objects.filter(professional=professional).first()


def save_volunteer_profile(
    *, user, zone_ids: list[int], site_ids: list[int], max_days_per_month: int, needs_lodging: bool
) -> Volunteer:
    """A médecin states the zones/sites they accept, their monthly cap and lodging need."""
    professional = doctor_of(user)
    cap = settings.VOLUNTEER_MAX_DAYS_PER_MONTH
    if (
        not isinstance(max_days_per_month, int)
        or isinstance(max_days_per_month, bool)
        or not (1 <= max_days_per_month <= cap)
    ):
        raise InvalidInput(
            _("Le nombre de jours par mois doit être compris entre 1 et %(cap)s.") % {"cap": cap},
            code="invalid_days_per_month",
            field="max_days_per_month",
        )
    zones = list(PriorityZone.objects.filter(pk__in=zone_ids, is_active=True))
    sites = list(Site.objects.filter(pk__in=site_ids, is_active=True))
    if len(zones) != len(set(zone_ids)) or len(sites) != len(set(site_ids)):
        raise InvalidInput(_("Une zone ou un lieu choisi n'existe pas."), code="unknown_zone_or_site")
    if not zones and not sites:
        raise InvalidInput(
            _("Choisissez au moins une zone ou un lieu où vous acceptez d'aller."), code="no_zone_or_site"
        )
    with transaction.atomic():
        volunteer, _created = Volunteer.objects.select_for_update().get_or_create(
            professional=professional,
            defaults={"max_days_per_month": max_days_per_month, "needs_lodging": needs_lodging},
        )
        volunteer.max_days_per_month = max_days_per_month
        volunteer.needs_lodging = needs_lodging
        volunteer.save(update_fields=["max_days_per_month", "needs_lodging", "updated_at"])
        volunteer.zones.set(zones)
        volunteer.sites.set(sites)
    return volunteer


def add_availability(*, user, start_date: date, end_date: date, now: datetime | None = None) -> Availability:
    """A volunteer adds a period when they can come."""
    today = local_date(now_or(now))
    volunteer = volunteer_of(user)
    if volunteer is None:
        raise Conflict(
            _("Enregistrez d'abord vos zones et votre disponibilité mensuelle."), code="no_volunteer_profile"
        )
    if start_date < today:
        raise InvalidInput(_("La période ne peut pas commencer dans le passé."), code="period_in_past")
    if end_date < start_date:
        raise InvalidInput(_("La fin de la période doit suivre son début."), code="period_reversed")
    if (end_date - start_date).days > 366:
        raise InvalidInput(_("Une période ne peut pas dépasser un an."), code="period_too_long")
    with transaction.atomic():
        Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if volunteer.availabilities.filter(start_date__lte=end_date, end_date__gte=start_date).exists():
            raise Conflict(
                _("Cette période chevauche une disponibilité déjà saisie."), code="period_overlaps"
            )
        return Availability.objects.create(volunteer=volunteer, start_date=start_date, end_date=end_date)


def remove_availability(*, user, availability_id: int) -> None:
    volunteer = volunteer_of(user)
    deleted, _detail = Availability.objects.filter(pk=availability_id, volunteer=volunteer).delete()
    if not deleted:
        raise NotFound(_("Cette disponibilité n'existe pas."), code="availability_not_found")
