"""HTTP helpers of the feeds: who the client is, and the per-client rate limit."""

from django.conf import settings
from django.core.cache import cache
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


def check_rate(client: str, at: float) -> None:
    """Fixed window per client in the cache; raises TooManyRequests past OPENDATA_RATE_LIMIT."""
    limit = settings.OPENDATA_RATE_LIMIT
    if not limit:
        return
    window = settings.OPENDATA_RATE_WINDOW_SECONDS
    key = f"opendata:rate:{client}:{int(at) // window}"
    try:
        count = cache.incr(key)
    except ValueError:
        # First request of the window (or the key expired between the two calls).
        count = 1 if cache.add(key, 1, timeout=window + 5) else cache.incr(key)
    if count > limit:
        raise TooManyRequests()
