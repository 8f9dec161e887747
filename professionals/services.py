from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gomask.errors import InvalidInput
from gomask.identifiers import validate_adeli, validate_rpps
from professionals.models import Profession, Professional
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
