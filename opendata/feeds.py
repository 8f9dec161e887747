"""The open-data feeds: render each format and serve it from the cache.

A feed document (one feed, one set of filters, one format) is kept in the cache with its ETag
and Last-Modified. It is checked again at most every OPENDATA_REFRESH_SECONDS: the check reads
the feed's cheap "last change" marker and regenerates the document only when the marker
moved (or every OPENDATA_FULL_REFRESH_SECONDS, for what no marker sees: a renamed pharmacy, a
slot that has started). Between checks a request costs no SQL and, most of the time, no Redis
round trip either: each worker keeps the entry while it is younger than the interval, the body
keyed by its ETag, and adds its clients' request counts to the shared rate counters in batches
while they are far from the limit (one pipelined round trip when it does).

The ETag is a hash of the published rows: a regeneration that finds the same rows keeps the
ETag and Last-Modified, so clients polling with If-None-Match keep getting 304.
"""

import csv
import hashlib
import io
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from opendata import selectors
from opendata.http import TooManyRequests
from opendata.selectors import FeedFilters
from opendata.store import store

LICENCE = {
    "name": "Licence Ouverte / Open Licence version 2.0",
    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
PRODUCER = "GO MASK"
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
}
_LOCAL_BODIES_MAX = 32
_LOCK_SECONDS = 30


@dataclass(frozen=True)
class Feed:
    name: str  # also the file name of downloads
    title: str
    rows: Callable[[FeedFilters], list[dict]]
    marker: Callable[[], tuple]
    csv_columns: tuple[str, ...]


@dataclass
class Document:
    etag: str  # quoted, as sent in the header
    last_modified: int  # Unix seconds
    content_type: str
    body: bytes
    max_age: int  # seconds until the next check


def now() -> float:
    """The clock of the cache (tests move it forward)."""
    return time.time()


# --- Rendering -------------------------------------------------------------------------------


def _metadata(feed: Feed, *, last_modified: int, count: int) -> dict:
    return {
        "title": feed.title,
        "producer": PRODUCER,
        "licence": LICENCE,
        "documentation": f"{settings.SITE_URL}/donnees-ouvertes/",
        "last_modified": datetime.fromtimestamp(last_modified, UTC).isoformat().replace("+00:00", "Z"),
        "refresh_seconds": settings.OPENDATA_REFRESH_SECONDS,
        "count": count,
    }


def _pharmacy_csv_rows(rows: list[dict]):
    for row in rows:
        base = {key: value for key, value in row.items() if key not in {"stock", "updated_at"}}
        for product, entry in row["stock"].items():
            yield {**base, "product": product, **entry}


def _render(feed: Feed, output: str, rows: list[dict], last_modified: int) -> bytes:
    metadata = _metadata(feed, last_modified=last_modified, count=len(rows))
    if output == "json":
        return json.dumps({"metadata": metadata, "data": rows}, ensure_ascii=False).encode()
    if output == "geojson":
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
                "properties": {k: v for k, v in row.items() if k not in {"latitude", "longitude"}},
            }
            for row in rows
        ]
        # "metadata" is a foreign member, which RFC 7946 allows next to "features".
        return json.dumps(
            {"type": "FeatureCollection", "metadata": metadata, "features": features}, ensure_ascii=False
        ).encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=feed.csv_columns, extrasaction="raise", lineterminator="\r\n")
    writer.writeheader()
    flat = _pharmacy_csv_rows(rows) if feed.name == "officines" else rows
    for row in flat:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return buffer.getvalue().encode()


def _rows_hash(rows: list[dict]) -> str:
    canonical = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- Cache -----------------------------------------------------------------------------------

_local_bodies: OrderedDict[str, bytes] = OrderedDict()
_local_lock = threading.Lock()


def _remember_locally(etag: str, body: bytes) -> None:
    with _local_lock:
        _local_bodies[etag] = body
        _local_bodies.move_to_end(etag)
        while len(_local_bodies) > _LOCAL_BODIES_MAX:
            _local_bodies.popitem(last=False)


