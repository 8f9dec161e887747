"""The public pages (no account): search, département, site, booking form, waiting list; and the demo seed."""

import html

import pytest
from django.urls import reverse

from accounts.demo import seed_staff_accounts
from consultations import demo, services
from consultations.models import Booking, Mission, PriorityZone, Site, WaitingListEntry
from professionals import demo as professionals_demo
from tests.consultations.conftest import booking_form, make_mission, patient, publish

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_search_by_postal_code_lists_the_nearest_sites_with_a_map_and_a_list(client, slots, marciac_site):
    page = _text(client.get(reverse("consultations:patient_home"), {"q": "32400"}))
    assert page.index("Cabinet médical de Riscle") < page.index("Cabinet médical de Marciac")
    assert 'id="consultation-map"' in page and 'id="consultation-map-points"' in page
    assert "Aucun créneau libre pour le moment." in page
    assert reverse("consultations:book", args=[slots[0].pk]) in page


def test_an_unknown_commune_is_explained_in_french(client, occitanie):
    page = _text(client.get(reverse("consultations:patient_home"), {"q": "Xyzzyville"}))
    assert "Aucune commune ne correspond" in page


def test_the_departement_page_lists_its_sites(client, slots):
    page = _text(client.get(reverse("consultations:departement", args=["32"])))
    assert "Gers (32)" in page and "Cabinet médical de Riscle" in page
    assert client.get(reverse("consultations:departement", args=["XX"])).status_code == 404


def test_the_site_page_shows_free_slots_by_day_and_the_waiting_list(client, slots, riscle_site):
    services.book_slot(slot_id=slots[0].pk, **patient())
    page = _text(client.get(reverse("consultations:site_detail", args=[riscle_site.pk])))
    assert reverse("consultations:book", args=[slots[0].pk]) not in page
    assert reverse("consultations:book", args=[slots[1].pk]) in page
    assert "Créer mon alerte" in page
    response = client.post(
        reverse("consultations:waiting_list", args=[riscle_site.pk]), {"email": "a@exemple.fr"}
    )
    assert response.status_code == 302 and WaitingListEntry.objects.count() == 1
    client.post(reverse("consultations:waiting_list", args=[riscle_site.pk]), {"email": "pas-une-adresse"})
    assert WaitingListEntry.objects.count() == 1


def test_the_booking_page_shows_a_taken_slot_as_an_alert_with_a_409(client, slots):
    services.book_slot(slot_id=slots[0].pk, **patient())
    data = {
        "first_name": "Paul",
        "last_name": "Dupuy",
        "birth_date": "1960-01-01",
        "phone": "0611111111",
        "email": "paul@exemple.fr",
        "commune": "Riscle",
        "has_regular_doctor": "non",
    }
    response = client.post(reverse("consultations:book", args=[slots[0].pk]), data)
    assert response.status_code == 409
    page = _text(response)
    assert 'role="alert"' in page and "vient d'être réservé" in page
    assert Booking.objects.count() == 1


def test_the_booking_page_refuses_a_future_birth_date_next_to_the_field(client, slots):
    data = {
        "first_name": "Paul",
        "last_name": "Dupuy",
        "birth_date": "2999-01-01",
        "phone": "0611111111",
        "email": "paul@exemple.fr",
        "commune": "Riscle",
        "has_regular_doctor": "oui",
    }
    response = client.post(reverse("consultations:book", args=[slots[0].pk]), data)
    assert response.status_code == 400
    assert "ne peut pas être dans le futur" in _text(response)
    assert not Booking.objects.exists()


def test_an_unknown_slot_and_a_planned_mission_have_no_booking_page(
    client, volunteer, riscle_site, ars_occitanie
):
    mission = make_mission(volunteer, riscle_site, ars_occitanie)
    assert client.get(reverse("consultations:book", args=[999999])).status_code == 404
    assert not mission.slots.exists()
    assert "Aucun créneau libre" in _text(client.get(reverse("consultations:departement", args=["32"])))


def test_the_demo_seed_creates_the_zones_sites_and_a_published_mission_once(occitanie):
    professionals_demo.seed_accounts()
    seed_staff_accounts()
    first = demo.seed()
    second = demo.seed()
    assert first == second == {"zones": 6, "sites": 6, "missions": 1}
    assert PriorityZone.objects.count() == 6 and Site.objects.count() == 6
    assert Mission.objects.get().slots.count() == 19
    assert set(PriorityZone.objects.values_list("epci_id", flat=True)) == {
        "200035632",  # CC Armagnac Adour (Riscle)
        "243200508",  # CC Bastides et Vallons du Gers (Marciac, Plaisance)
        "200070795",  # CC du Pays de Trie et du Magnoac (Castelnau-Magnoac)
        "200040418",  # CC du Pays de Serres en Quercy (Montaigu-de-Quercy)
        "243000270",  # CC du Pays Viganais (Le Vigan)
        "200066553",  # CC du Haut-Languedoc (Tarn and Hérault)
    }


# --- Issue 10: what patients meet on the public pages ------------------------------------------


