"""A fair waiting room in front of booking, for rushes (first come, first served).

When more people try to book than the server takes, they queue instead of timing out. State
lives in Redis (three keys and one per admitted ticket), changed by one Lua script so that every
step is atomic:

- a ticket counter: each arrival gets the next number (INCR), so the order is the arrival order;
- an admission cursor: tickets numbered up to it are admitted. It moves forward by
  WAITING_ROOM_RATE per second (a token bucket), and while nobody waits it runs at most
  WAITING_ROOM_BURST ahead of the last ticket: outside a rush everyone goes straight through;
- the admitted requests in progress (a sorted set of request ids by start time): while
  WAITING_ROOM_CONCURRENCY of them are being served, the cursor stands still. A rate alone
  admits everyone when the crowd reaches the room no faster than the server answers (the
  crowd then waits in the server's listen queue, unanswered, not in the room); counting the
  bookings in progress makes the room answer the crowd with a place while the server is busy,
  and admit again as soon as it has room. An entry older than STALE_SECONDS (a killed worker)
  no longer counts;
- an admitted ticket may book for WAITING_ROOM_ADMISSION_SECONDS after its admission; later it
  must queue again.

Tickets are signed (`django.core.signing`), so nobody picks their own number. The gate is a
middleware placed near the top of MIDDLEWARE (`WaitingRoomMiddleware`): a waiting client costs
one Redis call and no database query. Two doors go through it:

- the API (`POST /api/consultations/bookings/`): without an admitted ticket in the
  `X-Waiting-Room-Ticket` header, the answer is 429 `{"code": "waiting_room", "ticket",
  "position", "retry_after"}` with `Retry-After` (whole seconds; `retry_after` to the tenth, at
  least MIN_RETRY_SECONDS); the client sends the same request again with
  the ticket after that delay;
- the booking page (`/consultations/creneau/<id>/reserver/`): the ticket is kept in a signed
  cookie, and the person is sent (303) to `/consultations/file-d-attente/`, which shows their
  position and refreshes itself (meta refresh, no JavaScript needed) until they are admitted.

Off unless WAITING_ROOM_ENABLED (needs REDIS_URL). Losing Redis loses the queue, nothing else:
the gate then lets requests through.
"""

import itertools
import json
import logging
import math
import os
import re
import socket
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TICKET_SALT = "consultations.waiting-room"
TICKET_MAX_AGE = 6 * 3600
COOKIE = "gomask_file"
HEADER = "HTTP_X_WAITING_ROOM_TICKET"
API_PATH = "/api/consultations/bookings/"
_BOOK_PAGE = re.compile(r"^/consultations/creneau/\d{1,18}/reserver/$")

# A request admitted this long ago and still listed as in progress was lost (a killed worker).
STALE_SECONDS = 60

# KEYS: issued counter, admission cursor, cursor timestamp, prefix of admitted-ticket keys,
# sorted set of admitted requests in progress.
# ARGV: now (s), rate (/s), burst, ticket (0 = take a new one), admission window (s),
# concurrency, request id (listed in progress if admitted), stale age (s).
# Returns {ticket, state, position, cursor*1000}: state 1 admitted, 0 waiting, -1 expired.
_SCRIPT = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local ticket = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local concurrency = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[8]))
local busy = redis.call('ZCARD', KEYS[5])
local issued = tonumber(redis.call('GET', KEYS[1]) or '0')
local stored = redis.call('GET', KEYS[3])
local cursor = tonumber(redis.call('GET', KEYS[2]) or '0')
local stamp = tonumber(stored or ARGV[1])
if not stored then
  -- A fresh room: nobody waits, the burst goes straight through.
  cursor = issued + burst
end
if now > stamp then
  local ceiling = issued + burst
  -- Time spent with the server full earns no admissions.
  if cursor < ceiling and busy < concurrency then
    cursor = math.min(cursor + (now - stamp) * rate, ceiling)
  end
  stamp = now
end
if ticket == 0 then
  ticket = redis.call('INCR', KEYS[1])
end
redis.call('SET', KEYS[2], tostring(cursor))
redis.call('SET', KEYS[3], tostring(stamp))
if ticket <= cursor then
  local key = KEYS[4] .. ticket
  redis.call('SET', key, ARGV[1], 'NX', 'EX', math.floor(window) + 60)
  local admitted_at = tonumber(redis.call('GET', key))
  if now - admitted_at > window then
    return {ticket, -1, 0, math.floor(cursor * 1000)}
  end
  if ARGV[7] ~= '' then
    redis.call('ZADD', KEYS[5], now, ARGV[7])
    redis.call('EXPIRE', KEYS[5], 2 * tonumber(ARGV[8]))
  end
  return {ticket, 1, 0, math.floor(cursor * 1000)}
