"""The real reference data, as loaded from data/territories.json.gz."""

import gzip
import json

import pytest

from territories.models import Commune, DataLoad, Departement, Epci, PostalCode, Region
from territories.services import DEFAULT_DATA_FILE, TerritoryDataError, load_territories

pytestmark = pytest.mark.django_db


def test_riscle_is_commune_32344_in_the_gers_in_occitanie_with_coordinates(occitanie):
    riscle = Commune.objects.select_related("departement", "region", "epci").get(insee_code="32344")

    assert riscle.name == "Riscle"
    assert riscle.departement.code == "32"
    assert riscle.departement.name == "Gers"
    assert riscle.region == occitanie
    assert riscle.region.name == "Occitanie"
    assert list(riscle.postal_codes.values_list("code", flat=True)) == ["32400"]
    assert riscle.latitude == pytest.approx(43.657, abs=0.01)
    assert riscle.longitude == pytest.approx(-0.088, abs=0.01)
    assert riscle.position_is_approximate is False
    assert riscle.population > 1000
    assert riscle.search_name == "riscle"


def test_riscle_belongs_to_the_communaute_de_communes_armagnac_adour(occitanie):
    epci = Commune.objects.get(insee_code="32344").epci

    assert epci.name == "CC Armagnac Adour"
    assert epci.kind == Epci.Kind.CC
    assert epci.region_id == "76"
    assert epci.communes.count() > 20


def test_toulouse_metropole_is_a_metropole_of_occitanie(occitanie):
    epci = Commune.objects.get(insee_code="31555").epci

    assert epci.kind == Epci.Kind.METRO
    assert epci.population > 700_000


def test_names_read_the_french_way(occitanie):
    assert str(Commune.objects.get(insee_code="32344")) == "Riscle (32)"
    assert str(Departement.objects.get(code="32")) == "Gers (32)"
    assert str(occitanie) == "Occitanie"
    assert str(PostalCode.objects.get(code="32400", commune_id="32344")) == "32400 Riscle"


def test_all_eighteen_regions_of_metropolitan_and_overseas_france_are_loaded(occitanie):
    assert Region.objects.count() == 18
    assert Departement.objects.count() == 101


def test_corsica_departements_2a_and_2b_exist(occitanie):
    corsica = Departement.objects.filter(code__in=["2A", "2B"]).order_by("code")

    assert [(d.code, d.name, d.region.name) for d in corsica] == [
        ("2A", "Corse-du-Sud", "Corse"),
        ("2B", "Haute-Corse", "Corse"),
    ]


def test_overseas_departements_are_loaded(occitanie):
    overseas = set(Departement.objects.filter(code__startswith="97").values_list("code", "name"))

    assert overseas == {
        ("971", "Guadeloupe"),
        ("972", "Martinique"),
        ("973", "Guyane"),
        ("974", "La Réunion"),
        ("976", "Mayotte"),
    }


def test_only_the_requested_region_has_communes(occitanie):
    assert Commune.objects.exclude(region_id="76").count() == 0
    assert Commune.objects.filter(region_id="76").count() > 4000


def test_loading_twice_does_not_duplicate(occitanie):
    counts_before = (Commune.objects.count(), PostalCode.objects.count(), Epci.objects.count())

    result = load_territories(regions=["76"])

    assert (Commune.objects.count(), PostalCode.objects.count(), Epci.objects.count()) == counts_before
    assert result.communes == counts_before[0]


def test_loading_again_restores_edited_rows_and_drops_stale_postal_codes(occitanie):
    Commune.objects.filter(insee_code="32344").update(name="Riscle-modifiée", latitude=0, longitude=0)
    PostalCode.objects.create(code="32999", commune_id="32344")

    load_territories(regions=["76"])

    riscle = Commune.objects.get(insee_code="32344")
    assert (riscle.name, round(riscle.latitude, 2)) == ("Riscle", 43.66)
    assert list(riscle.postal_codes.values_list("code", flat=True)) == ["32400"]


def test_loading_with_if_changed_skips_a_file_already_loaded(occitanie):
    load_territories(regions=["76"])
    Commune.objects.filter(insee_code="32344").update(name="Riscle-modifiée")

    result = load_territories(regions=["76"], if_changed=True)

    assert result.skipped is True
    assert Commune.objects.get(insee_code="32344").name == "Riscle-modifiée"
    assert DataLoad.objects.filter(regions="76").exists()


def test_loading_with_if_changed_still_loads_regions_not_loaded_yet(occitanie):
    load_territories(regions=["76"])

    result = load_territories(regions=["94"], if_changed=True)

    assert result.skipped is False
    assert Commune.objects.get(insee_code="2A004").name == "Ajaccio"


def test_loading_an_unknown_region_is_refused(occitanie):
    with pytest.raises(TerritoryDataError, match="99"):
        load_territories(regions=["99"])


def test_commune_without_coordinates_gets_approximate_position(occitanie):
    # Ansan (Gers, 75 inhabitants) is too small for GeoNames: it sits at the centroid of
    # the precisely placed communes of its EPCI.
    ansan = Commune.objects.get(insee_code="32002")
    placed = Commune.objects.filter(epci_id=ansan.epci_id, position_is_approximate=False)

    assert ansan.position_is_approximate is True
    assert placed.count() >= 3
    assert ansan.latitude == pytest.approx(sum(c.latitude for c in placed) / placed.count(), abs=1e-4)
    assert ansan.longitude == pytest.approx(sum(c.longitude for c in placed) / placed.count(), abs=1e-4)


def test_the_data_file_covers_all_of_france_in_a_few_megabytes():
    with gzip.open(DEFAULT_DATA_FILE, "rt", encoding="utf-8") as handle:
        document = json.load(handle)
    communes = document["communes"]

    assert DEFAULT_DATA_FILE.stat().st_size < 3_000_000
    assert len(communes) > 34_000
    assert len(document["epcis"]) > 1200
    assert {c["departement"] for c in communes} >= {"2A", "2B", "971", "972", "973", "974", "976"}
    # Every commune has a position, and most inhabitants live in a precisely placed one.
    assert all(-90 <= c["latitude"] <= 90 and -180 <= c["longitude"] <= 180 for c in communes)
    precise = sum(c["population"] for c in communes if not c["approximate"])
    assert precise / sum(c["population"] for c in communes) > 0.8