def _local_body(etag: str) -> bytes | None:
    with _local_lock:
        return _local_bodies.get(etag)


# This worker's copy of each document's entry, used while it is younger than the refresh
# interval (the freshness promise holds: it was checked less than N seconds ago).
_local_entries: OrderedDict[str, dict] = OrderedDict()
# Requests per (client, window) counted here and not yet added to the shared counter, and the
# shared total at the last addition: {rate key: [pending, known total]}.
_local_rates: dict[str, list[int]] = {}
_LOCAL_ENTRIES_MAX = 256
_LOCAL_RATES_MAX = 10_000


def forget_local_state() -> None:
    with _local_lock:
        _local_bodies.clear()
        _local_entries.clear()
        _local_rates.clear()


def _local_entry(key: str, at: float) -> dict | None:
    with _local_lock:
        entry = _local_entries.get(key)
    return (
        entry if entry is not None and at - entry["checked_at"] < settings.OPENDATA_REFRESH_SECONDS else None
    )


def _keep_entry(key: str, entry: dict) -> None:
    with _local_lock:
        _local_entries[key] = entry
        _local_entries.move_to_end(key)
        while len(_local_entries) > _LOCAL_ENTRIES_MAX:
            _local_entries.popitem(last=False)


def _requests_to_add(key: str, limit: int) -> int:
    """Count one request of this client here; how many to add to the shared counter now (0: later).

    Far from the limit a worker adds its requests in batches (an eighth of the remaining
    allowance at most), so that a busy feed does not cost a Redis round trip per request; near
    the limit every request is added and checked. The limit can be passed by at most about an
    eighth of the allowance per worker.
    """
    with _local_lock:
        if len(_local_rates) > _LOCAL_RATES_MAX:
            _local_rates.clear()
        counter = _local_rates.setdefault(key, [0, 0])
        counter[0] += 1
        pending, known = counter
        if pending < max(1, (limit - known) // 8):
            return 0
        counter[0] = 0
        return pending


def _record_total(key: str, total: int) -> None:
    with _local_lock:
        if key in _local_rates:
            _local_rates[key][1] = total


def _keys(feed: Feed, output: str, filters: FeedFilters) -> tuple[str, str]:
    digest = hashlib.sha256(f"{feed.name}|{output}|{filters.cache_key()}".encode()).hexdigest()[:32]
    return f"entry:{digest}", f"lock:{digest}"


def _body_key(etag: str) -> str:
    return f"body:{etag.strip(chr(34))}"


def rate_key(client: str, at: float) -> str:
    return f"rate:{client}:{int(at) // settings.OPENDATA_RATE_WINDOW_SECONDS}"


def count_request(client: str, at: float) -> int:
    """Count a request that will not read a document (bad parameters)."""
    return store().count(rate_key(client, at), settings.OPENDATA_RATE_WINDOW_SECONDS)


def _regenerate(feed: Feed, output: str, filters: FeedFilters, entry: dict | None, marker, at: float) -> dict:
    rows = feed.rows(filters)
    rows_hash = _rows_hash(rows)
    etag = '"' + hashlib.sha256(f"{output}|{rows_hash}".encode()).hexdigest()[:32] + '"'
    unchanged = entry is not None and entry["etag"] == etag
    last_modified = entry["last_modified"] if unchanged else int(at)
    body = _render(feed, output, rows, last_modified)
    # Same rows and same Last-Modified: the same bytes as the body already stored.
    store().set_body(_body_key(etag), body, timeout=max(4 * settings.OPENDATA_FULL_REFRESH_SECONDS, 3600))
    _remember_locally(etag, body)
    return {
        "etag": etag,
        "last_modified": last_modified,
        "marker": list(marker),
        "checked_at": at,
        "generated_at": at,
    }


def document(feed: Feed, output: str, filters: FeedFilters, *, client: str | None = None) -> Document:
    """The feed document, from the cache when it was checked less than N seconds ago.

    With `client`, the request is counted against the client's rate limit in the same round
    trip (TooManyRequests past OPENDATA_RATE_LIMIT).
    """
    entry_key, lock_key = _keys(feed, output, filters)
    at = now()
    refresh = settings.OPENDATA_REFRESH_SECONDS
    limit = settings.OPENDATA_RATE_LIMIT
    storage = store()
    client_key = rate_key(client, at) if client and limit else None
    to_add = _requests_to_add(client_key, limit) if client_key else 0
    entry = _local_entry(entry_key, at)
    if to_add or entry is None:
        count, shared_entry = storage.hit(
            client_key if to_add else None,
            to_add,
            settings.OPENDATA_RATE_WINDOW_SECONDS,
            None if entry is not None else entry_key,
        )
        if count is not None:
            _record_total(client_key, count)
            if count > limit:
                raise TooManyRequests()
        entry = entry or shared_entry
    if entry is None or at - entry["checked_at"] >= refresh:
        # One worker checks; the others keep serving the previous document meanwhile (with
        # nothing to serve yet, every worker builds it).
        locked = storage.lock(lock_key, _LOCK_SECONDS)
        if locked or entry is None:
            try:
                entry = _check(feed, output, filters, entry, at)
                storage.set_entry(entry_key, entry)
                _keep_entry(entry_key, entry)
            finally:
                if locked:
                    storage.unlock(lock_key)
    _keep_entry(entry_key, entry)
    body = _local_body(entry["etag"])
    if body is None:
        body = storage.get_body(_body_key(entry["etag"]))
        if body is None:  # evicted from the cache: rebuild it
            entry = _regenerate(feed, output, filters, entry, feed.marker(), at)
            storage.set_entry(entry_key, entry)
            _keep_entry(entry_key, entry)
            body = _local_body(entry["etag"])
        else:
            _remember_locally(entry["etag"], body)
    return Document(
        etag=entry["etag"],
        last_modified=entry["last_modified"],
        content_type=CONTENT_TYPES[output],
        body=body,
        max_age=max(0, int(entry["checked_at"] + refresh - at)),
    )


def _check(feed: Feed, output: str, filters: FeedFilters, entry: dict | None, at: float) -> dict:
    marker = list(feed.marker())
    if (
        entry is not None
        and entry["marker"] == marker
        and at - entry["generated_at"] < settings.OPENDATA_FULL_REFRESH_SECONDS
    ):
        return {**entry, "checked_at": at}
    return _regenerate(feed, output, filters, entry, marker, at)


# --- The feeds -------------------------------------------------------------------------------

_PLACE_COLUMNS = ("address", "commune", "insee_code", "departement", "latitude", "longitude")

PHARMACIES = Feed(
    name="officines",
    title="Officines : stock de masques par tranche",
    rows=selectors.pharmacy_rows,
    marker=selectors.pharmacy_marker,
    csv_columns=(
        "finess",
        "name",
        *_PLACE_COLUMNS,
        "position_precision",
        "product",
        "product_name",
        "band",
        "sold_out",
        "updated_at",
    ),
)
CARE_SITES = Feed(
    name="sites-de-soins",
    title="Sites de soins (centres de consultation, maisons et centres de santé, laboratoires) : statut",
    rows=selectors.care_site_rows,
    marker=selectors.care_site_marker,
    csv_columns=(
        "id",
        "kind",
        "kind_label",
        "name",
        *_PLACE_COLUMNS,
        "position_precision",
        "status_state",
        "status_accepts_referrals",
        "status_capacity_left",
        "status_covid_track",
        "status_non_covid_track",
        "status_updated_at",
        "status_stale",
    ),
)
CONSULTATIONS = Feed(
    name="consultations-solidaires",
    title="Consultations solidaires : créneaux libres par lieu et par jour",
    rows=selectors.consultation_rows,
    marker=selectors.consultation_marker,
    csv_columns=(
        "site_id",
        "site_name",
        "site_kind",
        "site_kind_label",
        *_PLACE_COLUMNS,
        "date",
        "free_slots",
    ),
)
