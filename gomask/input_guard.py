"""Refuse text input that no person types, before any view or query sees it.

PostgreSQL refuses NUL characters in text (the query raised, the page answered 500), and
other control characters have no place in a name, an address or a code. Python's `\\d` and
`int()` read Arabic-Indic, full-width or Devanagari digits as numbers, so a quantity or an
identifier written with them would be taken for another string than the same number in
ASCII digits. Both are refused with a 400 and a clear message, for every page and endpoint:
the middleware checks the path, the query string, headers, cookies and form fields; the JSON parser
(`gomask.parsers`) checks JSON bodies with `find_refused_text`.
"""

import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

# C0 and C1 control characters except tab, line feed and carriage return (a textarea sends
# those), and any decimal digit outside ASCII 0-9.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_REFUSED = re.compile(rf"[{_CONTROL}]|(?![0-9])\d")
_REFUSED_CONTROL_ONLY = re.compile(rf"[{_CONTROL}]")
# A password is never stored nor queried as typed: any digit is fine there.
_SECRET_FIELD = re.compile(r"password|secret", re.IGNORECASE)


class RefusedText(Exception):
    def __init__(self, field: str, character: str):
        self.field = field
        self.character = character
        super().__init__(field)

    @property
    def message(self) -> str:
        if self.character.isdigit():
            return _(
                "Le champ « %(field)s » contient des chiffres non latins : saisissez les chiffres 0 à 9."
            ) % {"field": self.field}
        return _(
            "Le champ « %(field)s » contient un caractère de contrôle (code %(code)s) : "
            "supprimez-le et réessayez."
        ) % {"field": self.field, "code": f"U+{ord(self.character):04X}"}


def check_text(field: str, value: str) -> None:
    """Raise RefusedText if `value` holds a control character or a non-ASCII digit."""
    pattern = _REFUSED_CONTROL_ONLY if _SECRET_FIELD.search(field) else _REFUSED
    match = pattern.search(value)
    if match:
        raise RefusedText(field, match.group())


def find_refused_text(data, *, field: str = "") -> None:
    """Walk parsed JSON (iteratively: its depth is bounded elsewhere) and check every string."""
    pending = [(field, data)]
    while pending:
        name, value = pending.pop()
        if isinstance(value, str):
            check_text(name or "body", value)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(f"{name}.{key}" if name else key, key)
                pending.append((f"{name}.{key}" if name else key, item))
        elif isinstance(value, list):
            pending.extend((name, item) for item in value)


class BodyTooLarge(RefusedText):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__("body", "")

    @property
    def message(self) -> str:
        return _("Le contenu envoyé est trop volumineux (%(limit)d octets au plus).") % {"limit": self.limit}


def _check_size(request) -> None:
    # Django checks this too, but only when the body is read, as a generic error page.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is not None and length > limit and not request.content_type.startswith("multipart/"):
        raise BodyTooLarge(limit)


def check_request(request) -> None:
    _check_size(request)
    check_text(_("adresse de la page"), request.path_info)
    for key, values in request.GET.lists():
        check_text(key, key)
        for value in values:
            check_text(key, value)
    for key, value in request.COOKIES.items():
        check_text(key, value)
    for key, value in request.headers.items():
        # HTTP forbids control characters in header values; some (Idempotency-Key) reach queries.
        control = _REFUSED_CONTROL_ONLY.search(value)
        if control and key != "Cookie":
            raise RefusedText(key, control.group())
    if request.method in {"POST", "PUT", "PATCH", "DELETE"} and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        try:
            fields = request.POST.lists()
        except RequestDataTooBig as exc:
            raise BodyTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from exc
        for key, values in fields:
            check_text(key, key)
            for value in values:
                check_text(key, value)


def refusal_response(request, error: RefusedText):
    code = "body_too_large" if isinstance(error, BodyTooLarge) else "invalid_characters"
    body = {"code": code, "message": error.message, "field": error.field}
    if request.path_info.startswith("/api/"):
        return JsonResponse(body, status=400)
    # Rendered without the base layout: sessions and users are not loaded yet (a cookie
    # holding a NUL must not reach the session table either).
    html = render_to_string("400_invalid_input.html", {"message": error.message})
    return HttpResponse(html, status=400)


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            try:
                check_request(request)
            except RefusedText as error:
                return refusal_response(request, error)
        return self.get_response(request)
