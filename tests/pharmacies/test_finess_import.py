"""Import of the officines from the FINESS extraction, read from a sample in the published
format (tests/data/etalab-cs1100507-stock-sample.csv, ISO-8859-1, CRLF, as data.gouv.fr
publishes it): officines of the Gers, Toulouse, Martinique (9B), Mayotte (9F) and Corsica,
a hospital (another category), and malformed lines."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gomask.directory_files import ImportReport, create_in_batches
from pharmacies.directory_import import import_finess, to_wgs84
from pharmacies.models import MembershipStatus, Pharmacy, PharmacyMembership, PositionPrecision, StockLevel
from territories.geo import haversine_km
from territories.models import Commune
from territories.services import load_territories
from tests.factories import PharmacyFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "etalab-cs1100507-stock-sample.csv"
IMPORTED = {
    "320003759": ("32344", "32", "76"),  # Riscle
    "310009873": ("31555", "31", "76"),  # Toulouse
    "970205613": ("97209", "972", "02"),  # Fort-de-France, Martinique
    "980501415": ("97611", "976", "06"),  # Mamoudzou, Mayotte
    "2A0001434": ("2A004", "2A", "94"),  # Ajaccio
    "2B0002422": ("2B033", "2B", "94"),  # Bastia
}


@pytest.fixture
def communes(occitanie):
    """Martinique, Mayotte and Corsica next to Occitanie (rolled back with the test)."""
    load_territories(regions=["02", "06", "94"])


def test_the_officines_of_the_extraction_are_created_in_their_departement_overseas_and_in_corsica(communes):
    report = import_finess(SAMPLE)

    assert (report.created, report.updated, report.unchanged) == (6, 0, 0)
    for finess, (insee_code, departement, region) in IMPORTED.items():
        pharmacy = Pharmacy.objects.get(finess=finess)
        assert (pharmacy.commune_id, pharmacy.departement_id, pharmacy.region_id) == (
            insee_code,
            departement,
            region,
        )
        assert pharmacy.is_active
    riscle = Pharmacy.objects.get(finess="320003759")
    assert riscle.name == "PHARMACIE DE L'ADOUR"
    assert riscle.address == "12 avenue DE L'ADOUR"
    assert riscle.phone == "+33562699012"
    assert Pharmacy.objects.get(finess="980501415").address == "RUE DU COMMERCE, BP 123"


def test_a_quoted_name_keeps_its_inner_quotes_and_the_long_name_is_preferred(communes):
    import_finess(SAMPLE)

    assert Pharmacy.objects.get(finess="2A0001434").name == 'PHARMACIE "LA PROVIDENCE"'
    assert Pharmacy.objects.get(finess="310009873").name == "PHARMACIE DE L'ÉGLISE SAINT-CYPRIEN"


@pytest.mark.parametrize("finess", ["320003759", "970205613", "980501415", "2A0001434"])
def test_lambert93_and_overseas_utm_positions_land_in_the_officines_commune(communes, finess):
    import_finess(SAMPLE)

    pharmacy = Pharmacy.objects.get(finess=finess)
    commune = Commune.objects.get(pk=IMPORTED[finess][0])
    assert pharmacy.position_precision == PositionPrecision.ADDRESS
    assert haversine_km(pharmacy.latitude, pharmacy.longitude, commune.latitude, commune.longitude) < 2


@pytest.mark.parametrize("finess", ["2B0002422", "310009873"])
def test_without_a_readable_geolocation_the_officine_takes_its_communes_position(communes, finess):
    import_finess(SAMPLE)

    pharmacy = Pharmacy.objects.get(finess=finess)
    commune = Commune.objects.get(pk=IMPORTED[finess][0])
    assert pharmacy.position_precision == PositionPrecision.COMMUNE
    assert (pharmacy.latitude, pharmacy.longitude) == (commune.latitude, commune.longitude)


def test_lambert93_conversion_matches_a_published_point():
    # (882408.3, 6543019.6) in Lambert-93 is 45.962402 N, 5.355651 E (Ain).
    latitude, longitude = to_wgs84(882408.3, 6543019.6, "LAMBERT_93")
    assert latitude == pytest.approx(45.962402, abs=1e-5)
    assert longitude == pytest.approx(5.355651, abs=1e-5)
    assert to_wgs84(1.0, 2.0, "GAUSS_LABORDE") is None


def test_bad_lines_are_reported_with_their_number_and_skipped_without_writing_anything(communes):
    report = import_finess(SAMPLE)

    refused = dict(report.errors)
    assert sorted(refused) == [8, 10, 11, 13]
    assert "97127" in refused[8]  # Saint-Martin: not in the reference data
    assert "clé de contrôle" in refused[10]
    assert "ligne incomplète" in refused[11]
    assert "géolocalisation" in refused[13]
    assert report.skipped == 4
    assert report.ignored == 1  # the hospital of Auch, category 355
    assert not Pharmacy.objects.filter(
        finess__in=["970108734", "310009991", "320003908", "320000086"]
    ).exists()
    assert Pharmacy.objects.count() == 6


def test_importing_the_same_extraction_twice_changes_nothing(communes):
    import_finess(SAMPLE)
    before = list(Pharmacy.objects.order_by("finess").values())

    report = import_finess(SAMPLE)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 6)
    assert list(Pharmacy.objects.order_by("finess").values()) == before


def test_an_officine_already_registered_is_updated_in_place(communes, products):
    registered = PharmacyFactory(finess="320003759", name="Pharmacie Lacoste", insee_code="32344", phone="")
    StockLevel.objects.create(pharmacy=registered, product=products["surgical"])

    report = import_finess(SAMPLE)

    assert (report.created, report.updated) == (5, 1)
    registered.refresh_from_db()
    assert registered.name == "PHARMACIE DE L'ADOUR"
    assert registered.phone == "+33562699012"
    assert registered.position_precision == PositionPrecision.ADDRESS
    assert registered.stock_levels.count() == 1


def test_an_officine_without_a_position_in_the_file_keeps_the_one_it_has_in_its_commune(communes):
    bastia = Commune.objects.get(pk="2B033")
    registered = PharmacyFactory(
        finess="2B0002422", insee_code="2B033", latitude=bastia.latitude + 0.004, longitude=bastia.longitude
    )
    registered.position_precision = PositionPrecision.ADDRESS
    registered.save()

    import_finess(SAMPLE)

    registered.refresh_from_db()
    assert registered.latitude == pytest.approx(bastia.latitude + 0.004)
    assert registered.position_precision == PositionPrecision.ADDRESS


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig")])
def test_an_extraction_in_utf8_reads_as_the_latin1_one(communes, tmp_path, encoding, detected):
    converted = tmp_path / "etalab-cs1100507-stock-utf8.csv"
    converted.write_text(SAMPLE.read_bytes().decode("latin-1"), encoding=encoding, newline="")

    latin1 = import_finess(SAMPLE)
    assert latin1.encoding == "cp1252"
    Pharmacy.objects.all().delete()
    utf8 = import_finess(converted)

    assert utf8.encoding == detected
    assert utf8.created == 6
    assert Pharmacy.objects.get(finess="310009873").name == "PHARMACIE DE L'ÉGLISE SAINT-CYPRIEN"


def test_the_import_finess_command_prints_the_counts_and_each_refused_line(communes):
    out, err = StringIO(), StringIO()

    call_command("import_finess", str(SAMPLE), stdout=out, stderr=err)

    assert "6 créés, 0 mis à jour, 0 inchangés" in out.getvalue()
    assert "4 lignes refusées, 1 lignes hors champ ignorées" in out.getvalue()
    assert "ligne 10 : Le numéro FINESS 310009991 n'est pas valide" in err.getvalue()


def test_a_file_that_is_not_a_finess_extraction_is_refused_and_nothing_is_written(communes):
    with pytest.raises(CommandError, match="n'est pas une extraction FINESS"):
        call_command("import_finess", str(DATA / "PS_LibreAcces_Personne_activite_sample.txt"))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_finess", str(DATA / "absent.csv"))
    assert not Pharmacy.objects.exists()


def test_a_batch_that_fails_is_retried_one_by_one_and_only_the_faulty_line_is_refused(communes):
    riscle = Commune.objects.get(pk="32344")
    PharmacyFactory(finess="320003759", insee_code="32344")
    report = ImportReport()

    def officine(finess):
        return Pharmacy(
            finess=finess,
            name=f"PHARMACIE {finess}",
            address="1 place de la Mairie",
            commune=riscle,
            departement_id="32",
            region_id="76",
            latitude=riscle.latitude,
            longitude=riscle.longitude,
        )

    create_in_batches(
        [(2, officine("320003908")), (3, officine("320003759")), (4, officine("310009873"))],
        report,
        refusal=lambda error: "refusée",
    )

    assert report.created == 2
    assert report.errors == [(3, "refusée")]
    assert set(Pharmacy.objects.values_list("finess", flat=True)) == {"320003759", "320003908", "310009873"}


@pytest.mark.parametrize("typed", ["980 501 415", "970205613", "2b0002422"])
def test_a_pharmacist_of_an_imported_overseas_or_corsican_officine_signs_up_with_its_finess(
    communes, client, typed
):
    import_finess(SAMPLE)

    response = client.post(
        reverse("account_signup"),
        {
            "email": "titulaire@exemple.fr",
            "password1": "Un-mot-de-passe-solide-2020",
            "password2": "Un-mot-de-passe-solide-2020",
            "first_name": "Nadia",
            "last_name": "Madi",
            "phone": "06 12 34 56 78",
            "account_type": "pharmacist",
            "finess": typed,
        },
    )

    assert response.status_code == 302
    membership = PharmacyMembership.objects.get(user__email="titulaire@exemple.fr")
    assert membership.pharmacy.finess == typed.replace(" ", "").upper()
    assert membership.status == MembershipStatus.PENDING
