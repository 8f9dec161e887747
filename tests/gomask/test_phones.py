"""Issue 12.3: one validation for every phone field, stored in E.164, SMS to mobiles only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import User
from consultations import services as consultation_services
from gomask.errors import InvalidInput
from gomask.phones import format_phone, migrate_stored_phones, normalise_mobile, normalise_phone
from notifications import services as notification_services
from notifications.models import Channel, Delivery
from pharmacies.services import declare_arrival
from professionals.models import Professional, Referencing
from tests.factories import ProfessionalFactory, professional_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 (0)6 12 34 56 78".replace("(0)", ""), "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("05 62 69 00 00", "+33562690000"),
        ("0692 12 34 56", "+262692123456"),  # Réunion mobile
        ("0262 21 00 00", "+262262210000"),  # Réunion landline
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe mobile
        ("0694 12 34 56", "+594694123456"),  # Guyane mobile
        ("0696 12 34 56", "+596696123456"),  # Martinique mobile
        ("0639 69 12 34", "+262639691234"),  # Mayotte mobile
        ("+262 692 12 34 56", "+262692123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("", ""),
    ],
)
def test_phones_typed_as_people_type_them_are_stored_in_e164(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "+33 6 92 12 34 56",  # a Réunion mobile prefixed with France's code is no number
        "06 12 34",
        "０６１２３４５６７８",  # full-width digits
        "٠٦١٢٣٤٥٦٧٨",  # Arabic-Indic digits
        "06 CALL NOW",
        "+33 6 12 34 56 78 90 12",
    ],
)
def test_numbers_that_are_no_phone_numbers_are_refused_with_a_clear_message(typed):
    with pytest.raises(ValidationError, match="numéro de téléphone n'est pas valide"):
        normalise_phone(typed)


def test_a_reunion_mobile_is_never_turned_into_an_invalid_plus_33_number():
    assert not normalise_phone("0692 12 34 56").startswith("+33")


def test_a_landline_is_refused_for_sms_with_its_own_message():
    with pytest.raises(ValidationError, match="pas un numéro de mobile"):
        normalise_mobile("05 62 69 00 00")
    assert normalise_mobile("0692 12 34 56") == "+262692123456"


def test_stored_numbers_are_shown_as_people_read_them():
    assert format_phone("+33612345678") == "06 12 34 56 78"
    assert format_phone("+262692123456") == "0692 12 34 56"
    assert format_phone("+32470123456") == "+32 470 12 34 56"
    assert format_phone("") == ""


def test_sign_up_stores_a_reunion_mobile_in_e164(client, occitanie):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "patiente@exemple.fr",
            "password1": "Un-mot-de-passe-solide-2020",
            "password2": "Un-mot-de-passe-solide-2020",
            "first_name": "Léa",
            "last_name": "Payet",
            "phone": "0692 12 34 56",
            "account_type": "patient",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="patiente@exemple.fr").phone == "+262692123456"


def test_sign_up_refuses_a_number_that_is_no_phone_and_writes_nothing(client, occitanie):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "patiente@exemple.fr",
            "password1": "Un-mot-de-passe-solide-2020",
            "password2": "Un-mot-de-passe-solide-2020",
            "first_name": "Léa",
            "last_name": "Payet",
            "phone": "+33 6 92 12 34 56",
            "account_type": "patient",
        },
    )
    assert response.status_code == 200
    assert "numéro de téléphone n&#x27;est pas valide" in response.content.decode()
    assert not User.objects.filter(email="patiente@exemple.fr").exists()


def test_a_booking_phone_goes_through_the_same_validation(occitanie):
    with pytest.raises(InvalidInput) as refusal:
        consultation_services.clean_phone("+33 6 92 12 34 56")
    assert refusal.value.field == "phone"
    assert consultation_services.clean_phone("0692 12 34 56") == "+262692123456"


def test_the_database_refuses_a_phone_stored_outside_e164(occitanie):
    professional = ProfessionalFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Professional.objects.filter(pk=professional.pk).update(phone="pas un numéro")


def test_a_professional_with_a_landline_cannot_choose_sms(occitanie):
    professional = ProfessionalFactory(phone="05 62 69 00 00")
    with pytest.raises(InvalidInput, match="pas un numéro de mobile"):
        notification_services.set_preferences(professional=professional, email=True, sms=True, portal=True)


def test_the_preferences_page_explains_why_sms_is_refused_for_a_landline(client, occitanie):
    user = professional_user(email="kine@exemple.fr")
    Professional.objects.filter(user=user).update(phone="+33562690000")
    client.force_login(user)
    response = client.post(reverse("notifications:preferences"), {"email": "on", "sms": "on"})
    assert response.status_code == 400
    assert "pas un numéro de mobile" in response.content.decode()


def test_no_sms_is_queued_for_a_landline_even_if_sms_was_chosen_before(
    riscle_pharmacy, riscle_pharmacist, products
):
    professional = ProfessionalFactory(phone="05 62 69 00 00", email="")
    Referencing.objects.create(professional=professional, pharmacy=riscle_pharmacy)
    notification_services.NotificationPreference.objects.create(
        professional=professional, email=False, sms=True, portal=False
    )
    declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=10,
        source="national",
    )
    assert not Delivery.objects.filter(channel=Channel.SMS).exists()


def test_the_data_migration_rewrites_stored_phones_in_e164(occitanie):
    reunion, metropole, nonsense = (ProfessionalFactory() for _ in range(3))
    with connection.cursor() as cursor:
        # As stored before this change, when no constraint held them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger event before ALTER TABLE
        cursor.execute("ALTER TABLE professionals_professional DROP CONSTRAINT professional_phone_e164")
        for professional, legacy in [
            (reunion, "0692 12 34 56"),
            (metropole, "06 12 34 56 78"),
            (nonsense, "n/a"),
        ]:
            cursor.execute(
                "UPDATE professionals_professional SET phone = %s WHERE id = %s", [legacy, professional.pk]
            )
    migrate_stored_phones(Professional)
    phones = dict(Professional.objects.values_list("pk", "phone"))
    assert phones[reunion.pk] == "+262692123456"
    assert phones[metropole.pk] == "+33612345678"
    assert phones[nonsense.pk] == ""


def test_the_referenced_professionals_page_shows_numbers_nicely_formatted(
    client, riscle_pharmacy, riscle_pharmacist
):
    professional = ProfessionalFactory(phone="0692 12 34 56")
    Referencing.objects.create(professional=professional, pharmacy=riscle_pharmacy)
    client.force_login(riscle_pharmacist)
    page = client.get(reverse("pharmacies:professionals", args=[riscle_pharmacy.pk])).content.decode()
    assert 'href="tel:+262692123456"' in page
    assert "0692 12 34 56" in page
