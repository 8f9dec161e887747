"""HTTP helpers of the feeds: who the client is, and the error past the rate limit."""

from django.utils.translation import gettext_lazy as _

from gomask.errors import DomainError


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _(
        "Trop de requêtes depuis cette adresse : les données ne changent pas à chaque seconde, "
        "espacez vos appels et réessayez dans une minute."
    )


def client_address(request) -> str:
    """The client's address for the rate limit.

    REMOTE_ADDR until the portal has a trusted-proxy aware helper (the auth work); swap it here.
    """
    return request.META.get("REMOTE_ADDR") or "unknown"
