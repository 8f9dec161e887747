"""Patients book, cancel and wait for a slot; the e-mails, reminders and purge that follow."""

import html
import re
from datetime import UTC, date, timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consultations import alerts, services, tasks
from consultations.models import Booking, BookingStatus, Slot, WaitingListEntry
from gomask.errors import Conflict, InvalidInput, NotFound
from notifications import tasks as notifications_tasks
from notifications.models import Delivery
from tests.consultations.conftest import MARCIAC, TOULOUSE, booking_form, make_mission, patient, publish
from tests.consultations.mail import calendar_attachment

pytestmark = pytest.mark.django_db


def test_a_patient_books_a_free_slot_and_receives_the_confirmation_with_the_ics(slots, mailoutbox, committed):
    booking = committed(services.book_slot, slot_id=slots[0].pk, **patient()).value
    assert booking.status == BookingStatus.BOOKED
    assert booking.lives_in_zone and not booking.has_regular_doctor
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["jeanne.lacoste@exemple.fr"]
    assert "carte Vitale" in message.body and "sans dépassement d'honoraires" in message.body
    name, mime_method, _calendar, content = calendar_attachment(message)
    assert (name, mime_method) == ("consultation.ics", "PUBLISH")
    assert "BEGIN:VEVENT" in content and f"UID:{booking.public_id}@gomask" in content
    assert slots[0].starts_at.astimezone(UTC).strftime("DTSTART:%Y%m%dT%H%M%SZ") in content
    token = re.search(r"/rendez-vous/([^/\s]+)/annuler/", message.body).group(1)
    assert services.booking_from_token(token) == booking
    assert token != str(booking.pk)


def test_the_confirmation_is_sent_only_once_even_if_the_delivery_runs_again(slots, mailoutbox, committed):
    committed(services.book_slot, slot_id=slots[0].pk, **patient())
    assert notifications_tasks.deliver_batch(list(Delivery.objects.values_list("pk", flat=True))) == 0
    assert len(mailoutbox) == 1


def test_a_taken_slot_is_refused_with_a_clear_message(slots):
    services.book_slot(slot_id=slots[0].pk, **patient())
    with pytest.raises(Conflict) as refused:
        services.book_slot(
            slot_id=slots[0].pk, **patient(email="autre@exemple.fr", phone="0611223355", first_name="Paul")
        )
    assert refused.value.code == "slot_taken"
    assert "déjà" in str(refused.value.message) or "réservé" in str(refused.value.message)
    assert Booking.objects.count() == 1


def test_a_slot_in_the_past_is_refused_and_nothing_is_written(slots):
    later = slots[0].starts_at + timedelta(minutes=1)
    with pytest.raises(Conflict) as refused:
        services.book_slot(slot_id=slots[0].pk, now=later, **patient())
    assert refused.value.code == "slot_in_past"
    assert Booking.objects.count() == 0


def test_a_cancelled_mission_refuses_bookings(slots, mission, ars_occitanie):
    services.cancel_mission(user=ars_occitanie, mission_id=mission.pk)
    with pytest.raises(Conflict) as refused:
        services.book_slot(slot_id=slots[0].pk, **patient())
    assert refused.value.code == "mission_cancelled"
    assert Booking.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("birth_date", date.today() + timedelta(days=1), "birth_date_in_future"),
        ("birth_date", date(1850, 1, 1), "invalid_birth_date"),
        ("birth_date", "14/03/1950", "invalid_birth_date"),
        ("phone", "12345", "invalid_phone"),
        ("phone", "06 11 22 33 4a", "invalid_phone"),
        ("phone", "", "invalid_phone"),
        ("email", "jeanne@", "invalid_email"),
        ("email", "pas une adresse", "invalid_email"),
        ("first_name", "", "invalid_name"),
        ("last_name", "R2D2", "invalid_name"),
        ("commune_code", "99999", "invalid_commune"),
    ],
)
def test_bad_patient_input_is_refused_in_french_and_nothing_is_written(slots, field, value, code):
    with pytest.raises(InvalidInput) as refused:
        services.book_slot(slot_id=slots[0].pk, **patient(**{field: value}))
    assert refused.value.code == code
    assert refused.value.status == 400
    assert Booking.objects.count() == 0