end
return {ticket, 0, math.ceil(ticket - cursor), math.floor(cursor * 1000)}
"""


@dataclass(frozen=True)
class Place:
    """Where a ticket stands: admitted (may book now) or waiting at `position` (1 = next)."""

    ticket: int
    admitted: bool
    position: int
    expired: bool = False

    @property
    def token(self) -> str:
        return sign(self.ticket)

    @property
    def wait_seconds(self) -> float:
        """About how long until admission, at the configured rate."""
        return self.position / max(settings.WAITING_ROOM_RATE, 0.001)


def enabled() -> bool:
    return settings.WAITING_ROOM_ENABLED


def sign(ticket: int) -> str:
    return signing.dumps(ticket, salt=TICKET_SALT, compress=False)


def unsign(token: str | None) -> int | None:
    """The ticket number of a signed ticket (None if absent, forged, malformed or too old)."""
    if not token or len(token) > 200:
        return None
    try:
        value = signing.loads(token, salt=TICKET_SALT, max_age=TICKET_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _client():
    # Django's Redis cache backend: one shared connection pool per process.
    return cache._cache.get_client(None, write=True)


_script = None


_KEY_NAMES = ("issued", "cursor", "stamp", "admitted:", "in-progress")
_request_ids = itertools.count(1)


def _keys() -> list[str]:
    return [cache.make_key(f"waiting-room:{name}") for name in _KEY_NAMES]


def new_request_id() -> str:
    """An id for one admitted request, unique across processes and machines."""
    return f"{socket.gethostname()}:{os.getpid()}:{next(_request_ids)}"


def place(ticket: int | None = None, *, now: float | None = None, request_id: str = "") -> Place:
    """Take a new ticket (`ticket` None), or read where `ticket` stands; admits at the set rate
    while fewer than WAITING_ROOM_CONCURRENCY admitted requests are in progress.

    If admitted and `request_id` is given, the request is listed in progress until `finished`.
    An admitted ticket past its admission window gets a new number at the back of the queue."""
    global _script
    if _script is None:
        _script = _client().register_script(_SCRIPT)
    now = time.time() if now is None else now
    args = [
        repr(float(now)),
        repr(float(settings.WAITING_ROOM_RATE)),
        settings.WAITING_ROOM_BURST,
        ticket or 0,
        settings.WAITING_ROOM_ADMISSION_SECONDS,
        settings.WAITING_ROOM_CONCURRENCY,
        request_id,
        STALE_SECONDS,
    ]
    number, state, position, _cursor = _script(keys=_keys(), args=args)
    if state == -1:
        args[3] = 0
        number, state, position, _cursor = _script(keys=_keys(), args=args)
        return Place(ticket=int(number), admitted=state == 1, position=int(position), expired=True)
    return Place(ticket=int(number), admitted=state == 1, position=int(position))


def finished(request_id: str) -> None:
    """An admitted request is answered: it no longer holds the server."""
    try:
        _client().zrem(_keys()[4], request_id)
    except Exception:  # Redis unreachable: the entry goes stale after STALE_SECONDS.
        logger.warning("waiting room unavailable: could not list a request as finished", exc_info=True)


def reset() -> None:
    """Empty the waiting room (tests, or an operator after a rush)."""
    client = _client()
    keys = _keys()
    client.delete(*keys[:3], keys[4])
    for key in client.scan_iter(match=f"{keys[3]}*"):
        client.delete(key)


def safe_next(path: str | None) -> str | None:
    """A booking page of this site to return to (never another host or another page)."""
    if path and url_has_allowed_host_and_scheme(path, allowed_hosts=None) and _BOOK_PAGE.match(path):
        return path
    return None


# An API client is told to come back after its expected wait, to the tenth of a second, within
# these bounds: soon enough that the places at the front are not left empty for whole seconds
# (a rush is over in a few), not so soon that polling costs more than it serves.
MIN_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0


def retry_after(found: Place) -> float:
    """Seconds before a waiting API client asks again: its expected wait, bounded."""
    return round(min(MAX_RETRY_SECONDS, max(MIN_RETRY_SECONDS, found.wait_seconds)), 1)


def waiting_message(position: int) -> str:
    return _(
        "Beaucoup de personnes réservent en ce moment : vous êtes dans la file d'attente, en "
        "position %(position)s. Les personnes passent dans l'ordre d'arrivée."
    ) % {"position": position}


class WaitingRoomMiddleware:
    """The gate in front of booking (see the module docstring). Place it near the top of
    MIDDLEWARE: a waiting client is answered before sessions, CSRF and the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.WAITING_ROOM_ENABLED:
            return self.get_response(request)
        path = request.path_info
        if path == API_PATH and request.method == "POST":
            return self._api(request)
        if _BOOK_PAGE.match(path) and request.method in ("GET", "POST"):
            return self._page(request, path)
        return self.get_response(request)

    def _place(self, ticket: int | None, request_id: str) -> Place | None:
        try:
            return place(ticket, request_id=request_id)
        except Exception:  # Redis unreachable: the queue is lost, booking stays open.
            logger.warning("waiting room unavailable: letting the request through", exc_info=True)
            return None

    def _serve(self, request, request_id: str):
        """An admitted request, listed in progress until answered."""
        try:
            return self.get_response(request)
        finally:
            finished(request_id)

    def _api(self, request):
        request_id = new_request_id()
        found = self._place(unsign(request.META.get(HEADER)), request_id)
        if found is None:
            return self.get_response(request)
        if found.admitted:
            return self._serve(request, request_id)
        retry = retry_after(found)
        payload = {
            "code": "waiting_room",
            "message": waiting_message(found.position),
            "ticket": found.token,
            "position": found.position,
            "retry_after": retry,
        }
        response = HttpResponse(json.dumps(payload), status=429, content_type="application/json")
        # The header takes whole seconds (RFC 9110); the body says it to the tenth.
        response["Retry-After"] = str(max(1, math.ceil(retry)))
        response["Cache-Control"] = "no-store"
        return response

    def _page(self, request, path):
        request_id = new_request_id()
        found = self._place(unsign(request.COOKIES.get(COOKIE)), request_id)
        if found is None:
            return self.get_response(request)
        if found.admitted:
            response = self._serve(request, request_id)
        else:
            target = reverse("consultations:waiting_room")
            query = request.META.get("QUERY_STRING", "")
            suite = path + (f"?{query}" if query and len(query) < 500 else "")
            response = HttpResponseRedirect(f"{target}?{_encode({'suite': suite})}", status=303)
            response["Cache-Control"] = "no-store"
        set_cookie(response, found)
        return response


def _encode(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def set_cookie(response, found: Place) -> None:
    response.set_cookie(
        COOKIE,
        found.token,
        max_age=TICKET_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
