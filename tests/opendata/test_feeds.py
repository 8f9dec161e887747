"""The content of the three open-data feeds, in JSON, CSV and GeoJSON, against data built here."""

import csv
import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from consultations import services as consultations
from tests.consultations.conftest import patient

PHARMACIES = reverse("opendata:pharmacies")
CARE_SITES = reverse("opendata:care-sites")
CONSULTATIONS = reverse("opendata:consultations")


def by_finess(payload):
    return {row["finess"]: row for row in payload["data"]}


def test_an_anonymous_visitor_gets_open_pharmacies_with_a_band_per_product_and_no_count(client, stocked):
    response = client.get(PHARMACIES)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    rows = by_finess(response.json())
    riscle, toulouse = rows[stocked["riscle"].finess], rows[stocked["toulouse"].finess]
    assert riscle["stock"]["surgical"]["band"] == "30-99"
    assert riscle["stock"]["surgical"]["sold_out"] is False
    assert riscle["stock"]["surgical"]["updated_at"].endswith("Z")
    assert riscle["stock"]["ffp2"] == {
        "product_name": "Masque FFP2",
        "band": "0",
        "sold_out": False,
        "updated_at": None,
    }
    assert toulouse["stock"]["ffp2"]["band"] == "0"
    assert toulouse["stock"]["ffp2"]["sold_out"] is True
    assert toulouse["stock"]["surgical"]["band"] == "100+"
    assert riscle["commune"] == "Riscle"
    assert riscle["departement"] == "32"
    assert riscle["latitude"] == round(stocked["riscle"].latitude, 6)
    assert "40" not in {str(entry["band"]) for entry in riscle["stock"].values()}
    assert "on_hand" not in str(response.content)


def test_the_feed_never_includes_a_closed_pharmacy_in_any_format(client, stocked):
    closed = stocked["closed"].finess
    assert closed not in by_finess(client.get(PHARMACIES).json())
    assert closed not in client.get(PHARMACIES, {"format": "csv"}).content.decode()
    assert closed not in client.get(PHARMACIES, {"format": "geojson"}).content.decode()


def test_options_in_progress_lower_the_published_band(client, stocked, riscle_pharmacist, nurse):
    from distribution import services as distribution

    distribution.reserve(actor=nurse, pharmacy_id=stocked["riscle"].pk, product_code="surgical", quantity=15)
    rows = by_finess(client.get(PHARMACIES).json())
    assert rows[stocked["riscle"].finess]["stock"]["surgical"]["band"] == "1-29"


def test_the_payload_states_the_licence_ouverte(client, stocked):
    response = client.get(PHARMACIES)
    metadata = response.json()["metadata"]
    assert metadata["licence"]["name"] == "Licence Ouverte / Open Licence version 2.0"
    assert metadata["licence"]["url"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    assert metadata["documentation"].endswith("/donnees-ouvertes/")
    assert metadata["count"] == 2
    assert 'rel="license"' in response["Link"]
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_csv_has_one_row_per_pharmacy_and_product(client, stocked):
    response = client.get(PHARMACIES, {"format": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 4
    toulouse_ffp2 = next(
        row for row in rows if row["finess"] == stocked["toulouse"].finess and row["product"] == "ffp2"
    )
    assert toulouse_ffp2["band"] == "0"
    assert toulouse_ffp2["sold_out"] == "True"
    assert toulouse_ffp2["commune"] == "Toulouse"
    riscle_ffp2 = next(
        row for row in rows if row["finess"] == stocked["riscle"].finess and row["product"] == "ffp2"
    )
    assert riscle_ffp2["updated_at"] == ""


def test_the_geojson_is_a_feature_collection_of_points_in_longitude_latitude_order(client, stocked):
    payload = client.get(PHARMACIES, {"format": "geojson"}).json()

    assert payload["type"] == "FeatureCollection"
    assert payload["metadata"]["licence"]["name"].startswith("Licence Ouverte")
    feature = next(f for f in payload["features"] if f["properties"]["finess"] == stocked["riscle"].finess)
    assert feature["geometry"] == {
        "type": "Point",
        "coordinates": [round(stocked["riscle"].longitude, 6), round(stocked["riscle"].latitude, 6)],
    }
    assert feature["properties"]["stock"]["surgical"]["band"] == "30-99"


def test_filters_by_departement_product_and_bounding_box(client, stocked):
    gers = by_finess(client.get(PHARMACIES, {"departement": "32"}).json())
    assert set(gers) == {stocked["riscle"].finess}

    ffp2 = by_finess(client.get(PHARMACIES, {"product": "ffp2"}).json())
    assert set(ffp2[stocked["toulouse"].finess]["stock"]) == {"ffp2"}

    riscle = stocked["riscle"]
    lng, lat = riscle.longitude, riscle.latitude
    box = f"{lng - 0.05:.5f},{lat - 0.05:.5f},{lng + 0.05:.5f},{lat + 0.05:.5f}"
    assert set(by_finess(client.get(PHARMACIES, {"bbox": box}).json())) == {riscle.finess}


def test_care_sites_feed_lists_active_sites_at_their_commune_position(client, care_sites):
    payload = client.get(CARE_SITES).json()

    rows = {row["name"]: row for row in payload["data"]}
    assert set(rows) == {"Centre COVID de Riscle", "Laboratoire du Capitole"}
    lab = rows["Laboratoire du Capitole"]
    assert lab["kind"] == "lab"
    assert lab["kind_label"] == "Laboratoire de biologie médicale"
    assert lab["commune"] == "Toulouse"
    assert lab["departement"] == "31"
    assert lab["position_precision"] == "commune"
    assert (lab["status_state"], lab["status_updated_at"], lab["status_stale"]) == ("", None, True)
    gers = client.get(CARE_SITES, {"departement": "32", "format": "csv"}).content.decode()
    assert "Centre COVID de Riscle" in gers and "Capitole" not in gers


def test_consultations_feed_counts_free_slots_per_site_and_day(client, consultation_site, clock):
    slots = consultation_site["slots"]
    day = timezone.localtime(slots[0].starts_at).date().isoformat()

    rows = client.get(CONSULTATIONS).json()["data"]
    assert [(row["site_name"], row["date"], row["free_slots"]) for row in rows] == [
        ("Cabinet médical de Riscle", day, 12)
    ]

    consultations.book_slot(slot_id=slots[0].pk, **patient())
    clock.advance(31)
    rows = client.get(CONSULTATIONS, {"format": "geojson"}).json()["features"]
    assert rows[0]["properties"]["free_slots"] == 11
    assert rows[0]["properties"]["date"] == day


def test_a_cancelled_mission_leaves_the_consultations_feed(client, consultation_site, clock, ars_occitanie):
    from consultations.models import Mission, MissionStatus

    assert client.get(CONSULTATIONS).json()["data"]
    Mission.objects.filter(pk=consultation_site["mission"].pk).update(
        status=MissionStatus.CANCELLED, cancelled_at=timezone.now() + timedelta(seconds=1)
    )
    clock.advance(31)
    assert client.get(CONSULTATIONS).json()["data"] == []
