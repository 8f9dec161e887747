"""How build_territories_data places communes, on a small made-up region."""

from collections import defaultdict

import pytest

from territories.management.commands.build_territories_data import Command, Place
from territories.text import normalize_name


def commune(code, name, population, epci="E1"):
    return {
        "code": code,
        "name": name,
        "departement": "32",
        "region": "76",
        "postal_codes": [],
        "population": population,
        "epci": epci,
    }


def index(*places):
    by_key = defaultdict(list)
    for place in places:
        by_key[("76", normalize_name(place.name))].append(place)
    return by_key


def build(communes, places, former_communes=None):
    communes = {c["code"]: c for c in communes}
    epcis = defaultdict(lambda: {"region": "76", "members": []})
    for c in communes.values():
        epcis[c["epci"]]["members"].append(c["code"])
    stats = Command().assign_coordinates(communes, former_communes or {}, dict(epcis), places)
    return communes, stats


def test_a_commune_is_placed_where_geonames_puts_its_name_whatever_the_spelling():
    communes, _ = build(
        [commune("32001", "Saint-Mont", 300)],
        index(Place("St Mont", 43.65, -0.15, 320)),
    )

    assert communes["32001"]["latitude"] == 43.65
    assert communes["32001"]["approximate"] is False


def test_namesakes_in_a_region_are_told_apart_by_population():
    communes, stats = build(
        [commune("32001", "Caumont", 150), commune("32002", "Caumont", 2500)],
        index(Place("Caumont", 43.0, 0.0, 2400), Place("Caumont", 43.1, 0.1, 140)),
    )

    assert (communes["32001"]["latitude"], communes["32002"]["latitude"]) == (43.1, 43.0)
    assert stats["matched_among_namesakes"] == 2


def test_commune_without_coordinates_gets_approximate_position():
    communes, stats = build(
        [commune("32001", "Aignan", 700), commune("32002", "Bouzon", 600), commune("32003", "Hamlet", 40)],
        index(Place("Aignan", 43.0, 0.0, 700), Place("Bouzon", 43.2, 0.2, 600)),
    )

    hamlet = communes["32003"]
    assert hamlet["approximate"] is True
    assert (hamlet["latitude"], hamlet["longitude"]) == (pytest.approx(43.1), pytest.approx(0.1))
    assert stats["approximate_from_epci"] == 1


def test_a_commune_alone_in_its_epci_takes_the_centroid_of_its_departement():
    communes, stats = build(
        [commune("32001", "Aignan", 700), commune("32002", "Island", 50, epci=None)],
        index(Place("Aignan", 43.0, 0.0, 700)),
    )

    assert communes["32002"]["latitude"] == 43.0
    assert communes["32002"]["approximate"] is True
    assert stats["approximate_from_departement"] == 1


def test_a_commune_nouvelle_takes_the_position_of_its_former_chef_lieu():
    communes, stats = build(
        [commune("32001", "Val-Neuf", 1200)],
        index(Place("Ancien Bourg", 43.3, 0.3, 900), Place("Autre Village", 43.4, 0.4, 1100)),
        former_communes={
            "32001": [
                {"code": "32009", "nom": "Autre Village"},
                {"code": "32001", "nom": "Ancien Bourg"},
            ]
        },
    )

    assert communes["32001"]["latitude"] == 43.3
    assert communes["32001"]["approximate"] is False
    assert stats["matched_by_former_commune"] == 1


def test_a_namesake_far_from_the_rest_of_the_epci_is_rejected():
    communes, stats = build(
        [
            commune("32001", "Aignan", 700),
            commune("32002", "Bouzon", 600),
            commune("32003", "Castex", 500),
            commune("32004", "Faraway", 550),
        ],
        index(
            Place("Aignan", 43.0, 0.0, 700),
            Place("Bouzon", 43.05, 0.05, 600),
            Place("Castex", 43.1, 0.0, 500),
            Place("Faraway", 44.5, 3.0, 550),  # 300 km away: another place of that name
        ),
    )

    assert communes["32004"]["approximate"] is True
    assert communes["32004"]["latitude"] == pytest.approx(43.05)
    assert stats["rejected_far_from_epci"] == 1
