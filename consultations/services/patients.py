"""A patient's identity: the rules of its fields, shared by the booking form, the API and the
services (forms and serializers parse; these check typed values), and the key that recognises
one patient however they write themselves."""

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from gomask import phones
from gomask.errors import InvalidInput
from gomask.text import normalise_for_search

_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*\.?$")


def clean_phone(value: str) -> str:
    """A patient's phone, required, in E.164 (gomask.phones: one validation for every phone)."""
    if not (value or "").strip():
        raise InvalidInput(phones.INVALID_MESSAGE, code="invalid_phone", field="phone")
    return phones.clean_phone(value)


def clean_email(value: str) -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(
            _("L'adresse e-mail n'est pas valide."), code="invalid_email", field="email"
        ) from exc
    return email


def clean_name(value: str, *, field: str) -> str:
    name = " ".join((value or "").split())
    if not name or len(name) > 100 or not _NAME.match(name):
        label = _("Le prénom") if field == "first_name" else _("Le nom")
        raise InvalidInput(
            _("%(label)s est obligatoire et ne doit contenir que des lettres.") % {"label": label},
            code="invalid_name",
            field=field,
        )
    return name


def clean_birth_date(value: date, *, today: date) -> date:
    """A date of birth (a `date`: the form and the serializer parse it) that is plausible."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise InvalidInput(
            _("La date de naissance n'est pas valide (format AAAA-MM-JJ)."),
            code="invalid_birth_date",
            field="birth_date",
        )
    if value > today:
        raise InvalidInput(
            _("La date de naissance ne peut pas être dans le futur."),
            code="birth_date_in_future",
            field="birth_date",
        )
    if value.year < today.year - 120:
        raise InvalidInput(
            _("La date de naissance n'est pas plausible."), code="invalid_birth_date", field="birth_date"
        )
    return value


def identity_key(first_name: str, last_name: str, birth_date: date) -> str:
    return f"{normalise_for_search(last_name)}|{normalise_for_search(first_name)}|{birth_date.isoformat()}"
