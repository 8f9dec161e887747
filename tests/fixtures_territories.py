"""Territory fixtures for every app's tests (a pytest plugin: see tests/conftest.py).

The real reference data of Occitanie (region 76: 4,400 communes, Riscle and Toulouse
among them) is loaded once per test database, outside any test transaction, so that it is
visible to ordinary, transactional and live-server tests alike.

Usage: ask for `occitanie` in a test or fixture, then read communes as usual:

    def test_something(occitanie):
        riscle = Commune.objects.get(insee_code="32344")

Regions and départements of all of France are always there; only region 76 has communes.

`ban_server` starts a fake Base Adresse Nationale on 127.0.0.1 and points the
GEOCODER_* settings at it, for tests of territories.geocoding.geocode_address.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from territories.models import Commune, Region
from territories.services import load_territories

OCCITANIE = "76"
RISCLE = "32344"


@pytest.fixture(scope="session")
def occitanie_loaded(django_db_setup, django_db_blocker):
    """Load region 76 once per test database (once per xdist worker)."""
    with django_db_blocker.unblock():
        load_territories(regions=[OCCITANIE])


@pytest.fixture
def occitanie(occitanie_loaded, django_db_blocker) -> Region:
    """Region 76 with its communes, EPCIs and postal codes loaded; returns the Region.

    Function-scoped on purpose: a transactional test (transaction=True, live_server)
    truncates every table when it ends, so each use checks that the data is still there
    (one cheap query) and reloads it if it is not.
    """
    with django_db_blocker.unblock():
        if not Commune.objects.filter(insee_code=RISCLE).exists():
            load_territories(regions=[OCCITANIE])
        return Region.objects.get(code=OCCITANIE)


class FakeBan:
    """A stand-in for the BAN geocoder on 127.0.0.1: answers `base_path`/search with the
    GeoJSON features in `features` (after `delay` seconds, or with the HTTP error
    `status`) and records each query string in `queries`."""

    def __init__(self):
        self.features: list[dict] = []
        self.delay = 0.0
        self.status = 200
        self.queries: list[dict[str, list[str]]] = []
        # The Géoplateforme serves the BAN under a path (data.geopf.fr/geocodage/search).
        self.base_path = ""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                if url.path.rstrip("/") != f"{fake.base_path}/search":
                    self.send_error(404)
                    return
                fake.queries.append(parse_qs(url.query))
                time.sleep(fake.delay)
                if fake.status != 200:
                    self.send_error(fake.status)
                    return
                body = json.dumps({"type": "FeatureCollection", "features": fake.features}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    @staticmethod
    def feature(*, latitude, longitude, citycode, postcode, kind="housenumber", label=""):
        """One BAN search result (GeoJSON: coordinates are longitude first)."""
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
            "properties": {
                "label": label,
                "score": 0.9,
                "type": kind,
                "citycode": citycode,
                "postcode": postcode,
            },
        }


@pytest.fixture
def ban_server(settings):
    """A local fake BAN, with the geocoding settings pointing at it."""
    fake = FakeBan()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    settings.GEOCODER_BACKEND = "ban"
    settings.GEOCODER_BAN_DOMAIN = f"127.0.0.1:{fake.port}"
    settings.GEOCODER_BAN_SCHEME = "http"
    settings.GEOCODER_TIMEOUT = 1
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
