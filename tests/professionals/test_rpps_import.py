"""Import of the health professionals from the RPPS extraction, read from samples in the
published format (tests/data/PS_LibreAcces_Personne_activite_sample*.txt: `|`-separated, a
header line, one line per activity, in UTF-8 and in Windows-1252)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from distribution import services
from gomask.errors import Conflict, NotAllowed
from professionals.directory_import import import_rpps
from professionals.models import Profession, Professional
from territories.services import load_territories
from tests.distribution.conftest import stock
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "PS_LibreAcces_Personne_activite_sample.txt"
SAMPLE_LATIN1 = DATA / "PS_LibreAcces_Personne_activite_sample_latin1.txt"
NURSE_ESTRADE = "10005488217"


@pytest.fixture
def communes(occitanie):
    """Martinique, Mayotte and Corsica next to Occitanie (rolled back with the test)."""
    load_territories(regions=["02", "06", "94"])


def _without_lines(tmp_path, *identifiers: str) -> Path:
    """The sample with every activity of `identifiers` removed: they left the directory."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if line.split("|")[1] not in identifiers]
    path = tmp_path / "PS_LibreAcces_Personne_activite_next.txt"
    path.write_text("".join(kept), encoding="utf-8")
    return path


def test_the_professionals_of_the_extraction_are_created_with_their_rpps_codes(communes):
    report = import_rpps(SAMPLE)

    assert (report.created, report.updated, report.unchanged, report.suspended) == (7, 0, 0, 0)
    cardiologist = Professional.objects.get(rpps="10007654329")
    assert (cardiologist.first_name, cardiologist.last_name) == ("Claire", "ROUSSEL")
    assert cardiologist.profession == Profession.MEDECIN
    assert cardiologist.directory_profession_code == "10"
    assert (cardiologist.specialty_code, cardiologist.specialty_label) == (
        "SM04",
        "Cardiologie et maladies vasculaires",
    )
    assert cardiologist.practice_commune_id == "31555"
    assert cardiologist.user is None
    speech_therapist = Professional.objects.get(adeli="209123458")
    assert speech_therapist.rpps is None
    assert speech_therapist.profession == Profession.ORTHOPHONISTE
    assert speech_therapist.practice_commune_id == "2A004"


@pytest.mark.parametrize(
    ("rpps", "profession", "commune"),
    [
        ("10008712340", Profession.PHARMACIEN, "97209"),  # Fort-de-France, Martinique
        ("10010234564", Profession.SAGE_FEMME, "97611"),  # Mamoudzou, Mayotte
        ("10002998713", Profession.MASSEUR_KINESITHERAPEUTE, "2B033"),  # Bastia
    ],
)
def test_overseas_and_corsican_professionals_are_placed_in_their_commune(communes, rpps, profession, commune):
    import_rpps(SAMPLE)

    professional = Professional.objects.get(rpps=rpps)
    assert professional.profession == profession
    assert professional.practice_commune_id == commune
    assert (professional.latitude, professional.longitude) == (
        professional.practice_commune.latitude,
        professional.practice_commune.longitude,
    )


def test_of_several_activities_the_liberal_one_is_kept(communes):
    import_rpps(SAMPLE)

    doctor = Professional.objects.get(rpps="10003124574")
    assert doctor.practice_commune_id == "32344"  # Riscle, not the hospital of Auch
    assert doctor.practice_address == "7 rue DU PONT DE L'ADOUR"
    assert doctor.first_name == "Pierre-Henri"
    assert doctor.email == "cabinet.laborde@exemple.fr"
    assert (doctor.specialty_code, doctor.specialty_label) == ("SM54", "Médecine Générale")


def test_an_activity_without_commune_code_is_placed_by_its_postal_code(communes):
    import_rpps(SAMPLE)

    nurse = Professional.objects.get(rpps=NURSE_ESTRADE)
    assert nurse.practice_commune_id == "31555"
    assert nurse.practice_address == "14 B avenue DE LARDENNE"
    assert nurse.specialty_code == ""


def test_bad_lines_are_reported_with_their_number_and_skipped_without_writing_anything(communes):
    report = import_rpps(SAMPLE)

    refused = dict(report.errors)
    assert sorted(refused) == [12, 13, 14]
    assert "clé de contrôle" in refused[12]
    assert "commune d'exercice introuvable" in refused[13]
    assert "ligne incomplète" in refused[14]
    assert report.ignored == 2  # an audiologist, a medical student
    assert not Professional.objects.filter(
        rpps__in=["10003124575", "10000001015", "10000002013", "10005555551"]
    ).exists()
    assert not Professional.objects.filter(adeli="312600631").exists()
    assert Professional.objects.count() == 7


def test_importing_the_same_extraction_twice_changes_nothing(communes):
    import_rpps(SAMPLE)
    before = list(Professional.objects.order_by("pk").values(*_DIRECTORY_FIELDS))

    report = import_rpps(SAMPLE)

    assert (report.created, report.updated, report.unchanged, report.suspended) == (0, 0, 7, 0)
    assert list(Professional.objects.order_by("pk").values(*_DIRECTORY_FIELDS)) == before


