"""Attachments: PDF, JPEG or PNG only, recognised by their content, within the size limit."""

from django.conf import settings
from django.utils.translation import gettext as _

from gomask.errors import InvalidInput

# (content type, extensions, the bytes the file starts with)
KINDS = [
    ("application/pdf", {".pdf"}, b"%PDF-"),
    ("image/jpeg", {".jpg", ".jpeg"}, b"\xff\xd8\xff"),
    ("image/png", {".png"}, b"\x89PNG\r\n\x1a\n"),
]


def content_type_of(name: str, head: bytes) -> str:
    """The type the content shows, if the name says the same; else InvalidInput."""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for content_type, extensions, magic in KINDS:
        if head.startswith(magic):
            if extension not in extensions:
                break
            return content_type
    raise InvalidInput(
        _("« %(name)s » n'est pas un fichier PDF, JPEG ou PNG (seuls ces formats sont acceptés).")
        % {"name": name},
        code="attachment_type",
        field="attachments",
    )


def read_attachments(files) -> list[tuple[str, str, bytes]]:
    """(name, content type, data) of each uploaded file, checked; InvalidInput otherwise."""
    limit = settings.SPECIALISTS_ATTACHMENT_MAX_BYTES
    if len(files) > settings.SPECIALISTS_MAX_ATTACHMENTS:
        raise InvalidInput(
            _("%(count)d pièces jointes au plus.") % {"count": settings.SPECIALISTS_MAX_ATTACHMENTS},
            code="attachment_count",
            field="attachments",
        )
    checked = []
    for upload in files:
        name = (upload.name or "").strip()[:200] or "piece-jointe"
        if upload.size > limit:
            raise InvalidInput(
                _("« %(name)s » dépasse la taille autorisée (%(limit)s Mio au plus).")
                % {"name": name, "limit": f"{limit / 1024 / 1024:g}"},
                code="attachment_size",
                field="attachments",
            )
        data = upload.read()
        if not data:
            raise InvalidInput(
                _("« %(name)s » est vide.") % {"name": name}, code="attachment_empty", field="attachments"
            )
        checked.append((name, content_type_of(name, data[:16]), data))
    return checked
