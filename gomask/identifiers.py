"""Validation of the French identifiers the portal relies on.

- RPPS: 11 digits, the last one a Luhn key over the whole number.
- ADELI: 9 digits (format only: its key algorithm is not public and varies).
- FINESS: 9 characters, the 9th a Luhn key over the whole number. See `validate_finess`
  for how the first characters name the département.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_METRO_DEPARTEMENTS = {f"{n:02d}" for n in range(1, 96) if n != 20}
# FINESS numbers overseas start with "97" or "98", then a "0" and the territory's digit: the
# territory is characters 1-2 and 4 (9701... Guadeloupe, 9702... Martinique), Mayotte keeping
# 985, its code as a collectivité before it became a département in 2011 (9805...). Checked
# against numbers of the public FINESS extraction: 970100400 (Guadeloupe), 970210126
# (Martinique), 970300026 (Guyane), 970400024 (La Réunion), 980501506 (Mayotte), 980600027
# (Wallis-et-Futuna). Saint-Pierre-et-Miquelon (9705) follows the same pattern by inference.
FINESS_OVERSEAS_DEPARTEMENTS = {
    "9701": "971",
    "9702": "972",
    "9703": "973",
    "9704": "974",
    "9705": "975",
    "9805": "976",
    "9806": "986",
}
# Corsican numbers hold letters; their key is the Luhn key of the number read with 2A as 21
# and 2B as 22, which every published Corsican number checked passes (2A0000154, 2A0000170,
# 2A0000386, 2A0002606, 2B0000020, 2B0000038, 2B0004246, 2B0005342, 2B0005359).
_CORSICA_KEY_DIGITS = {"2A": "21", "2B": "22"}


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
    """The INSEE code of the département (or overseas territory) a FINESS number belongs to,
    None when its first characters name none."""
    if number[:2] in {"97", "98"}:
        return FINESS_OVERSEAS_DEPARTEMENTS.get(number[:4])
    if number[:2] in _METRO_DEPARTEMENTS or number[:2] in _CORSICA_KEY_DIGITS:
        return number[:2]
    return None


def _finess_key_digits(number: str) -> str:
    return _CORSICA_KEY_DIGITS.get(number[:2], number[:2]) + number[2:]


def validate_finess(value: str) -> str:
    """A FINESS number (établissement or entité juridique), normalised.

    Characters 1-2 are the département: 01-95, 2A/2B in Corsica; overseas "97" or "98"
    followed by the territory on characters 3-4 (see FINESS_OVERSEAS_DEPARTEMENTS). Character 9
    is a Luhn key over the nine characters, Corsica's letters read as digits.
    """
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
    if not luhn_is_valid(_finess_key_digits(number)):
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
    """A valid FINESS number in `departement` (its INSEE code: "32", "2A", "972"), for demo data
    and tests, numbered as FINESS numbers its territory (972 -> 9702...)."""
    prefixes = {code: prefix for prefix, code in FINESS_OVERSEAS_DEPARTEMENTS.items()}
    prefix = prefixes.get(departement, departement)
    if finess_departement(prefix) != departement:
        raise ValueError(f"No FINESS numbering for département {departement!r}.")
    width = 8 - len(prefix)
    if serial >= 10**width:
        raise ValueError(f"Serial {serial} does not fit in a FINESS number of {departement!r}.")
    body = f"{prefix}{serial:0{width}d}"
    return body + luhn_key(_finess_key_digits(body))
