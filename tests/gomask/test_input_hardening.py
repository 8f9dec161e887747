"""Issue 9: look-alike identifiers, control characters, nested JSON, crafted bulletin scopes."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role, User
from gomask.identifiers import make_finess, make_rpps, validate_adeli, validate_finess, validate_rpps
from notifications.models import CoordinatorScope, CrisisBulletin
from pharmacies.models import Pharmacy
from professionals.models import Professional
from territories.models import Commune, Epci, PostalCode
from territories.selectors import commune_by_code, find_communes
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


# --- Look-alike identifiers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "digits", [ARABIC_INDIC, FULL_WIDTH, DEVANAGARI], ids=["arabic", "fullwidth", "devanagari"]
)
def test_an_rpps_written_in_other_digits_is_refused_with_a_clear_message(digits):
    with pytest.raises(ValidationError, match="chiffres 0 à 9"):
        validate_rpps(make_rpps(42).translate(digits))


def test_adeli_and_finess_in_other_digits_are_refused_too():
    with pytest.raises(ValidationError, match="chiffres 0 à 9"):
        validate_adeli("320012345".translate(FULL_WIDTH))
    with pytest.raises(ValidationError, match="chiffres 0 à 9"):
        validate_finess(make_finess("32", 1).translate(ARABIC_INDIC))


def test_a_letter_that_upper_cases_to_ascii_is_not_taken_for_part_of_a_finess():
    # "ß".upper() == "SS": the ASCII check comes before upper-casing.
    with pytest.raises(ValidationError, match="chiffres 0 à 9"):
        validate_finess("3200012ß")


def test_spaces_dots_and_non_breaking_spaces_a_person_types_are_still_accepted():
    number = make_rpps(42)
    typed = f"{number[:3]}\u00a0{number[3:7]}.{number[7:]}\u202f"
    assert validate_rpps(typed) == number


def test_signing_up_again_with_an_rpps_in_arabic_digits_does_not_get_a_second_quota(client, occitanie):
    rpps = make_rpps(98765)
    ProfessionalFactory(rpps=rpps)
    response = client.post(
        reverse("account_signup"),
        {
            "email": "double@exemple.fr",
            "password1": "Un-mot-de-passe-solide-2020",
            "password2": "Un-mot-de-passe-solide-2020",
            "first_name": "Léa",
            "last_name": "Soulé",
            "account_type": "professional",
            "profession": "infirmier",
            "identifier": rpps.translate(ARABIC_INDIC),
            "practice_commune": "32400",
        },
    )
    # Refused before any other check: the middleware answers 400 for non-ASCII digits.
    assert response.status_code == 400
    assert "chiffres 0 à 9" in response.content.decode()
    assert not User.objects.filter(email="double@exemple.fr").exists()
    assert Professional.objects.count() == 1


def test_the_database_refuses_an_rpps_adeli_or_finess_stored_in_other_digits(riscle_pharmacy):
    professional = ProfessionalFactory(rpps=make_rpps(7))
    for model, pk, field, value in [
        (Professional, professional.pk, "rpps", make_rpps(8).translate(ARABIC_INDIC)),
        (Professional, professional.pk, "adeli", "320012345".translate(FULL_WIDTH)),
        (Pharmacy, riscle_pharmacy.pk, "finess", riscle_pharmacy.finess.translate(DEVANAGARI)),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk).update(**{field: value})


def test_the_database_refuses_a_postal_or_insee_code_in_other_digits(occitanie):
    with pytest.raises(IntegrityError), transaction.atomic():
        PostalCode.objects.filter(code="32400").update(code="32400".translate(ARABIC_INDIC))
    with pytest.raises(IntegrityError), transaction.atomic():
        Commune.objects.filter(pk="32344").update(insee_code="32344".translate(FULL_WIDTH))


def test_postal_and_insee_codes_in_other_digits_find_no_commune(occitanie):
    assert find_communes("32400") and not find_communes("32400".translate(FULL_WIDTH))
    assert commune_by_code("32344") and commune_by_code("32344".translate(ARABIC_INDIC)) is None


# --- NUL and other control characters -----------------------------------------------------


def _api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_nul_in_the_movements_product_filter_is_a_400_with_a_clear_message(
    riscle_pharmacist, riscle_pharmacy
):
    response = _api(riscle_pharmacist).get(
        f"/api/pharmacies/{riscle_pharmacy.pk}/movements/?product=surg%00ical"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_characters" and body["field"] == "product"
    assert "caractère de contrôle" in body["message"]


def test_a_nul_in_a_public_departement_page_path_is_a_400_page(client, occitanie):
    response = client.get("/consultations/departement/3%002/")
    assert response.status_code == 400
    assert "caractère de contrôle" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_a_control_character_in_a_form_field_is_refused_and_nothing_is_written(client, occitanie):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "patient@exemple.fr",
            "password1": "Un-mot-de-passe-solide-2020",
            "password2": "Un-mot-de-passe-solide-2020",
            "first_name": "Lé\x1ba",
            "last_name": "Soulé",
            "account_type": "patient",
        },
    )
    assert response.status_code == 400
    assert "Prénom" in response.content.decode() or "first_name" in response.content.decode()
    assert not User.objects.filter(email="patient@exemple.fr").exists()


def test_a_nul_in_a_session_cookie_never_reaches_the_session_table(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert client.get("/").status_code == 400


def test_a_nul_in_an_idempotency_key_header_is_a_400(nurse):
    response = _api(nurse).post(
        "/api/reservations/",
        {"pharmacy": 1, "product": "surgical", "quantity": 1},
        HTTP_IDEMPOTENCY_KEY="k\x00",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"


def test_line_breaks_and_tabs_of_a_textarea_are_accepted(client):
    assert client.get("/consultations/", {"q": "Riscle\r\n\t"}).status_code != 400


def test_a_nul_inside_a_json_string_is_a_400(client, occitanie):
    response = APIClient().post(
        "/api/consultations/bookings/", {"email": "x\u0000@exemple.fr", "password": "secret"}, format="json"
    )
    assert response.status_code == 400
    assert "caractère de contrôle" in response.json()["message"]


# --- Nested and huge JSON -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/consultations/bookings/", "/api/consultations/bookings/cancel/"])
def test_a_body_of_a_hundred_thousand_brackets_is_a_400_on_anonymous_endpoints(path, db):
    response = APIClient().generic("POST", path, "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "Le contenu JSON est trop imbriqué."


def test_a_body_of_a_hundred_thousand_brackets_is_a_400_for_a_pharmacist_too(
    riscle_pharmacist, riscle_pharmacy
):
    response = _api(riscle_pharmacist).generic(
        "POST",
        f"/api/pharmacies/{riscle_pharmacy.pk}/arrivals/",
        "[" * 100_000,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "imbriqué" in response.json()["message"]


def test_moderately_nested_json_beyond_the_depth_bound_is_refused(db):
    body = '{"email": ' + "[" * 30 + "]" * 30 + "}"
    response = APIClient().generic(
        "POST", "/api/consultations/bookings/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "imbriqué" in response.json()["message"]


def test_a_body_over_the_size_bound_is_a_400(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"email": "' + "a" * 20_000 + '"}'
    response = APIClient().generic(
        "POST", "/api/consultations/bookings/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "trop volumineux" in response.json()["message"]


def test_nan_is_not_json(db):
    response = APIClient().generic(
        "POST", "/api/consultations/bookings/", '{"email": NaN}', content_type="application/json"
    )
    assert response.status_code == 400


# --- Crisis bulletin form: crafted scope --------------------------------------------------


def _bulletin(**fields):
    return {"title": "Alerte", "body": "Message", "severity": "info", **fields}


def test_an_ars_agent_crafting_another_region_is_refused_not_silently_rescoped(client, ars_occitanie):
    client.force_login(ars_occitanie)
    response = client.post(reverse("notifications:bulletin_publish"), _bulletin(region="93"))
    assert response.status_code == 403
    assert "sort du périmètre de votre région" in response.content.decode()
    assert not CrisisBulletin.objects.exists()


def test_an_ars_agent_crafting_an_epci_of_another_region_is_refused_with_the_service_message(
    client, ars_occitanie
):
    client.force_login(ars_occitanie)
    outside = Epci.objects.create(
        code="200054807", name="Métropole d'Aix-Marseille-Provence", kind=Epci.Kind.METRO, region_id="93"
    )
    response = client.post(reverse("notifications:bulletin_publish"), _bulletin(epcis=[outside.pk]))
    assert response.status_code == 403
    assert "sort du périmètre de votre région" in response.content.decode()
    assert not CrisisBulletin.objects.exists()


def test_a_cpts_coordinator_crafting_a_departement_is_refused(client, occitanie):
    coordinator = UserFactory(role=Role.CPTS_COORDINATOR, region_id="76", email="cpts@exemple.fr")
    scope = CoordinatorScope.objects.create(user=coordinator, name="CPTS de l'Adour")
    scope.epcis.add(Epci.objects.filter(region_id="76").first())
    client.force_login(coordinator)
    response = client.post(reverse("notifications:bulletin_publish"), _bulletin(departements=["31"]))
    assert response.status_code == 403
    assert "pas un département" in response.content.decode()
    assert not CrisisBulletin.objects.exists()


def test_an_ars_agent_still_publishes_to_their_own_region(client, ars_occitanie):
    client.force_login(ars_occitanie)
    # The form leads to a preview; "Confirmer l'envoi" publishes.
    data = _bulletin(departements=["32"])
    assert client.post(reverse("notifications:bulletin_publish"), data).status_code == 200
    response = client.post(reverse("notifications:bulletin_publish"), {**data, "confirm": "1"})
    assert response.status_code == 302
    assert CrisisBulletin.objects.get().region_id == "76"