_DIRECTORY_FIELDS = [
    "rpps",
    "adeli",
    "profession",
    "first_name",
    "last_name",
    "practice_commune",
    "practice_address",
    "latitude",
    "longitude",
    "phone",
    "email",
    "specialty_code",
    "left_directory_at",
]


def test_the_windows_1252_extraction_reads_as_the_utf8_one(communes):
    utf8 = import_rpps(SAMPLE)
    imported = list(Professional.objects.order_by("rpps").values(*_DIRECTORY_FIELDS))
    Professional.objects.all().delete()

    latin1 = import_rpps(SAMPLE_LATIN1)

    assert (utf8.encoding, latin1.encoding) == ("utf-8-sig", "cp1252")
    assert list(Professional.objects.order_by("rpps").values(*_DIRECTORY_FIELDS)) == imported
    assert Professional.objects.get(rpps="10002998713").first_name == "Hélène"


def test_a_registered_professional_keeps_their_own_phone_and_gains_the_directory_codes(communes):
    registered = ProfessionalFactory(
        rpps="10003124574", profession=Profession.INFIRMIER, phone="06 11 22 33 44", insee_code="32344"
    )

    report = import_rpps(SAMPLE)

    assert (report.created, report.updated) == (6, 1)
    registered.refresh_from_db()
    assert registered.phone == "+33611223344"
    assert registered.profession == Profession.MEDECIN
    assert (registered.directory_profession_code, registered.specialty_code) == ("10", "SM54")
    assert registered.directory_seen_at is not None


def test_a_professional_who_left_the_directory_is_suspended_not_deleted(communes, tmp_path):
    import_rpps(SAMPLE)

    report = import_rpps(_without_lines(tmp_path, NURSE_ESTRADE))

    assert (report.suspended, report.unchanged) == (1, 6)
    nurse = Professional.objects.get(rpps=NURSE_ESTRADE)
    assert nurse.is_suspended
    assert Professional.objects.filter(left_directory_at__isnull=True).count() == 6


def test_a_suspended_professional_is_listed_again_and_reinstated(communes, tmp_path):
    import_rpps(SAMPLE)
    import_rpps(_without_lines(tmp_path, NURSE_ESTRADE))

    report = import_rpps(SAMPLE)

    assert (report.updated, report.suspended) == (1, 0)
    assert not Professional.objects.get(rpps=NURSE_ESTRADE).is_suspended


def test_keep_absent_suspends_nobody_for_a_partial_extraction(communes, tmp_path):
    import_rpps(SAMPLE)

    call_command(
        "import_rpps", str(_without_lines(tmp_path, NURSE_ESTRADE)), "--keep-absent", stdout=StringIO()
    )

    assert not Professional.objects.filter(left_directory_at__isnull=False).exists()


def test_a_professional_never_listed_by_the_directory_is_not_suspended(communes, nurse):
    import_rpps(SAMPLE)

    assert not nurse.professional.is_suspended
    nurse.professional.refresh_from_db()
    assert nurse.professional.left_directory_at is None


def test_a_suspended_professional_is_refused_at_the_counter(
    communes, tmp_path, products, riscle_pharmacy, riscle_pharmacist
):
    stock(riscle_pharmacy, products["surgical"], 20)
    import_rpps(SAMPLE)
    import_rpps(_without_lines(tmp_path, "10003124574"))
    doctor = Professional.objects.get(rpps="10003124574")

    with pytest.raises(Conflict, match="ne figure plus dans l'annuaire"):
        services.dispense(
            actor=riscle_pharmacist,
            pharmacy_id=riscle_pharmacy.pk,
            professional_id=doctor.pk,
            product_code="surgical",
            quantity=1,
            identity_checked=True,
        )


def test_a_suspended_professional_cannot_put_an_option(communes, tmp_path, nurse, products, riscle_pharmacy):
    stock(riscle_pharmacy, products["surgical"], 20)
    professional = nurse.professional
    professional.directory_seen_at = professional.created_at
    professional.save()

    import_rpps(SAMPLE)

    professional.refresh_from_db()
    assert professional.is_suspended
    with pytest.raises(NotAllowed, match="ne figure plus dans l'annuaire"):
        services.reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=1)


def test_the_import_rpps_command_prints_the_counts_and_each_refused_line(communes):
    out, err = StringIO(), StringIO()

    call_command("import_rpps", str(SAMPLE), stdout=out, stderr=err)

    assert "7 créés, 0 mis à jour, 0 inchangés, 0 suspendus, 3 lignes refusées" in out.getvalue()
    assert "ligne 12 : Le numéro RPPS 10003124575 n'est pas valide" in err.getvalue()
    assert "ligne 14 : ligne incomplète" in err.getvalue()


def test_a_file_without_the_published_columns_is_refused_and_nothing_is_written(communes, tmp_path):
    wrong = tmp_path / "PS_LibreAcces_Dipl_AutExerc.txt"
    wrong.write_text("Type d'identifiant PP|Identifiant PP|Code diplôme obtenu|\n8|10003124574|DE09|\n")

    with pytest.raises(CommandError, match="colonnes absentes : Code commune"):
        call_command("import_rpps", str(wrong))
    with pytest.raises(CommandError, match="n'est pas une extraction"):
        call_command("import_rpps", str(DATA / "etalab-cs1100507-stock-sample.csv"))
    assert not Professional.objects.exists()
