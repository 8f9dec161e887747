"""The client's address, the one every per-client limit counts by.

Behind reverse proxies REMOTE_ADDR is the last proxy's address, so counting by it puts every
visitor in one bucket: five failed logins by anyone would lock everybody out. Each proxy we run
appends the address it received the request from to X-Forwarded-For; with TRUSTED_PROXY_COUNT
proxies, the client is the entry that many places from the right. Entries further left were
written by the client itself and may be forged, so they are never used.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The address of the client as seen by our first trusted proxy (REMOTE_ADDR without proxy)."""
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer hops than proxies: a proxy was bypassed or misconfigured; the leftmost hop is
            # the furthest address any proxy vouches for.
            candidate = _valid_ip(hops[-trusted] if len(hops) >= trusted else hops[0])
            if candidate:
                return candidate
    return _valid_ip(request.META.get("REMOTE_ADDR", "")) or "unknown"


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
