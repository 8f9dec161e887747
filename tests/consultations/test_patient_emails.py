"""The e-mails to patients go through the notifications outbox: written with the booking
change, delivered once, retried after an SMTP failure; calendar files that calendar apps
understand (PUBLISH, then CANCEL with the same UID and a higher SEQUENCE)."""

import re
from datetime import timedelta

import icalendar
import pytest
from django.urls import reverse

from consultations import alerts, services
from notifications import delivery
from notifications.models import Delivery, DeliveryKind, DeliveryStatus
from tests.consultations.conftest import make_mission, patient, publish
from tests.consultations.mail import FailingSmtpBackend, calendar_attachment, event_of

pytestmark = pytest.mark.django_db


def test_the_confirmation_is_an_outbox_delivery_written_with_the_booking(slots, mailoutbox):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    row = Delivery.objects.get()
    assert row.kind == DeliveryKind.BOOKING_CONFIRMATION and row.address == booking.email
    assert row.status == DeliveryStatus.PENDING
    assert mailoutbox == []  # nothing leaves before the transaction commits


def test_the_confirmation_calendar_file_parses_and_carries_organizer_and_sequence(
    slots, mailoutbox, committed
):
    booking = committed(services.book_slot, slot_id=slots[0].pk, **patient()).value
    filename, mime_method, calendar, _text = calendar_attachment(mailoutbox[0])
    assert filename == "consultation.ics" and mime_method == "PUBLISH"
    assert str(calendar["METHOD"]) == "PUBLISH"
    event = event_of(calendar)
    assert str(event["UID"]) == f"{booking.public_id}@gomask"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert event.decoded("DTSTART") == slots[0].starts_at


def test_cancelling_sends_a_cancellation_email_whose_calendar_file_removes_the_event(
    slots, mailoutbox, committed
):
    booking = committed(services.book_slot, slot_id=slots[0].pk, **patient()).value
    confirmation = event_of(calendar_attachment(mailoutbox[0])[2])
    committed(services.cancel_booking, token=services.booking_token(booking))
    assert len(mailoutbox) == 2
    message = mailoutbox[1]
    assert message.to == [booking.email] and "annulée" in message.subject
    assert "bien annulée" in message.body
    _name, mime_method, calendar, _text = calendar_attachment(message)
    assert mime_method == "CANCEL"
    assert re.search(r"Content-Type: text/calendar;[^\n]*method=CANCEL\n", message.message().as_string())
    assert str(calendar["METHOD"]) == "CANCEL"
    event = event_of(calendar)
    assert str(event["UID"]) == str(confirmation["UID"])
    assert int(event["SEQUENCE"]) > int(confirmation["SEQUENCE"])
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["ORGANIZER"]) == str(confirmation["ORGANIZER"])
    assert str(event["ATTENDEE"]) == f"mailto:{booking.email}"


def test_a_cancelled_mission_tells_each_patient_with_a_cancelling_calendar_file(
    slots, mission, ars_occitanie, mailoutbox, committed
):
    services.book_slot(slot_id=slots[0].pk, **patient())
    committed(services.cancel_mission, user=ars_occitanie, mission_id=mission.pk)
    assert len(mailoutbox) == 1
    assert "le médecin ne pouvant pas assurer" in mailoutbox[0].body
    assert str(calendar_attachment(mailoutbox[0])[2]["METHOD"]) == "CANCEL"


def test_joining_the_waiting_list_sends_a_confirmation(riscle_site, mailoutbox, committed):
    committed(alerts.join_waiting_list, site_id=riscle_site.pk, email="attente@exemple.fr")
    assert [m.to for m in mailoutbox] == [["attente@exemple.fr"]]
    assert "alerte est enregistrée" in mailoutbox[0].body and riscle_site.name in mailoutbox[0].body


def test_delivering_again_sends_nothing_twice(slots, mailoutbox, committed):
    committed(services.book_slot, slot_id=slots[0].pk, **patient())
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert delivery.deliver_many(ids) == 0
    assert delivery.relay() == 0
    assert len(mailoutbox) == 1


def test_a_failed_smtp_send_is_retried_and_the_confirmation_delivered_exactly_once(
    slots, mailoutbox, committed, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.consultations.mail.FailingSmtpBackend"
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 0
    FailingSmtpBackend.failures, FailingSmtpBackend.attempts = 1, 0
    committed(services.book_slot, slot_id=slots[0].pk, **patient())
    row = Delivery.objects.get()
    assert mailoutbox == [] and row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error

    with django_capture_on_commit_callbacks(execute=True):  # published once the relay commits
        assert delivery.relay() == 1  # the retry is due: republished and delivered
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["jeanne.lacoste@exemple.fr"]
    assert delivery.relay() == 0 and delivery.deliver_many([row.pk]) == 0
    assert len(mailoutbox) == 1 and FailingSmtpBackend.attempts == 2


def test_the_reminder_is_an_outbox_delivery_written_once(
    volunteer, riscle_site, ars_occitanie, mailoutbox, committed
):
    mission = publish(make_mission(volunteer, riscle_site, ars_occitanie, days_ahead=1), ars_occitanie)
    slot = mission.slots.order_by("starts_at").first()
    booking = services.book_slot(slot_id=slot.pk, **patient()).value
    assert committed(services.send_reminder, booking_id=booking.pk) is True
    assert committed(services.send_reminder, booking_id=booking.pk) is False
    assert Delivery.objects.filter(kind=DeliveryKind.BOOKING_REMINDER).count() == 1
    assert [m.subject[:6] for m in mailoutbox] == ["Rappel"]


def test_the_purge_removes_the_emails_sent_to_patients(slots, settings, committed):
    committed(services.book_slot, slot_id=slots[0].pk, **patient())
    assert Delivery.objects.count() == 1
    Delivery.objects.update(created_at=slots[0].ends_at - timedelta(days=1))
    after = slots[0].ends_at + timedelta(days=settings.PATIENT_DATA_RETENTION_DAYS, minutes=1)
    services.purge_patient_data(now=after)
    assert not Delivery.objects.exists()


def test_the_booking_page_offers_the_calendar_file_and_a_cancelled_one_removes_the_event(client, slots):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    token = services.booking_token(booking)
    page = client.get(reverse("consultations:booking_detail", args=[token])).content.decode()
    url = reverse("consultations:booking_ics", args=[token])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar; method=PUBLISH")
    assert "attachment" in response["Content-Disposition"]
    assert str(icalendar.Calendar.from_ical(response.content)["METHOD"]) == "PUBLISH"
    services.cancel_booking(token=token)
    cancelled = client.get(url)
    assert cancelled["Content-Type"].startswith("text/calendar; method=CANCEL")
    assert str(icalendar.Calendar.from_ical(cancelled.content)["METHOD"]) == "CANCEL"
    assert client.get(reverse("consultations:booking_ics", args=[token + "x"])).status_code == 400
