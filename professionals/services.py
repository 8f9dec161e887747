from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import PROFESSIONAL, user_may_act_as
from gomask.cleaning import parse_id
from gomask.errors import InvalidInput, NotAllowed
from gomask.identifiers import validate_adeli, validate_rpps
from gomask.phones import clean_phone
from pharmacies.models import Pharmacy
from professionals.models import Profession, Professional, Referencing
from territories.geo import haversine_km
from territories.geocoding import geocode_address


def clean_professional_identifier(identifier: str) -> dict:
    """`{"rpps": ...}` for 11 digits, `{"adeli": ...}` for 9, else a clear refusal."""
    digits = "".join(identifier.split())
    try:
        if len(digits) == 11:
            return {"rpps": validate_rpps(digits)}
        if len(digits) == 9:
            return {"adeli": validate_adeli(digits)}
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], code="invalid_identifier", field="identifier") from exc
    raise InvalidInput(
        _("Saisissez un numéro RPPS (11 chiffres) ou ADELI (9 chiffres)."),
        code="invalid_identifier",
        field="identifier",
    )


def available_professional_identifier(identifier: str) -> dict:
    """A valid identifier that no professional has registered yet."""
    number = clean_professional_identifier(identifier)
    if Professional.objects.filter(**number).exists():
        raise InvalidInput(
            _("Ce numéro est déjà enregistré : contactez l'administrateur si c'est le vôtre."),
            code="duplicate_identifier",
            field="identifier",
        )
    return number


def register_professional(
    *,
    identifier: str,
    profession: str,
    first_name: str,
    last_name: str,
    practice_commune,
    practice_address: str = "",
    phone: str = "",
    email: str = "",
    user=None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Professional:
    """Record a health professional (with or without an account)."""
    if profession not in Profession.values:
        raise InvalidInput(_("Profession inconnue."), code="invalid_profession", field="profession")
    number = available_professional_identifier(identifier)
    phone = clean_phone(phone)
    if latitude is None or longitude is None:
        position = geocode_address(street=practice_address, commune=practice_commune)
        latitude, longitude = position.latitude, position.longitude
    return Professional.objects.create(
        user=user,
        profession=profession,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        practice_commune=practice_commune,
        practice_address=practice_address.strip(),
        phone=phone,
        email=email,
        latitude=latitude,
        longitude=longitude,
        **number,
    )


# --- Referencing: one home pharmacy at a time -------------------------------------------------

# A home pharmacy is "de proximité": within this distance of the practice.
REFERENCING_MAX_KM = 50


def _own_professional(actor) -> Professional:
    if not user_may_act_as(actor, PROFESSIONAL):
        raise NotAllowed(
            _("Seul un professionnel de santé validé peut se référencer."), code="not_a_professional"
        )
    professional = Professional.objects.filter(user=actor).first()
    if professional is None:
        raise NotAllowed(_("Votre compte n'est lié à aucun professionnel de santé."), code="no_professional")
    return professional


@transaction.atomic
def reference_at_pharmacy(*, actor, pharmacy_id) -> Referencing:
    """The professional `actor` chooses `pharmacy_id` as home pharmacy.

    Changing ends the current referencing and starts the new one in the same transaction;
    choosing the current home pharmacy again changes nothing.
    """
    professional = _own_professional(actor)
    pharmacy = Pharmacy.objects.filter(pk=parse_id(pharmacy_id), is_active=True).first()
    if pharmacy is None:
        raise InvalidInput(_("Officine introuvable."), code="unknown_pharmacy", field="pharmacy")
    distance = haversine_km(
        professional.latitude, professional.longitude, pharmacy.latitude, pharmacy.longitude
    )
    if distance > REFERENCING_MAX_KM:
        raise InvalidInput(
            _(
                "Cette officine est à %(distance)d km de votre lieu d'exercice : choisissez une officine "
                "à moins de %(limit)d km."
            )
            % {"distance": distance, "limit": REFERENCING_MAX_KM},
            code="pharmacy_too_far",
            field="pharmacy",
        )
    # One row lock per professional: two changes at the same moment queue here.
    Professional.objects.select_for_update().filter(pk=professional.pk).get()
    current = Referencing.objects.filter(professional=professional, ended_at__isnull=True).first()
    if current is not None and current.pharmacy_id == pharmacy.pk:
        return current
    if current is not None:
        current.ended_at = timezone.now()
        current.save(update_fields=["ended_at"])
    return Referencing.objects.create(professional=professional, pharmacy=pharmacy, created_by=actor)
