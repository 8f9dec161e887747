"""The public pages (no account): search, département, site, booking form, waiting list; and the demo seed."""

import html

import pytest
from django.urls import reverse

from accounts.demo import seed_staff_accounts
from consultations import demo, services
from consultations.models import Booking, Mission, PriorityZone, Site, WaitingListEntry
from professionals import demo as professionals_demo
from tests.consultations.conftest import make_mission, patient

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
    assert "liste d'attente" in page
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
        "no_regular_doctor": "on",
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
