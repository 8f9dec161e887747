"""Validation of the French identifiers the portal relies on.

- RPPS: 11 digits, the last one a Luhn key over the whole number.
- ADELI: 9 digits (format only: its key algorithm is not public and varies).
- FINESS: 9 characters; positions 1-2 the département (01-95, 2A/2B, 97 for overseas
  with 971-976 in positions 1-3); position 9 a Luhn key over positions 1-8. Corsican
  numbers (2A/2B) hold letters, so only their format is checked.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_OVERSEAS = {"971", "972", "973", "974", "975", "976"}
_METRO_DEPARTEMENTS = {f"{n:02d}" for n in range(1, 96) if n != 20}


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_key(digits: str) -> str:
    """The check digit that makes `digits + key` pass the Luhn test."""
    for key in "0123456789":
        if luhn_is_valid(digits + key):
            return key
    raise AssertionError("unreachable")


# What a person really types inside a number: spaces (the non-breaking ones that word
# processors insert too), dots and hyphens.
_TYPED_SEPARATORS = re.compile(r"[\s.\-]")
# Python's `\d` and `int()` also take Arabic-Indic, full-width or Devanagari digits: a
# number written with them would pass the format and key checks yet be stored as another
# string than the same number in ASCII, and get round the unique constraints.
_ASCII_ALPHANUMERIC = re.compile(r"[0-9A-Z]*")


def is_ascii_digits(value: str, length: int | None = None) -> bool:
    """True for a string of ASCII digits 0-9 only (of `length` characters if given)."""
    return bool(value) and value.isascii() and value.isdigit() and (length is None or len(value) == length)


def normalise_identifier(value: str) -> str:
    """The compact, upper-case form of an identifier, refused unless made of ASCII characters.

    The one step in front of every identifier check (RPPS, ADELI, FINESS), so that a number
    has one stored form.
    """
    # ASCII checked before upper-casing: "ß".upper() is the ASCII "SS".
    compact = _TYPED_SEPARATORS.sub("", value or "")
    number = compact.upper()
    if not compact.isascii() or not _ASCII_ALPHANUMERIC.fullmatch(number):
        raise ValidationError(
            _("Saisissez le numéro avec les chiffres 0 à 9 uniquement (espaces et points permis)."),
            code="identifier_not_ascii",
        )
    return number


def validate_rpps(value: str) -> str:
    number = normalise_identifier(value)
    if not re.fullmatch(r"[0-9]{11}", number):
        raise ValidationError(_("Le numéro RPPS doit comporter 11 chiffres."), code="rpps_format")
    if not luhn_is_valid(number):
        raise ValidationError(
            _("Le numéro RPPS %(number)s n'est pas valide (clé de contrôle incorrecte)."),
            code="rpps_key",
            params={"number": number},
        )
    return number


def validate_adeli(value: str) -> str:
    number = normalise_identifier(value)
    if not re.fullmatch(r"[0-9]{9}", number):
        raise ValidationError(_("Le numéro ADELI doit comporter 9 chiffres."), code="adeli_format")
    return number


def finess_departement(number: str) -> str | None:
    if number[:3] in _OVERSEAS:
        return number[:3]
    if number[:2] in _METRO_DEPARTEMENTS or number[:2] in {"2A", "2B"}:
        return number[:2]
    return None


def validate_finess(value: str) -> str:
    number = normalise_identifier(value)
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{7}", number):
        raise ValidationError(
            _("Le numéro FINESS doit comporter 9 caractères (ex. 320001234)."),
            code="finess_format",
        )
    if finess_departement(number) is None:
        raise ValidationError(
            _("Le numéro FINESS %(number)s ne commence pas par un code de département valide."),
            code="finess_departement",
            params={"number": number},
        )
    if number[:2] not in {"2A", "2B"} and not luhn_is_valid(number):
        raise ValidationError(
            _("Le numéro FINESS %(number)s n'est pas valide (clé de contrôle incorrecte)."),
            code="finess_key",
            params={"number": number},
        )
    return number


def make_rpps(serial: int) -> str:
    """A valid RPPS number for demo data and tests (10 digits + key, starting with 1)."""
    body = f"1{serial:09d}"
    return body + luhn_key(body)


def make_finess(departement: str, serial: int) -> str:
    """A valid FINESS number in `departement` (demo data and tests)."""
    body = f"{departement}{serial:0{8 - len(departement)}d}"
    if departement in {"2A", "2B"}:
        return body + "0"
    return body + luhn_key(body)
