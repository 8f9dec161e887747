""" "Tell me when a slot opens": e-mail or mobile, for a site or near a commune, told once."""

import re
import threading

import pytest
from django.conf import settings
from django.db import IntegrityError, connection
from django.urls import reverse

from consultations import alerts, services
from consultations.models import WaitingListEntry
from gomask.errors import Conflict, InvalidInput, NotFound
from notifications.models import Channel, Delivery, DeliveryKind, DeliveryStatus
from tests.consultations.conftest import RISCLE, make_mission, make_volunteer, patient, publish
from tests.factories import commune

pytestmark = pytest.mark.django_db

MOBILE = "06 12 34 56 78"


def notices():
    return Delivery.objects.filter(kind=DeliveryKind.WAITING_LIST_NOTICE)


def unsubscribe_token_in(body: str) -> int:
    """The alert the body's unsubscribe link removes. The token is signed with a timestamp
    (django.core.signing.dumps), so a link rebuilt by the test a second later differs: read the
    one the message carries instead."""
    prefix, _, suffix = (
        settings.SITE_URL + reverse("consultations:alert_unsubscribe", args=["TOKEN"])
    ).partition("TOKEN")
    [token] = re.findall(re.escape(prefix) + r"([\w:.-]+)" + re.escape(suffix), body)
    return alerts.read_unsubscribe_token(token)


def test_an_email_alert_for_a_site_is_told_once_when_a_slot_frees(slots, riscle_site, committed):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    entry = alerts.join_waiting_list(site_id=riscle_site.pk, email="alerte@exemple.fr")
    committed(services.cancel_booking, token=services.booking_token(booking))
    [notice] = notices()
    assert notice.address == "alerte@exemple.fr" and notice.channel == Channel.EMAIL
    assert unsubscribe_token_in(notice.body) == entry.pk
    assert alerts.notify_waiting_list(slot_id=slots[0].pk) == 0
    assert notices().count() == 1


def test_a_mobile_alert_near_a_commune_gets_one_sms_when_slots_are_published(
    doctor, riscle_site, ars_occitanie, django_capture_on_commit_callbacks
):
    alerts.join_waiting_list(commune=commune(RISCLE), phone=MOBILE)
    far = alerts.join_waiting_list(commune=commune("31555"), email="toulouse@exemple.fr")  # ~130 km
    mission = make_mission(make_volunteer(doctor, riscle_site), riscle_site, ars_occitanie)
    with django_capture_on_commit_callbacks(execute=True):
        publish(mission, ars_occitanie)
    [sms] = notices()
    assert sms.channel == Channel.SMS and sms.address == "+33612345678"
    assert "créneau" in sms.subject and sms.url == reverse("consultations:site_detail", args=[riscle_site.pk])
    far.refresh_from_db()
    assert far.notified_at is None


def test_an_alert_left_before_publication_is_told_at_publication(
    doctor, riscle_site, ars_occitanie, django_capture_on_commit_callbacks
):
    alerts.join_waiting_list(site_id=riscle_site.pk, email="tot@exemple.fr")
    mission = make_mission(make_volunteer(doctor, riscle_site), riscle_site, ars_occitanie)
    with django_capture_on_commit_callbacks(execute=True):
        publish(mission, ars_occitanie)
    assert list(notices().values_list("address", flat=True)) == ["tot@exemple.fr"]


def test_the_same_alert_twice_is_refused_and_the_database_refuses_it_too(riscle_site):
    alerts.join_waiting_list(site_id=riscle_site.pk, phone=MOBILE)
    with pytest.raises(Conflict) as refused:
        alerts.join_waiting_list(site_id=riscle_site.pk, phone="+33 6 12 34 56 78")
    assert refused.value.code == "already_waiting"
    with pytest.raises(IntegrityError):
        WaitingListEntry.objects.create(site=riscle_site, phone="+33612345678")


@pytest.mark.parametrize(
    ("contact", "code"),
    [
        ({}, "alert_contact_required"),
        ({"email": "a@exemple.fr", "phone": MOBILE}, "alert_one_contact"),
        ({"email": "pas-une-adresse"}, "invalid_email"),
        ({"phone": "12"}, "invalid_phone"),
        ({"phone": "05 62 00 00 00"}, "phone_not_mobile"),
    ],
)
def test_bad_contacts_are_refused_in_french_and_nothing_is_written(riscle_site, contact, code):
    with pytest.raises(InvalidInput) as refused:
        alerts.join_waiting_list(site_id=riscle_site.pk, **contact)
    assert refused.value.code == code
    assert not WaitingListEntry.objects.exists()


def test_an_unknown_site_or_no_target_is_refused(occitanie):
    with pytest.raises(NotFound):
        alerts.join_waiting_list(site_id=999_999, email="a@exemple.fr")
    with pytest.raises(InvalidInput):
        alerts.join_waiting_list(email="a@exemple.fr")


def test_one_contact_holds_a_limited_number_of_pending_alerts(riscle_site, marciac_site, settings):
    settings.SLOT_ALERT_MAX_PER_CONTACT = 1
    alerts.join_waiting_list(site_id=riscle_site.pk, email="a@exemple.fr")
    with pytest.raises(Conflict) as refused:
        alerts.join_waiting_list(site_id=marciac_site.pk, email="a@exemple.fr")
    assert refused.value.code == "too_many_alerts"


