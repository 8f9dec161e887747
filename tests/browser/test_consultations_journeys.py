"""Solidarity consultations through Chromium: a volunteer doctor, ARS staff, a patient."""

import re
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consultations import services
from consultations.models import Booking, BookingStatus, Mission, MissionStatus
from tests.browser.helpers import log_in
from tests.consultations.conftest import (
    make_doctor,
    make_mission,
    make_site,
    make_volunteer,
    patient,
    publish,
)
from tests.consultations.mail import calendar_attachment
from tests.factories import TOTP_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def riscle_site(occitanie):
    return make_site("32344", "Cabinet médical de Riscle")


@pytest.fixture
def doctor(occitanie):
    return make_doctor("medecin.solidaire@exemple.fr", first_name="Marc", last_name="Daguzan")


@pytest.fixture
def volunteer(doctor, riscle_site):
    return make_volunteer(doctor, riscle_site)


def test_a_doctor_volunteers_and_registers_their_availability(page, doctor, riscle_site):
    log_in(page, doctor.email)
    page.goto("/consultations/medecin/")
    page.get_by_label("CC Armagnac Adour").check()
    page.get_by_label("Nombre de jours par mois au plus").fill("2")
    page.get_by_label("J'ai besoin d'un hébergement sur place").check()
    page.get_by_role("button", name="Enregistrer mon engagement").click()
    page.get_by_text("votre engagement de médecin solidaire est enregistré").wait_for()

    start = timezone.localdate() + timedelta(days=7)
    page.get_by_label("Disponible du").fill(start.isoformat())
    page.get_by_label("Jusqu'au").fill((start + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Ajouter cette disponibilité").click()
    page.get_by_text("Disponibilité ajoutée.").wait_for()
    rows = page.get_by_role("table").get_by_role("row")
    assert rows.count() == 2
    assert start.strftime("%Y") in rows.nth(1).inner_text()
    volunteer = doctor.professional.volunteer
    assert volunteer.needs_lodging and volunteer.availabilities.get().start_date == start


def test_ars_staff_create_a_mission_confirm_lodging_and_publish_its_slots(
    page, volunteer, riscle_site, ars_occitanie
):
    log_in(page, ars_occitanie.email, totp_secret=TOTP_SECRET)
    page.goto("/consultations/gestion/")
    page.get_by_label("Médecin solidaire").select_option(label="Médecin Marc Daguzan")
    page.get_by_label("Lieu de consultation").select_option(label="Cabinet médical de Riscle")
    day = timezone.localdate() + timedelta(days=3)
    page.get_by_label("Premier jour").fill(day.isoformat())
    page.get_by_label("Dernier jour").fill(day.isoformat())
    page.get_by_role("button", name="Créer la mission").click()
    page.get_by_text("Mission créée").wait_for()

    page.get_by_label("Hébergement confirmé").fill("Gîte communal de Riscle")
    page.get_by_role("button", name="Confirmer l'hébergement").click()
    page.get_by_text("Hébergement confirmé.").wait_for()

    assert page.get_by_label("Durée d'un créneau (minutes)").input_value() == "20"
    page.get_by_role("button", name="Publier les créneaux").click()
    page.get_by_text("19 créneaux publiés.").wait_for()
    mission = Mission.objects.get()
    assert mission.status == MissionStatus.PUBLISHED and mission.lodging_confirmed
    assert mission.slots.count() == 19


def test_a_patient_without_a_regular_doctor_finds_a_site_by_postal_code_books_and_cancels(
    page, volunteer, riscle_site, ars_occitanie, mailoutbox
):
    publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie)
    page.goto("/consultations/")
    page.get_by_label("Votre commune ou code postal").fill("32400")
    page.get_by_role("button", name="Rechercher").click()
    results = page.locator(".site-results")
    results.get_by_role("heading", name="Cabinet médical de Riscle").wait_for()
    assert page.locator("#consultation-map").count() == 1
    # The shared sites map (static/js/sites-map.js) draws the site, its popup links to its slots.
    page.locator("#consultation-map[data-ready='true']").wait_for()
    page.locator("#consultation-map .leaflet-marker-icon[title='Cabinet médical de Riscle']").click()
    popup_link = page.locator("#consultation-map .leaflet-popup-content a")
    expect(popup_link).to_contain_text("Cabinet médical de Riscle")
    results.locator(".slot-list a").first.click()

    page.get_by_role("heading", name="Prendre rendez-vous").wait_for()
    assert "carte Vitale" in page.content() and "sans dépassement d'honoraires" in page.content()
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label(re.compile(r"^Nom")).fill("Lacoste")
    page.get_by_label("Date de naissance").fill("1950-03-14")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("Adresse e-mail").fill("jeanne.lacoste@exemple.fr")
    page.get_by_label("Commune de résidence").fill("Riscle")
    page.get_by_label("Non, je n'ai pas de médecin traitant").check()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    page.get_by_text("Votre rendez-vous est confirmé").wait_for()

    booking = Booking.objects.get()
    assert booking.status == BookingStatus.BOOKED and not booking.has_regular_doctor
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    filename, _method, _calendar, text = calendar_attachment(email)
    assert filename == "consultation.ics" and "BEGIN:VEVENT" in text
    cancel_url = re.search(r"https?://\S+/annuler/", email.body).group(0)
    page.goto(urlsplit(cancel_url).path)
    page.get_by_role("button", name="Confirmer l'annulation").click()
    page.get_by_text("Votre rendez-vous est annulé").wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_the_doctor_marks_a_patient_attended_and_becoming_their_regular_doctor(
    page, doctor, volunteer, riscle_site, ars_occitanie
):
    today = timezone.localdate()
    mission = services.create_mission(
        user=ars_occitanie,
        volunteer_id=volunteer.pk,
        site_id=riscle_site.pk,
        start_date=today,
        end_date=today,
    )
    services.publish_slots(
        user=ars_occitanie,
        mission_id=mission.pk,
        day_start=time(8, 0),
        day_end=time(9, 0),
        now=timezone.now() - timedelta(days=3),
    )
    slot = mission.slots.order_by("starts_at").first()
    booking = services.book_slot(slot_id=slot.pk, now=slot.starts_at - timedelta(hours=1), **patient()).value

    log_in(page, doctor.email)
    page.goto("/consultations/medecin/journee/")
    row = page.get_by_role("row").filter(has_text="Lacoste Jeanne")
    row.get_by_label("Venu", exact=True).check()
    row.get_by_label("J'ai accepté de devenir son médecin traitant").check()
    row.get_by_role("button", name="Enregistrer (Lacoste)").click()
    page.get_by_text("Présence enregistrée.").wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and booking.became_regular_doctor is True


# --- A patient on a phone (390 x 844) ----------------------------------------------------------

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",
        timezone_id="Europe/Paris",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        accept_downloads=True,
    )
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url) or route.request.url.startswith("data:")
            else route.abort()
        ),
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_no_horizontal_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_on_a_phone_the_search_by_postal_code_shows_the_first_slot_within_two_screens(
    phone, volunteer, riscle_site, ars_occitanie
):
    publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie)
    phone.goto("/consultations/")
    assert_no_horizontal_overflow(phone)
    phone.get_by_label("Votre commune ou code postal").fill("32400")
    phone.get_by_role("button", name="Rechercher").click()
    first_slot = phone.locator(".site-results .slot-list a").first
    first_slot.wait_for()
    assert_no_horizontal_overflow(phone)
    top_in_page = first_slot.bounding_box()["y"] + phone.evaluate("scrollY")
    moved_to_results = phone.evaluate("scrollY") > 0 and phone.url.endswith("#resultats")
    assert moved_to_results or top_in_page < 2 * PHONE["height"]
    assert 0 <= first_slot.bounding_box()["y"] < 2 * PHONE["height"]
    assert "Plusieurs communes" not in phone.content()


