"""The API's JSON parser: bounded size and depth, and the same text rules as the pages.

DRF's JSONParser lets `RecursionError` escape on a body of 100,000 "[" (a 500 on every JSON
endpoint, anonymous ones included) and reads the request stream without Django's
DATA_UPLOAD_MAX_MEMORY_SIZE bound.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from gomask.input_guard import RefusedText, find_refused_text

# No request of the API nests deeper than a few levels.
MAX_JSON_DEPTH = 20


def _depth_exceeds(data, limit: int) -> bool:
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return False


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(raw) > limit:
            raise ParseError(
                _("Le contenu envoyé est trop volumineux (%(limit)d octets au plus).") % {"limit": limit}
            )
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise ParseError(_("Le contenu JSON est trop imbriqué.")) from exc
        except ValueError as exc:
            raise ParseError(_("Le contenu envoyé n'est pas du JSON valide.")) from exc
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(_("Le contenu JSON est trop imbriqué."))
        try:
            find_refused_text(data)
        except RefusedText as error:
            raise ParseError(error.message) from error
        return data


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON; Python's parser accepts them by default.
    raise ValueError(name)