def test_the_booking_form_accepts_a_shared_postal_code_by_offering_the_commune_names(client, slots):
    url = reverse("consultations:book", args=[slots[0].pk])
    response = client.post(url, booking_form(commune="32400"))
    assert response.status_code == 400
    page = _text(response)
    assert 'name="commune_choice" value="Riscle (32400)"' in page and "(32344)" not in page
    assert not Booking.objects.exists()
    booked = client.post(url, booking_form(commune="32400", commune_choice="Riscle (32400)"))
    assert booked.status_code == 302
    assert Booking.objects.get().commune.insee_code == "32344"


def test_the_search_accepts_a_shared_postal_code_without_asking(client, slots):
    page = _text(client.get(reverse("consultations:patient_home"), {"q": "32400"}))
    assert "Plusieurs communes" not in page and "Cabinet médical de Riscle" in page


def test_the_search_shows_each_site_s_next_slot_and_sorts_by_soonest_on_request(
    client, slots, volunteer, marciac_site, ars_occitanie
):
    """Marciac is farther from Riscle but has the sooner slot."""
    volunteer.sites.add(marciac_site)
    publish(make_mission(volunteer, marciac_site, ars_occitanie, days_ahead=1), ars_occitanie)
    home = reverse("consultations:patient_home")
    by_distance = _text(client.get(home, {"q": "Riscle"}))
    assert by_distance.index("Cabinet médical de Riscle") < by_distance.index("Cabinet médical de Marciac")
    assert "Prochain créneau :" in by_distance
    soonest = _text(client.get(home, {"q": "Riscle", "sort": "soonest"}))
    assert soonest.index("Cabinet médical de Marciac") < soonest.index("Cabinet médical de Riscle")


def test_the_site_page_gives_address_phone_access_and_the_volunteer_doctors(client, slots, riscle_site):
    riscle_site.phone = "05 62 69 70 00"
    riscle_site.access = "Entrée de plain-pied, parking sur la place."
    riscle_site.save()
    page = _text(client.get(reverse("consultations:site_detail", args=[riscle_site.pk])))
    assert "1 place de la Mairie, Riscle" in page
    assert 'href="tel:+33562697000"' in page and "05 62 69 70 00" in page
    assert "Entrée de plain-pied, parking sur la place." in page
    assert "Dr Marc Daguzan" in page


def test_the_site_page_says_for_each_slot_until_when_it_is_reserved(
    client, volunteer, riscle_site, ars_occitanie
):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie, open_to_all=False)
    page = _text(client.get(reverse("consultations:site_detail", args=[riscle_site.pk])))
    assert page.count("prioritaire jusqu'au") == mission.slots.count()


def test_patient_pages_do_not_invite_to_create_an_account(client, slots, riscle_site):
    for url in [
        reverse("consultations:patient_home"),
        reverse("consultations:site_detail", args=[riscle_site.pk]),
        reverse("consultations:book", args=[slots[0].pk]),
    ]:
        assert "Créer un compte" not in _text(client.get(url))
    assert "Créer un compte" in _text(client.get("/"))


def test_the_booking_form_fields_help_phones_fill_them(client, slots):
    page = _text(client.get(reverse("consultations:book", args=[slots[0].pk])))
    assert 'type="tel"' in page and 'autocomplete="tel"' in page
    for token in ["given-name", "family-name", "bday", "email", "address-level2"]:
        assert f'autocomplete="{token}"' in page
    assert page.index('name="commune"') < page.index('name="first_name"')


@pytest.fixture
def priority_slot(volunteer, riscle_site, ars_occitanie):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie, open_to_all=False)
    return mission.slots.order_by("starts_at").first()


def test_during_the_priority_window_the_eligibility_questions_come_first(client, priority_slot):
    url = reverse("consultations:book", args=[priority_slot.pk])
    first = _text(client.get(url))
    assert "Étape 1 sur 2" in first and 'name="first_name"' not in first
    refused = client.get(url, {"commune": "Toulouse", "has_regular_doctor": "non"})
    assert refused.status_code == 409
    assert "votre commune n'en fait pas partie" in _text(refused)
    refused = client.get(url, {"commune": "Riscle", "has_regular_doctor": "oui"})
    assert refused.status_code == 409 and "Vous en avez un" in _text(refused)
    welcome = client.get(
        url, {"commune": "32400", "commune_choice": "Riscle (32400)", "has_regular_doctor": "non"}
    )
    page = _text(welcome)
    assert welcome.status_code == 200 and 'name="first_name"' in page
    assert 'value="Riscle (32400)"' in page


def test_an_open_slot_ignores_unreadable_answers_in_the_address(client, slots):
    response = client.get(
        reverse("consultations:book", args=[slots[0].pk]),
        {"commune": "Xyzzyville", "has_regular_doctor": "?"},
    )
    assert response.status_code == 200 and 'name="first_name"' in _text(response)


def test_the_search_results_say_until_when_each_listed_slot_is_reserved(client, priority_slot):
    page = _text(client.get(reverse("consultations:patient_home"), {"q": "32400"}))
    assert reverse("consultations:book", args=[priority_slot.pk]) in page
    assert page.count("prioritaire jusqu'au") == 3  # the three next slots listed