@pytest.mark.parametrize("slot_id", [0, -1, 10**12, 2**62])
def test_unknown_slot_ids_are_not_found(occitanie, slot_id):
    with pytest.raises(NotFound):
        services.book_slot(slot_id=slot_id, **patient())


def test_phone_numbers_are_normalised(slots):
    booking = services.book_slot(slot_id=slots[0].pk, **patient(phone="+33 6.11.22.33.44")).value
    assert booking.phone == "+33611223344"


def test_cancelling_through_the_signed_link_frees_the_slot_for_the_next_person(slots):
    first = services.book_slot(slot_id=slots[0].pk, **patient()).value
    services.cancel_booking(token=services.booking_token(first))
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED and first.cancelled_at
    second = services.book_slot(
        slot_id=slots[0].pk, **patient(first_name="Paul", email="paul@exemple.fr", phone="0622334455")
    ).value
    assert second.status == BookingStatus.BOOKED


def test_cancelling_twice_says_it_is_already_cancelled(slots):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    token = services.booking_token(booking)
    services.cancel_booking(token=token)
    with pytest.raises(Conflict) as refused:
        services.cancel_booking(token=token)
    assert refused.value.code == "already_cancelled"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "1",
        lambda token: signing.dumps("00000000-0000-0000-0000-000000000000", salt="consultations.booking"),
        lambda token: signing.dumps("pas-un-uuid", salt="consultations.booking"),
        lambda token: signing.dumps(token, salt="autre-sel"),
    ],
)
def test_a_tampered_cancel_link_is_refused_and_nothing_changes(slots, tamper):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    with pytest.raises(InvalidInput) as refused:
        services.cancel_booking(token=tamper(services.booking_token(booking)))
    assert refused.value.code == "invalid_link"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_the_cancel_page_refuses_a_tampered_link_with_a_french_message(client, slots):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    token = services.booking_token(booking) + "x"
    response = client.post(reverse("consultations:cancel", args=[token]))
    assert response.status_code == 400
    assert "Ce lien n'est pas valide" in html.unescape(response.content.decode())
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


def test_a_past_consultation_cannot_be_cancelled(slots):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    with pytest.raises(Conflict) as refused:
        services.cancel_booking(token=services.booking_token(booking), now=slots[0].starts_at)
    assert refused.value.code == "booking_in_past"


# --- Priority window ---------------------------------------------------------------------------


@pytest.fixture
def fresh_slots(volunteer, riscle_site, ars_occitanie):
    """A mission published just now: inside its priority window."""
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie), ars_occitanie, open_to_all=False)
    return list(mission.slots.order_by("starts_at"))


def test_during_the_priority_window_a_resident_without_a_regular_doctor_can_book(fresh_slots):
    booking = services.book_slot(slot_id=fresh_slots[0].pk, **patient()).value
    assert booking.lives_in_zone


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"has_regular_doctor": True}, "priority_has_regular_doctor", "Vous en avez un"),
        ({"commune_code": TOULOUSE}, "priority_outside_zone", "votre commune n'en fait pas partie"),
        ({"commune_code": MARCIAC}, "priority_outside_zone", "votre commune n'en fait pas partie"),
    ],
    ids=["has-a-regular-doctor", "lives-in-toulouse", "lives-in-another-zone"],
)
def test_during_the_priority_window_other_patients_are_refused_with_their_own_reason(
    fresh_slots, overrides, code, reason
):
    with pytest.raises(Conflict) as refused:
        services.book_slot(slot_id=fresh_slots[0].pk, **patient(**overrides))
    assert refused.value.code == code
    message = str(refused.value.message)
    assert reason in message and "Jusqu'au" in message
    assert Booking.objects.count() == 0


