"""The one validation of phone numbers, on Google's libphonenumber (`phonenumbers`).

Stored in E.164 ("+33612345678"), so that the same number typed "06 12 34 56 78" or
"+33 6 12 34 56 78" is one string, and SMS goes to a dialable address. A number in French
national form ("0692 12 34 56") belongs to an overseas département when its prefix is
theirs: Réunion, Mayotte, Guadeloupe, Martinique, Guyane, Saint-Pierre-et-Miquelon and the
Antilles collectivities have their own country codes (+262, +590, +594, +596, +508), and
"+33 692…" is no number at all.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Regions whose numbers are written nationally with the French trunk "0"; the overseas ones
# first, because metropolitan France never uses their prefixes (0262, 0692, 0590…).
_OVERSEAS_REGIONS = ("RE", "YT", "GP", "MQ", "GF", "PM", "BL", "MF")
_FRENCH_REGIONS = frozenset({"FR", *_OVERSEAS_REGIONS, "NC", "PF", "WF"})
# What a person types around the digits: spaces, dots, hyphens, slashes, brackets.
_TYPED_SEPARATORS = re.compile(r"[\s.\-/()]")
_TYPED_NUMBER = re.compile(r"\+?[0-9]{4,17}")
E164_PATTERN = r"^\+[1-9][0-9]{5,14}$"
_E164 = re.compile(E164_PATTERN)

INVALID_MESSAGE = _(
    "Le numéro de téléphone n'est pas valide : par exemple 06 12 34 56 78, "
    "0692 12 34 56 (Réunion) ou +262 692 12 34 56."
)
NOT_MOBILE_MESSAGE = _(
    "Ce numéro n'est pas un numéro de mobile : les SMS ne peuvent être envoyés qu'à un portable "
    "(06, 07 ou mobile d'outre-mer)."
)


def _parse(value: str) -> phonenumbers.PhoneNumber | None:
    compact = _TYPED_SEPARATORS.sub("", value or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    # ASCII digits only: libphonenumber would also read full-width or Arabic-Indic digits.
    if not compact.isascii() or not _TYPED_NUMBER.fullmatch(compact):
        return None
    regions = ("FR",) if compact.startswith("+") else (*_OVERSEAS_REGIONS, "FR")
    for region in regions:
        try:
            number = phonenumbers.parse(compact, region)
        except phonenumbers.NumberParseException:
            return None
        if phonenumbers.is_valid_number(number):
            return number
    return None


def normalise_phone(value: str) -> str:
    """The E.164 form of a phone number as a person types it; "" for an empty one.

    Raises ValidationError (code "invalid_phone") with a French message.
    """
    if not (value or "").strip():
        return ""
    number = _parse(value)
    if number is None:
        raise ValidationError(INVALID_MESSAGE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_phone(value: str, *, field: str = "phone") -> str:
    """normalise_phone for services: a refusal is an InvalidInput naming `field`."""
    from gomask.errors import InvalidInput

    try:
        return normalise_phone(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], code="invalid_phone", field=field) from exc


def is_mobile(value: str) -> bool:
    """True if `value` (any typed form) is a valid mobile number, able to receive SMS."""
    number = _parse(value)
    return number is not None and phonenumbers.number_type(number) in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }


def normalise_mobile(value: str) -> str:
    """The E.164 form of a mobile number; a landline is refused with its own message."""
    phone = normalise_phone(value)
    if phone and not is_mobile(phone):
        raise ValidationError(NOT_MOBILE_MESSAGE, code="phone_not_mobile")
    return phone


def format_phone(value: str) -> str:
    """A stored number as people read it: "06 12 34 56 78", "0692 12 34 56", "+32 470 12 34 56".

    A value that does not parse (data written before E.164) is shown as stored.
    """
    number = _parse(value) if value else None
    if number is None:
        return value or ""
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region in _FRENCH_REGIONS
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def legacy_to_e164(value: str) -> str:
    """For data migrations and directory imports: the E.164 form of a number, or "" if it is none."""
    try:
        return normalise_phone(value)
    except ValidationError:
        return ""


class PhoneField(models.CharField):
    """A phone number stored in E.164, "" when unknown.

    Whatever writes it (a service, the admin, a seed) stores the E.164 form of a valid
    typed number; anything else is left as typed for the validator (admin forms) and the
    database check constraint (`phone_check`) to refuse.
    """

    default_validators = [RegexValidator(E164_PATTERN, message=INVALID_MESSAGE, code="invalid_phone")]

    def to_python(self, value):
        value = super().to_python(value)
        if not value or _E164.fullmatch(value):
            return value
        number = _parse(value)
        if number is None:
            return value
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_check(field: str, name: str) -> models.CheckConstraint:
    """The database's refusal of a stored phone that is neither "" nor E.164."""
    return models.CheckConstraint(
        name=name,
        condition=models.Q(**{field: ""}) | models.Q(**{f"{field}__regex": E164_PATTERN}),
    )


def migrate_stored_phones(model, *, field: str = "phone", batch_size: int = 1000) -> None:
    """Data migrations: rewrite stored phones in E.164; a stored value that is no number becomes "".

    Before this, phones were stored as typed ("06 12 34 56 78", "+33 6…", "0692…").
    """
    stale = model._default_manager.exclude(**{field: ""}).exclude(**{f"{field}__regex": E164_PATTERN})
    rows = []
    for pk, value in stale.values_list("pk", field).iterator(chunk_size=batch_size):
        row = model(pk=pk)
        setattr(row, field, legacy_to_e164(value))
        rows.append(row)
        if len(rows) >= batch_size:
            model._default_manager.bulk_update(rows, [field])
            rows = []
    if rows:
        model._default_manager.bulk_update(rows, [field])
