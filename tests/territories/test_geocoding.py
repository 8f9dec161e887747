"""Geocoding through the BAN, replaced by a local fake server (tests.fixtures_territories)."""

import socket
import uuid

import pytest

from territories.geocoding import geocode_address
from territories.models import Commune
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