def test_the_two_priority_refusals_read_differently(fresh_slots):
    messages = set()
    for overrides in ({"has_regular_doctor": True}, {"commune_code": TOULOUSE, "has_regular_doctor": False}):
        with pytest.raises(Conflict) as refused:
            services.book_slot(slot_id=fresh_slots[0].pk, **patient(**overrides))
        messages.add(str(refused.value.message))
    assert len(messages) == 2


def test_a_slot_s_priority_window_closes_before_the_slot_starts(
    volunteer, riscle_site, ars_occitanie, settings
):
    """Published today for tomorrow: a 48-hour window would outlive the slots."""
    mission = publish(
        make_mission(volunteer, riscle_site, ars_occitanie, days_ahead=1), ars_occitanie, open_to_all=False
    )
    slot = mission.slots.order_by("starts_at").first()
    assert mission.priority_until > slot.starts_at  # the mission's window alone would block the slot
    assert slot.priority_until <= slot.starts_at - timedelta(
        hours=settings.PRIORITY_RELEASE_BEFORE_SLOT_HOURS
    )
    shortly_before = slot.starts_at - timedelta(hours=2)
    booking = services.book_slot(
        slot_id=slot.pk, now=shortly_before, **patient(has_regular_doctor=True, commune_code=TOULOUSE)
    ).value
    assert booking.status == BookingStatus.BOOKED


def test_after_the_priority_window_the_slots_are_open_to_all(fresh_slots):
    # Just after this slot's window (which closes before the slot starts, whatever the hour).
    slot = fresh_slots[-1]
    later = slot.priority_until + timedelta(minutes=1)
    assert later < slot.starts_at
    booking = services.book_slot(
        slot_id=slot.pk, now=later, **patient(has_regular_doctor=True, commune_code=TOULOUSE)
    ).value
    assert not booking.lives_in_zone and booking.has_regular_doctor


# --- Anti-hoarding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "third",
    [
        {"first_name": "Paul", "phone": "0699887766", "birth_date": date(1980, 1, 1)},  # same e-mail
        {"first_name": "Paul", "email": "paul@exemple.fr", "birth_date": date(1980, 1, 1)},  # same phone
        {"email": "jl@exemple.fr", "phone": "0699887766", "last_name": "LACOSTE"},  # same name + birth date
    ],
    ids=["same-email", "same-phone", "same-name-and-birth-date"],
)
def test_a_person_cannot_hold_more_than_two_future_bookings(slots, third):
    services.book_slot(slot_id=slots[0].pk, **patient())
    services.book_slot(slot_id=slots[1].pk, **patient())
    with pytest.raises(Conflict) as refused:
        services.book_slot(slot_id=slots[2].pk, **patient(**third))
    assert refused.value.code == "too_many_bookings"
    assert Booking.objects.count() == 2


def test_a_cancelled_booking_does_not_count_towards_the_limit(slots):
    first = services.book_slot(slot_id=slots[0].pk, **patient()).value
    services.book_slot(slot_id=slots[1].pk, **patient())
    services.cancel_booking(token=services.booking_token(first))
    assert services.book_slot(slot_id=slots[2].pk, **patient()).value.status == BookingStatus.BOOKED


def test_the_limit_of_future_bookings_is_configurable(slots, settings):
    settings.MAX_FUTURE_BOOKINGS = 1
    services.book_slot(slot_id=slots[0].pk, **patient())
    with pytest.raises(Conflict):
        services.book_slot(slot_id=slots[1].pk, **patient())


