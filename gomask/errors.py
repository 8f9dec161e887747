"""Domain errors: one base class, a stable code and a French message per rule.

Services raise them. One mapping, `as_domain_error`, also reads a lock timeout or deadlock
as `Busy` and a fired database constraint as `Conflict`; the API turns the result into JSON
(gomask.api.exception_handler) and HTML pages into a French page or a message next to the
form (gomask.middleware.DomainErrorMiddleware), both with the status below. The transaction
that raised rolls back.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_message = _("La demande n'est pas valide.")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.field = field
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["field"] = self.field
        return data


class InvalidInput(DomainError):
    status = 400
    code = "invalid"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("Vous n'avez pas accès à cette action.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Élément introuvable.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("La demande est en conflit avec l'état actuel. Réessayez.")


class Busy(Conflict):
    code = "busy"
    default_message = _("Le service est très sollicité : réessayez dans un instant.")


def as_domain_error(exc: BaseException) -> DomainError | None:
    """The refusal an exception stands for, or None for a real failure (a 500 and a log).

    A lock wait past the timeout, a deadlock or a serialisation failure: `Busy` (409, try
    again). A database constraint that fired: `Conflict` (409): the named constraints are
    the last line of defence behind the services' own checks.
    """
    from django.db import IntegrityError

    from gomask.locks import busy_from

    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, IntegrityError):
        return Conflict()
    return busy_from(exc)
