"""Distances and name normalisation: pure functions, no database."""

import math
import random

import pytest

from territories.geo import bounding_box, haversine_km
from territories.text import normalize_name

RISCLE = (43.65695, -0.08764)
TOULOUSE = (43.60426, 1.44367)


def test_riscle_is_about_124_km_from_toulouse():
    assert haversine_km(*RISCLE, *TOULOUSE) == pytest.approx(123.5, abs=1.5)


def test_distance_is_symmetric_and_zero_to_itself():
    assert haversine_km(*RISCLE, *RISCLE) == 0
    assert haversine_km(*RISCLE, *TOULOUSE) == haversine_km(*TOULOUSE, *RISCLE)


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(43, 0, 44, 0) == pytest.approx(111.2, abs=0.1)


@pytest.mark.parametrize("latitude", [-21.1, 5.0, 43.66, 51.0, 70.0])
def test_bounding_box_contains_every_point_of_the_circle(latitude):
    radius = 25
    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, 1.0, radius)
    rng = random.Random(latitude)
    for _ in range(500):
        # A point at (almost) exactly `radius` km in a random direction.
        bearing = rng.uniform(0, 2 * math.pi)
        d = radius * 0.999 / 6371.0088
        lat1, lng1 = math.radians(latitude), math.radians(1.0)
        lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing))
        lng2 = lng1 + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
        )
        point = (math.degrees(lat2), math.degrees(lng2))
        assert haversine_km(latitude, 1.0, *point) <= radius
        assert min_lat <= point[0] <= max_lat
        assert min_lng <= point[1] <= max_lng


def test_bounding_box_stays_tight_enough_to_be_useful():
    min_lat, max_lat, min_lng, max_lng = bounding_box(*RISCLE, 10)

    assert max_lat - min_lat == pytest.approx(20 / 111.2, rel=0.01)
    assert max_lng - min_lng < 0.3


def test_bounding_box_refuses_a_negative_radius():
    with pytest.raises(ValueError):
        bounding_box(*RISCLE, -1)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Saint-Étienne-d'Orthe", "saint etienne d orthe"),
        ("ST ETIENNE D’ORTHE", "saint etienne d orthe"),
        ("Ste-Foy-la-Grande", "sainte foy la grande"),
        ("Cœuvres-et-Valsery", "coeuvres et valsery"),
        ("  L'Haÿ-les-Roses ", "l hay les roses"),
        ("Riscle", "riscle"),
    ],
)
def test_names_are_normalised_without_case_accents_or_punctuation(raw, normalised):
    assert normalize_name(raw) == normalised
