"""Input cleaning shared by services, forms and the API: quantities of masks and record ids.

One limit and one parser each, so the HTML form, the API and the service refuse the same
values with the same French message.
"""

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from gomask.errors import InvalidInput

# The most masks one declaration, option, handover or shipment may carry (also a database
# check constraint on the distribution tables).
MAX_QUANTITY = 100_000
# Primary keys are PostgreSQL bigints.
MAX_ID = 2**63 - 1
# ASCII digits only: int() would also read Arabic-Indic or full-width digits.
_INTEGER = re.compile(r"^[+-]?[0-9]{1,30}$")


def parse_int(value) -> int | None:
    """A whole number from an int, a whole float/Decimal or a string of digits; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        try:
            return int(value) if value == int(value) else None
        except (ValueError, OverflowError, ArithmeticError):  # NaN, infinity
            return None
    if isinstance(value, str) and _INTEGER.match(value.strip()):
        return int(value.strip())
    return None


def parse_id(value) -> int | None:
    """A record id (1 .. bigint) from a URL, a form or JSON; None for anything else."""
    number = parse_int(value)
    if number is None or not 1 <= number <= MAX_ID:
        return None
    return number


def clean_quantity(value, *, allow_zero: bool = False, field: str = "quantity") -> int:
    """A whole number of masks (or boxes) from 1 (0 if allowed) to MAX_QUANTITY, or a clear refusal."""
    number = parse_int(value)
    if number is None:
        raise InvalidInput(
            _("La quantité doit être un nombre entier de masques (sans décimales)."),
            code="invalid_quantity",
            field=field,
        )
    if number < (0 if allow_zero else 1):
        message = (
            _("La quantité ne peut pas être négative.")
            if allow_zero
            else _("La quantité doit être supérieure à zéro.")
        )
        raise InvalidInput(message, code="invalid_quantity", field=field)
    if number > MAX_QUANTITY:
        raise InvalidInput(
            _("La quantité ne peut pas dépasser %(maximum)s masques : vérifiez la saisie.")
            % {"maximum": f"{MAX_QUANTITY:,}".replace(",", " ")},
            code="invalid_quantity",
            field=field,
        )
    return number
