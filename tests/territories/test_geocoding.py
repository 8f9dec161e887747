"""Geocoding through the BAN, replaced by a local fake server (tests.fixtures_territories)."""

import logging
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from territories.geocoding import geocode_address
from territories.models import Commune, GeocodingFallback, GeocodingFallbackReason
from tests.fixtures_territories import FakeBan

pytestmark = pytest.mark.django_db

# The Riscle post office (BAN answers the door of 8 place de la Mairie around there).
DOOR = {"latitude": 43.6571, "longitude": -0.0862}


@pytest.fixture
def riscle(occitanie):
    return Commune.objects.get(insee_code="32344")


def unique_street():
    # The cache is Redis, shared across runs and workers: each test asks for a new street.
    return f"{uuid.uuid4().hex[:8]} place de la Mairie"


def test_an_address_found_in_the_commune_gets_its_own_position(ban_server, riscle):
    ban_server.features = [FakeBan.feature(**DOOR, citycode="32344", postcode="32400")]

    result = geocode_address(street=unique_street(), commune=riscle)

    assert (result.latitude, result.longitude) == (DOOR["latitude"], DOOR["longitude"])
    assert result.precision == "address"
    assert result.approximate is False


def test_the_query_names_the_postal_code_and_the_commune(ban_server, riscle):
    street = unique_street()

    geocode_address(street=street, commune=riscle)

    assert ban_server.queries[0]["q"] == [f"{street}, 32400 Riscle"]


def test_a_second_request_for_the_same_address_is_served_from_the_cache(ban_server, riscle):
    ban_server.features = [FakeBan.feature(**DOOR, citycode="32344", postcode="32400")]
    street = unique_street()

    first = geocode_address(street=street, commune=riscle)
    second = geocode_address(street=f"  {street.upper()} ", commune=riscle)

    assert second == first
    assert len(ban_server.queries) == 1


def test_an_answer_in_another_commune_is_ignored(ban_server, riscle):
    ban_server.features = [
        FakeBan.feature(latitude=43.6, longitude=1.44, citycode="31555", postcode="31000"),
        FakeBan.feature(**DOOR, citycode="32344", postcode="32400", kind="street"),
    ]

    result = geocode_address(street=unique_street(), commune=riscle)

    assert (result.latitude, result.longitude) == (DOOR["latitude"], DOOR["longitude"])
    assert result.precision == "address"
    assert result.approximate is True  # the street, not the door


def test_no_answer_falls_back_to_the_commune_position(ban_server, riscle):
    ban_server.features = []

    result = geocode_address(street=unique_street(), commune=riscle)

    assert (result.latitude, result.longitude) == (riscle.latitude, riscle.longitude)
    assert result.precision == "commune"
    assert result.approximate is False


def test_geocoding_falls_back_to_the_commune_when_the_service_is_down(settings, riscle):
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.GEOCODER_BACKEND = "ban"
    settings.GEOCODER_BAN_DOMAIN = f"127.0.0.1:{closed_port}"
    settings.GEOCODER_BAN_SCHEME = "http"

    result = geocode_address(street=unique_street(), commune=riscle)

    assert (result.latitude, result.longitude) == (riscle.latitude, riscle.longitude)
    assert result.precision == "commune"


def test_a_failure_is_not_cached_so_the_next_request_retries(ban_server, riscle):
    street = unique_street()
    ban_server.status = 503
    assert geocode_address(street=street, commune=riscle).precision == "commune"

    ban_server.status = 200
    ban_server.features = [FakeBan.feature(**DOOR, citycode="32344", postcode="32400")]
    assert geocode_address(street=street, commune=riscle).precision == "address"
    assert len(ban_server.queries) == 2


def test_a_slow_service_falls_back_to_the_commune_after_the_timeout(ban_server, riscle):
    ban_server.features = [FakeBan.feature(**DOOR, citycode="32344", postcode="32400")]
    ban_server.delay = 1.5  # GEOCODER_TIMEOUT is 1 s

    result = geocode_address(street=unique_street(), commune=riscle)

    assert result.precision == "commune"


def test_with_the_geocoder_switched_off_no_request_is_made(ban_server, settings, riscle):
    settings.GEOCODER_BACKEND = "none"

    result = geocode_address(street=unique_street(), commune=riscle)

    assert result.precision == "commune"
    assert ban_server.queries == []


def test_an_approximate_commune_position_is_reported_as_approximate(ban_server, occitanie):
    ansan = Commune.objects.get(insee_code="32002")

    result = geocode_address(street=unique_street(), commune=ansan)

    assert result.precision == "commune"
    assert result.approximate is True


def test_the_default_geocoder_is_the_ban_on_the_geoplateforme():
    # api-adresse.data.gouv.fr closed in January 2026; the BAN now answers on data.geopf.fr.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOCODER_")}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; from geopy.geocoders import BANFrance; "
            "print(BANFrance(domain=settings.GEOCODER_BAN_DOMAIN, scheme=settings.GEOCODER_BAN_SCHEME)"
            ".geocode_api)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1] == "https://data.geopf.fr/geocodage/search", result.stderr


def test_a_geocoder_served_under_a_path_like_the_geoplateforme_is_reached(ban_server, settings, riscle):
    ban_server.base_path = "/geocodage"
    settings.GEOCODER_BAN_DOMAIN = f"127.0.0.1:{ban_server.port}/geocodage"
    ban_server.features = [FakeBan.feature(**DOOR, citycode="32344", postcode="32400")]

    result = geocode_address(street=unique_street(), commune=riscle)

    assert result.precision == "address"
    assert len(ban_server.queries) == 1


def test_each_fall_back_because_the_service_fails_is_logged_and_counted_for_the_day(
    ban_server, riscle, caplog
):
    ban_server.status = 503

    with caplog.at_level(logging.WARNING, logger="territories.geocoding"):
        geocode_address(street=unique_street(), commune=riscle)
        geocode_address(street=unique_street(), commune=riscle)

    row = GeocodingFallback.objects.get(reason=GeocodingFallbackReason.UNAVAILABLE)
    assert row.count == 2
    assert row.day == timezone.localdate()
    assert row.last_commune == "32344"
    assert "503" in row.last_error or "Unavailable" in row.last_error
    assert sum("BAN geocoding failed" in record.getMessage() for record in caplog.records) == 2


def test_an_address_the_service_does_not_find_is_logged_and_counted_apart(ban_server, riscle, caplog):
    ban_server.features = []

    with caplog.at_level(logging.WARNING, logger="territories.geocoding"):
        geocode_address(street=unique_street(), commune=riscle)

    row = GeocodingFallback.objects.get()
    assert (row.reason, row.count) == (GeocodingFallbackReason.NOT_FOUND, 1)
    assert any("found no address" in record.getMessage() for record in caplog.records)


def test_a_found_address_counts_no_fall_back(ban_server, riscle):
    ban_server.features = [FakeBan.feature(**DOOR, citycode="32344", postcode="32400")]

    geocode_address(street=unique_street(), commune=riscle)

    assert not GeocodingFallback.objects.exists()


def test_an_administrator_sees_the_fall_backs_in_the_admin(ban_server, riscle, client, administrator):
    ban_server.status = 503
    geocode_address(street=unique_street(), commune=riscle)

    client.force_login(administrator)
    page = client.get(reverse("admin:territories_geocodingfallback_changelist")).content.decode()

    assert "32344" in page
    assert "service injoignable" in page
