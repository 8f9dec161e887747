"""Pages: inbox and unread count, preferences, one-click unsubscribe, the pharmacist's call list."""

import pytest
from django.core import signing
from django.urls import reverse

from notifications import delivery
from notifications.models import CallMark, Delivery, DeliveryStatus, Notification, NotificationPreference
from notifications.tokens import UNSUBSCRIBE_SALT, make_unsubscribe_token
from pharmacies.services import declare_arrival
from tests.notifications.conftest import referenced_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_arrival(riscle_pharmacy, riscle_pharmacist, products):
    users = referenced_users(riscle_pharmacy, 2)
    movement = declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=60,
        source="national",
    )
    delivery.deliver_many(Delivery.objects.values_list("pk", flat=True))
    return movement.arrival_notice, users


def test_inbox_shows_the_unread_count_and_opening_marks_read(client, delivered_arrival):
    notice, (user, _other) = delivered_arrival
    client.force_login(user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'id="unread-count">1<' in page and "Masques disponibles à Pharmacie de l&#x27;Adour" in page
    notification = Notification.objects.get(user=user)
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == f"/notifications/arrivee/{notice.pk}/"
    assert 'id="unread-count"' not in client.get(reverse("notifications:list")).content.decode()


def test_someone_elses_notification_cannot_be_opened(client, delivered_arrival):
    _notice, (user, other) = delivered_arrival
    client.force_login(other)
    foreign = Notification.objects.get(user=user)
    assert client.post(reverse("notifications:open", args=[foreign.pk])).status_code == 404
    assert Notification.objects.get(pk=foreign.pk).read_at is None


def test_arrival_page_shows_the_stock_available_now(client, delivered_arrival):
    notice, (user, _other) = delivered_arrival
    client.force_login(user)
    page = client.get(reverse("notifications:arrival", args=[notice.pk])).content.decode()
    assert "60 masques" in page


def test_preferences_are_saved(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("notifications:preferences"), {"sms": "on", "portal": "on"})
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(professional=nurse.professional)
    assert (preference.email, preference.sms, preference.portal) == (False, True, True)


def test_preferences_page_is_for_professionals_only(client, riscle_pharmacist, ars_occitanie):
    for user in (riscle_pharmacist, ars_occitanie):
        client.force_login(user)
        assert client.get(reverse("notifications:preferences")).status_code == 403


def test_one_click_unsubscribe_turns_the_channel_off_and_drops_pending_messages(
    client, riscle_pharmacy, riscle_pharmacist, products
):
    (user,) = referenced_users(riscle_pharmacy, 1)
    declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=5,
        source="national",
    )
    token = make_unsubscribe_token(professional_id=user.professional.pk, channel="email")
    url = reverse("notifications:unsubscribe", args=[token])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200  # no login, no CSRF token: the signature is the credential
    assert NotificationPreference.objects.get(professional=user.professional).email is False
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SKIPPED


@pytest.mark.parametrize(
    "token",
    [
        "nimportequoi",
        signing.dumps({"p": 1, "c": "email"}, salt="another-salt"),
        signing.dumps({"p": 999_999, "c": "email"}, salt=UNSUBSCRIBE_SALT),
        signing.dumps({"p": 1, "c": "fax"}, salt=UNSUBSCRIBE_SALT),
    ],
    # Named ids: a signed value carries its signing time; xdist workers must collect the same names.
    ids=["garbage", "another-salt", "unknown-professional", "unknown-channel"],
)
def test_tampered_or_unknown_unsubscribe_token_is_refused_with_400(client, nurse, token):
    response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "Aucun changement" in response.content.decode()
    assert not NotificationPreference.objects.exists()


def test_tampered_signature_is_refused(client, nurse):
    token = make_unsubscribe_token(professional_id=nurse.professional.pk, channel="email")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("notifications:unsubscribe", args=[tampered])).status_code == 400
    assert client.post(reverse("notifications:unsubscribe", args=[tampered])).status_code == 400
    assert not NotificationPreference.objects.exists()


def test_pharmacist_call_list_shows_referenced_professionals_and_ticks_who_was_reached(
    client, delivered_arrival, riscle_pharmacist
):
    notice, (user, other) = delivered_arrival
    client.force_login(riscle_pharmacist)
    assert "Liste d'appel" in client.get(reverse("notifications:calls")).content.decode()
    page = client.get(reverse("notifications:call_list", args=[notice.pk])).content.decode()
    assert user.professional.last_name in page and "06 12 34 56 78" in page and "0 joint(s) sur 2" in page
    url = reverse("notifications:mark_reached", args=[notice.pk, user.professional.pk])
    client.post(url, {"reached": "1"})
    client.post(url, {"reached": "1"})  # double submit
    assert CallMark.objects.filter(notice=notice).count() == 1
    assert (
        "1 joint(s) sur 2"
        in client.get(reverse("notifications:call_list", args=[notice.pk])).content.decode()
    )
    client.post(url, {"reached": "0"})
    assert not CallMark.objects.exists()


def test_call_list_of_another_pharmacy_is_refused(client, delivered_arrival, toulouse_pharmacist):
    notice, (user, _other) = delivered_arrival
    client.force_login(toulouse_pharmacist)
    assert client.get(reverse("notifications:call_list", args=[notice.pk])).status_code == 403
    url = reverse("notifications:mark_reached", args=[notice.pk, user.professional.pk])
    assert client.post(url, {"reached": "1"}).status_code == 403
    assert not CallMark.objects.exists()


def test_call_list_refuses_other_roles_and_unknown_arrivals(
    client, delivered_arrival, riscle_pharmacist, nurse
):
    notice, _users = delivered_arrival
    client.force_login(nurse)
    assert client.get(reverse("notifications:call_list", args=[notice.pk])).status_code == 403
    client.force_login(riscle_pharmacist)
    assert client.get(reverse("notifications:call_list", args=[999_999])).status_code == 404


def test_ticking_a_professional_not_referenced_here_is_refused(
    client, delivered_arrival, riscle_pharmacist, nurse
):
    notice, _users = delivered_arrival
    client.force_login(riscle_pharmacist)
    url = reverse("notifications:mark_reached", args=[notice.pk, nurse.professional.pk])
    response = client.post(url, {"reached": "1"}, follow=True)
    assert "pas référencé" in response.content.decode()
    assert not CallMark.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