def test_booking_attempts_that_could_take_a_slot_are_rate_limited_per_client_with_a_429_in_french(
    client, slots, settings
):
    settings.BOOKING_RATE_LIMIT = 2
    services.book_slot(
        slot_id=slots[0].pk, **patient(email="autre@exemple.fr", phone="0699999999", first_name="Paul")
    )
    url = reverse("consultations:book", args=[slots[0].pk])
    for _ in range(2):
        assert client.post(url, booking_form(), REMOTE_ADDR="10.9.8.7").status_code == 409
    refused = client.post(url, booking_form(), REMOTE_ADDR="10.9.8.7")
    assert refused.status_code == 429
    assert "Trop de demandes" in html.unescape(refused.content.decode())
    other_client = client.post(url, booking_form(), REMOTE_ADDR="10.9.8.8")
    assert other_client.status_code == 409


def test_typing_mistakes_do_not_count_towards_the_rate_limit(client, slots, settings):
    settings.BOOKING_RATE_LIMIT = 2
    url = reverse("consultations:book", args=[slots[0].pk])
    for mistake in [
        {"phone": "12345"},
        {"email": "jeanne@"},
        {"birth_date": "2999-01-01"},
        {"first_name": ""},
    ]:
        assert client.post(url, booking_form(**mistake), REMOTE_ADDR="10.9.8.7").status_code == 400
    response = client.post(url, booking_form(), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302
    assert Booking.objects.get().status == BookingStatus.BOOKED


def test_every_field_error_is_shown_at_once(client, slots):
    url = reverse("consultations:book", args=[slots[0].pk])
    response = client.post(
        url, booking_form(phone="12345", email="jeanne@", birth_date="2999-01-01", last_name="R2D2")
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    for message in [
        "Le numéro de téléphone n'est pas valide",
        "Saisissez une adresse e-mail valide",
        "ne peut pas être dans le futur",
        "ne doit contenir que des lettres",
    ]:
        assert message in page
    assert not Booking.objects.exists()


def test_the_same_patient_submitting_again_gets_their_own_booking_back(slots):
    first = services.book_slot(slot_id=slots[0].pk, **patient())
    again = services.book_slot(
        slot_id=slots[0].pk, **patient(phone="0611223344", email="JEANNE.lacoste@exemple.fr")
    )
    assert again.value.pk == first.value.pk and again.replayed and not first.replayed
    assert Booking.objects.count() == 1 and Delivery.objects.count() == 1


def test_back_then_submitting_the_form_again_shows_the_patient_their_booking(client, slots, mailoutbox):
    url = reverse("consultations:book", args=[slots[0].pk])
    first = client.post(url, booking_form())
    again = client.post(url, booking_form(), follow=True)
    assert again.redirect_chain[-1][0] == first["Location"]
    page = html.unescape(again.content.decode())
    assert "déjà enregistré à votre nom" in page and "vient d'être réservé" not in page
    assert Booking.objects.count() == 1


# --- Waiting list, reminders, purge ------------------------------------------------------------------


def test_the_waiting_list_is_told_once_when_a_slot_frees_up(slots, riscle_site, mailoutbox, committed):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    alerts.join_waiting_list(site_id=riscle_site.pk, email="attente@exemple.fr")
    mailoutbox.clear()
    committed(services.cancel_booking, token=services.booking_token(booking))
    notices = [m for m in mailoutbox if "est libre" in m.body]
    assert [m.to for m in notices] == [["attente@exemple.fr"]]
    assert alerts.notify_waiting_list(slot_id=slots[0].pk) == 0
    assert WaitingListEntry.objects.get().notified_at is not None


def test_joining_the_waiting_list_twice_is_refused(riscle_site):
    alerts.join_waiting_list(site_id=riscle_site.pk, email="attente@exemple.fr")
    with pytest.raises(Conflict):
        alerts.join_waiting_list(site_id=riscle_site.pk, email="ATTENTE@exemple.fr")


def test_the_reminder_goes_out_the_day_before_and_only_once(
    volunteer, riscle_site, ars_occitanie, mailoutbox, django_capture_on_commit_callbacks
):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie, days_ahead=1), ars_occitanie)
    slot = mission.slots.order_by("starts_at").first()
    booking = services.book_slot(slot_id=slot.pk, **patient()).value
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_reminders() == 1
    assert len(mailoutbox) == 1 and "Rappel" in mailoutbox[0].subject
    assert calendar_attachment(mailoutbox[0])[0] == "consultation.ics"
    assert tasks.send_due_reminders() == 0
    assert tasks.send_booking_reminder(booking.pk) is False
    assert len(mailoutbox) == 1


