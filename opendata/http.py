"""HTTP helpers of the feeds: who the client is, and the error past the rate limit."""

from django.utils.translation import gettext_lazy as _

from gomask.client_ip import client_ip
from gomask.errors import DomainError


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _(
        "Trop de requêtes depuis cette adresse : les données ne changent pas à chaque seconde, "
        "espacez vos appels et réessayez dans une minute."
    )


def client_address(request) -> str:
    """The client's address for the rate limit: the portal's one reading of X-Forwarded-For
    (TRUSTED_PROXY_COUNT), as for the login and booking limits."""
    return client_ip(request) or "unknown"