def test_on_a_phone_a_patient_answers_the_eligibility_questions_first_then_books(
    phone, volunteer, riscle_site, ars_occitanie, mailoutbox
):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie, open_to_all=False)
    slot = mission.slots.order_by("starts_at").first()
    phone.goto(f"/consultations/lieu/{riscle_site.pk}/")
    assert "Dr Marc Daguzan" in phone.content() and "prioritaire jusqu'au" in phone.content()
    assert_no_horizontal_overflow(phone)
    phone.get_by_role("link", name=re.compile("^Réserver le")).first.click()

    phone.get_by_role("heading", name=re.compile("Étape 1 sur 2")).wait_for()
    assert phone.get_by_label("Prénom").count() == 0
    assert_no_horizontal_overflow(phone)
    phone.get_by_label("Commune de résidence").fill("32400")
    phone.get_by_label("Non, je n'ai pas de médecin traitant").check()
    phone.get_by_role("button", name="Continuer").click()
    phone.get_by_role("button", name="Riscle", exact=True).click()  # one of the communes of 32400

    phone.get_by_label("Prénom").wait_for()
    assert phone.get_by_label("Commune de résidence").input_value() == "Riscle (32400)"
    assert phone.get_by_label("Téléphone").get_attribute("type") == "tel"
    phone.get_by_label("Prénom").fill("Jeanne")
    phone.get_by_label(re.compile(r"^Nom")).fill("Lacoste")
    phone.get_by_label("Date de naissance").fill("1950-03-14")
    phone.get_by_label("Téléphone").fill("06 11 22 33 44")
    phone.get_by_label("Adresse e-mail").fill("jeanne.lacoste@exemple.fr")
    assert_no_horizontal_overflow(phone)
    phone.get_by_role("button", name="Confirmer le rendez-vous").click()
    phone.get_by_text("Votre rendez-vous est confirmé").wait_for()
    assert_no_horizontal_overflow(phone)
    booking = Booking.objects.get()
    assert booking.slot_id == slot.pk and booking.commune_id == "32344" and not booking.has_regular_doctor

    with phone.expect_download() as download:
        phone.get_by_role("button", name="Ajouter à mon agenda (.ics)").click()
    assert download.value.suggested_filename == "consultation.ics"
    assert "BEGIN:VEVENT" in Path(download.value.path()).read_text(encoding="utf-8")

    # Back, then the same form again: recognised as hers, not "taken by someone else".
    phone.go_back()
    phone.get_by_role("button", name="Confirmer le rendez-vous").click()
    phone.get_by_text("déjà enregistré à votre nom").wait_for()
    assert "quelqu'un d'autre" not in phone.content()
    assert Booking.objects.count() == 1 and len(mailoutbox) == 1


def test_on_a_phone_a_patient_with_a_regular_doctor_is_told_when_the_slot_opens(
    phone, volunteer, riscle_site, ars_occitanie
):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie, open_to_all=False)
    phone.goto(f"/consultations/creneau/{mission.slots.order_by('starts_at').first().pk}/reserver/")
    phone.get_by_label("Commune de résidence").fill("Riscle")
    phone.get_by_label("Oui", exact=True).check()
    phone.get_by_role("button", name="Continuer").click()
    alert = phone.get_by_role("alert").filter(has_text="Vous en avez un")
    alert.wait_for()
    assert "Jusqu'au" in alert.inner_text()
    assert phone.get_by_label("Prénom").count() == 0
    assert_no_horizontal_overflow(phone)