def test_alerts_are_rate_limited_per_client_address(client, riscle_site, settings):
    settings.SLOT_ALERT_RATE_LIMIT = 2
    url = reverse("consultations:waiting_list", args=[riscle_site.pk])
    for index in range(2):
        assert client.post(url, {"email": f"a{index}@exemple.fr"}).status_code == 302
    response = client.post(url, {"email": "a9@exemple.fr"})
    assert response.status_code == 429
    assert WaitingListEntry.objects.count() == 2


def test_the_home_page_form_leaves_an_alert_for_a_postal_code(client, riscle_site):
    response = client.post(
        reverse("consultations:alert_create"), {"place": "32400", "phone": MOBILE}, follow=True
    )
    assert response.status_code == 200
    entry = WaitingListEntry.objects.get()
    assert entry.commune_id == RISCLE and entry.phone == "+33612345678"
    assert "C'est noté" in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize(
    "data",
    [{"place": "99999", "email": "a@exemple.fr"}, {"place": "", "email": "a@exemple.fr"}, {"place": "32400"}],
)
def test_the_home_page_form_refuses_bad_input_and_writes_nothing(client, occitanie, data):
    response = client.post(reverse("consultations:alert_create"), data, follow=True)
    assert response.status_code == 200
    assert "Vérifiez le formulaire" in response.content.decode() or "Indiquez" in response.content.decode()
    assert not WaitingListEntry.objects.exists()


def test_unsubscribing_is_one_click_and_drops_the_pending_message(client, slots, riscle_site, committed):
    booking = services.book_slot(slot_id=slots[0].pk, **patient()).value
    entry = alerts.join_waiting_list(site_id=riscle_site.pk, email="alerte@exemple.fr")
    committed(services.cancel_booking, token=services.booking_token(booking))
    Delivery.objects.filter(kind=DeliveryKind.WAITING_LIST_NOTICE).update(status=DeliveryStatus.PENDING)
    url = reverse("consultations:alert_unsubscribe", args=[alerts.unsubscribe_token(entry)])
    assert "Supprimer l" in client.get(url).content.decode()
    assert WaitingListEntry.objects.exists()  # a GET (a mail scanner) changes nothing
    response = client.post(url)
    assert response.status_code == 200 and "est supprimée" in response.content.decode()
    assert not WaitingListEntry.objects.exists()
    assert notices().get().status == DeliveryStatus.SKIPPED
    again = client.post(url)
    assert again.status_code == 200 and "existe plus" in again.content.decode()


@pytest.mark.parametrize("token", ["abc", "1:forged:sig", "x" * 300])
def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(client, riscle_site, token):
    alerts.join_waiting_list(site_id=riscle_site.pk, email="a@exemple.fr")
    response = client.post(reverse("consultations:alert_unsubscribe", args=[token]))
    assert response.status_code == 400
    assert WaitingListEntry.objects.count() == 1


# --- Exactly once under concurrent cancellations ---------------------------------------------


def _cancel_all_at_once(bookings, monkeypatch):
    """Cancel every booking at once, each thread then telling the alerts (as the task does);
    returns how many messages were handed to the outbox."""
    barrier = threading.Barrier(len(bookings))
    told = []
    queue_email, queue_sms = alerts.emails.queue_waiting_list_notice, alerts.queue_sms

    def counted(queue):
        def wrapper(*args, **kwargs):
            told.append(1)
            return queue(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(alerts.emails, "queue_waiting_list_notice", counted(queue_email))
    monkeypatch.setattr(alerts, "queue_sms", counted(queue_sms))

    def cancel(booking):
        barrier.wait()
        try:
            services.cancel_booking(token=services.booking_token(booking))
            alerts.notify_waiting_list(slot_id=booking.slot_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=cancel, args=(b,)) for b in bookings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return told


@pytest.fixture
def booked_site(doctor, riscle_site, ars_occitanie):
    mission = publish(
        make_mission(make_volunteer(doctor, riscle_site), riscle_site, ars_occitanie), ars_occitanie
    )
    bookings = []
    for index, slot in enumerate(mission.slots.order_by("starts_at")[:8]):
        person = patient(
            first_name=f"Patient{'abcdefgh'[index]}", email=f"p{index}@exemple.fr", phone=f"06{index:08d}"
        )
        bookings.append(services.book_slot(slot_id=slot.pk, **person).value)
    alerts.join_waiting_list(site_id=riscle_site.pk, email="alerte@exemple.fr")
    alerts.join_waiting_list(commune=commune(RISCLE), phone=MOBILE)
    return bookings


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_tell_each_alert_exactly_once(booked_site, monkeypatch):
    told = _cancel_all_at_once(booked_site, monkeypatch)
    assert sum(told) == 2
    assert sorted(notices().values_list("address", flat=True)) == ["+33612345678", "alerte@exemple.fr"]


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_claim_concurrent_cancellations_tell_twice(booked_site, monkeypatch):
    monkeypatch.setattr(alerts, "_claim", lambda entry_id, *, now: True)
    told = _cancel_all_at_once(booked_site, monkeypatch)
    assert sum(told) > 2
