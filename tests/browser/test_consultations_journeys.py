"""Solidarity consultations through Chromium: a volunteer doctor, ARS staff, a patient."""

import re
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

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
    results.locator(".slot-list a").first.click()

    page.get_by_role("heading", name="Prendre rendez-vous").wait_for()
    assert "carte Vitale" in page.content() and "sans dépassement d'honoraires" in page.content()
    page.get_by_label("Prénom").fill("Jeanne")
    page.get_by_label(re.compile(r"^Nom")).fill("Lacoste")
    page.get_by_label("Date de naissance").fill("1950-03-14")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    page.get_by_label("Adresse e-mail").fill("jeanne.lacoste@exemple.fr")
    page.get_by_label("Commune de résidence").fill("Riscle")
    page.get_by_label("Je n'ai pas de médecin traitant").check()
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    page.get_by_text("Votre rendez-vous est confirmé").wait_for()

    booking = Booking.objects.get()
    assert booking.status == BookingStatus.BOOKED and not booking.has_regular_doctor
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.attachments[0][0] == "consultation.ics" and "BEGIN:VEVENT" in email.attachments[0][1]
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
    booking = services.book_slot(slot_id=slot.pk, now=slot.starts_at - timedelta(hours=1), **patient())

    log_in(page, doctor.email)
    page.goto("/consultations/medecin/journee/")
    row = page.get_by_role("row").filter(has_text="Lacoste Jeanne")
    row.get_by_label("Venu", exact=True).check()
    row.get_by_label("J'ai accepté de devenir son médecin traitant").check()
    row.get_by_role("button", name="Enregistrer (Lacoste)").click()
    page.get_by_text("Présence enregistrée.").wait_for()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and booking.became_regular_doctor is True