def test_no_reminder_two_days_before(slots, mailoutbox):
    services.book_slot(slot_id=slots[0].pk, **patient())
    assert services.due_reminder_ids() == []


def test_patient_data_is_purged_after_the_retention_period(slots, settings):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    just_before = slots[0].ends_at + timedelta(days=settings.PATIENT_DATA_RETENTION_DAYS - 1)
    assert services.purge_patient_data(now=just_before) == 0
    after = slots[0].ends_at + timedelta(days=settings.PATIENT_DATA_RETENTION_DAYS, minutes=1)
    assert services.purge_patient_data(now=after) == 1
    booking.refresh_from_db()
    assert (booking.first_name, booking.last_name, booking.email, booking.phone) == ("", "", "", "")
    assert booking.birth_date is None and booking.commune is None and booking.purged_at
    assert booking.has_regular_doctor is False and booking.lives_in_zone is True
    assert services.purge_patient_data(now=after) == 0


def test_the_purge_task_runs_without_arguments(slots):
    services.book_slot(slot_id=slots[0].pk, **patient())
    assert tasks.purge_patient_data() == 0


def test_slot_generation_skips_the_break_and_uses_the_default_duration(volunteer, riscle_site, ars_occitanie):
    from datetime import time

    mission = make_mission(volunteer, riscle_site, ars_occitanie)
    count = services.publish_slots(
        user=ars_occitanie,
        mission_id=mission.pk,
        day_start=time(9, 0),
        day_end=time(17, 0),
        break_start=time(12, 0),
        break_end=time(13, 30),
    )
    # 9:00-12:00 is 9 slots of 20 minutes, 13:30-17:00 is 10 more.
    assert count == 19
    local = [timezone.localtime(s.starts_at).strftime("%H:%M") for s in Slot.objects.filter(mission=mission)]
    assert "11:40" in local and "12:00" not in local and "13:30" in local and "16:30" in local


def test_a_rush_loser_is_refused_from_the_taken_marker_without_a_transaction(slots, committed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    committed(services.book_slot, slot_id=slots[0].pk, **patient())
    with CaptureQueriesContext(connection) as queries, pytest.raises(Conflict) as refused:
        services.book_slot(slot_id=slots[0].pk, **patient(first_name="Paul", email="paul@exemple.fr"))
    assert refused.value.code == "slot_taken"
    assert not any("FOR UPDATE" in q["sql"] or "advisory" in q["sql"] for q in queries.captured_queries)


def test_the_same_patient_still_gets_their_booking_back_past_the_marker(slots, committed):
    first = committed(services.book_slot, slot_id=slots[0].pk, **patient()).value
    again = services.book_slot(slot_id=slots[0].pk, **patient())
    assert again.value.pk == first.pk and again.replayed


def test_a_cancellation_clears_the_marker_so_the_slot_can_be_booked_again(slots, committed):
    booking = committed(services.book_slot, slot_id=slots[0].pk, **patient()).value
    committed(services.cancel_booking, token=services.booking_token(booking))
    other = services.book_slot(
        slot_id=slots[0].pk, **patient(first_name="Paul", email="paul@exemple.fr")
    ).value
    assert other.slot_id == slots[0].pk


def test_the_booking_page_of_a_slot_just_taken_says_so_before_the_form_is_filled(client, slots):
    url = reverse("consultations:book", args=[slots[0].pk])
    assert "slot-unavailable" not in client.get(url).content.decode()
    client.post(url, booking_form())
    page = html.unescape(Client().get(url).content.decode())  # another person, a stale link
    assert "Ce créneau vient d'être réservé" in page
    assert reverse("consultations:site_detail", args=[slots[0].mission.site_id]) in page
