"""Stock arrivals write their notifications to the outbox in the arrival's own transaction."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from gomask.errors import InvalidInput
from notifications import delivery, services
from notifications.models import ArrivalNotice, Channel, Delivery, DeliveryStatus, Notification
from pharmacies.services import declare_arrival
from professionals.models import Referencing
from tests.factories import professional_user
from tests.notifications.conftest import reference, referenced_users, referenced_without_account

pytestmark = pytest.mark.django_db


def arrive(pharmacist, pharmacy, quantity=100, product="surgical"):
    return declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code=product, quantity=quantity, source="national"
    )


def test_arrival_writes_one_row_per_referenced_professional_and_default_channel(
    riscle_pharmacy, riscle_pharmacist, products
):
    users = referenced_users(riscle_pharmacy, 3)
    movement = arrive(riscle_pharmacist, riscle_pharmacy, quantity=120)

    notice = ArrivalNotice.objects.get(movement=movement)
    assert notice.recipients == 3 and notice.available == 120
    rows = Delivery.objects.filter(arrival=notice)
    assert rows.count() == 6  # e-mail and portal for each
    assert set(rows.values_list("channel", flat=True)) == {Channel.EMAIL, Channel.PORTAL}
    assert {r.professional_id for r in rows} == {u.professional.pk for u in users}
    email = rows.filter(channel=Channel.EMAIL).first()
    assert "Pharmacie de l'Adour" in email.subject
    assert "vient de recevoir 120 masques chirurgicaux (type II/IIR)" in email.body
    assert "Disponibles à cet instant : 120 masques chirurgicaux" in email.body
    assert email.url == f"/notifications/arrivee/{notice.pk}/"
    assert all(r.status == DeliveryStatus.PENDING for r in rows)


def test_arrival_rolled_back_leaves_no_outbox_row(riscle_pharmacy, riscle_pharmacist, products):
    referenced_users(riscle_pharmacy, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        arrive(riscle_pharmacist, riscle_pharmacy)
        raise RuntimeError("the caller's transaction fails after the arrival")
    assert not Delivery.objects.exists()
    assert not ArrivalNotice.objects.exists()


@pytest.mark.parametrize("quantity", [0, -5, "2.5", 100_001, "abc"])
def test_refused_arrival_writes_no_notification(riscle_pharmacy, riscle_pharmacist, products, quantity):
    referenced_users(riscle_pharmacy, 1)
    with pytest.raises(InvalidInput):
        arrive(riscle_pharmacist, riscle_pharmacy, quantity=quantity)
    assert not Delivery.objects.exists()


def test_only_current_referencings_at_this_pharmacy_are_told(
    riscle_pharmacy, toulouse_pharmacy, riscle_pharmacist, products
):
    (here,) = referenced_users(riscle_pharmacy, 1)
    (elsewhere,) = referenced_users(toulouse_pharmacy, 1)
    moved = professional_user(email="demenage@exemple.fr")
    reference(moved.professional, riscle_pharmacy)
    Referencing.objects.filter(professional=moved.professional).update(ended_at=timezone.now())

    arrive(riscle_pharmacist, riscle_pharmacy)

    told = set(Delivery.objects.values_list("professional_id", flat=True))
    assert told == {here.professional.pk}


def test_channels_follow_each_professional_preferences(riscle_pharmacy, riscle_pharmacist, products):
    sms_only, portal_only = referenced_users(riscle_pharmacy, 2)
    services.set_preferences(professional=sms_only.professional, email=False, sms=True, portal=False)
    services.set_preferences(professional=portal_only.professional, email=False, sms=False, portal=True)
    no_account = referenced_without_account(riscle_pharmacy)

    arrive(riscle_pharmacist, riscle_pharmacy)

    channels = {(d.professional_id, d.channel, d.address) for d in Delivery.objects.all()}
    assert channels == {
        (sms_only.professional.pk, Channel.SMS, "+33612345678"),
        (portal_only.professional.pk, Channel.PORTAL, ""),
        (no_account.pk, Channel.EMAIL, "sans.compte@exemple.fr"),
    }


def _ffp2_quota_for_nurses_of_occitanie(products):
    from datetime import date

    from distribution.models import QuotaPolicy

    QuotaPolicy.objects.create(
        profession="infirmier",
        product=products["ffp2"],
        quantity=10,
        effective_from=date(2020, 3, 1),
        region_id="76",
    )


def test_second_arrival_in_the_window_updates_the_pending_message_instead_of_repeating(
    riscle_pharmacy, riscle_pharmacist, products
):
    _ffp2_quota_for_nurses_of_occitanie(products)
    referenced_users(riscle_pharmacy, 2)
    arrive(riscle_pharmacist, riscle_pharmacy, quantity=50)
    second = arrive(riscle_pharmacist, riscle_pharmacy, quantity=30, product="ffp2")

    assert Delivery.objects.count() == 4
    notice = ArrivalNotice.objects.get(movement=second)
    assert set(Delivery.objects.values_list("arrival_id", flat=True)) == {notice.pk}
    assert all(
        "vient de recevoir 50 masques chirurgicaux (type II/IIR) et 30 masques FFP2" in d.body
        for d in Delivery.objects.all()
    )


def test_several_arrivals_in_the_window_are_summed_up_not_only_the_last_one(
    riscle_pharmacy, riscle_pharmacist, products
):
    referenced_users(riscle_pharmacy, 1)
    arrive(riscle_pharmacist, riscle_pharmacy, quantity=120)
    arrive(riscle_pharmacist, riscle_pharmacy, quantity=1)

    bodies = list(Delivery.objects.values_list("body", flat=True))
    assert len(bodies) == 2
    assert all("vient de recevoir 121 masques chirurgicaux (type II/IIR)" in body for body in bodies)
    assert all("Disponibles à cet instant : 121 masques" in body for body in bodies)


def test_an_arrival_is_told_only_to_professionals_with_a_quota_for_that_product(
    riscle_pharmacy, riscle_pharmacist, products
):
    (nurse,) = referenced_users(riscle_pharmacy, 1)
    doctor = professional_user(email="medecin.riscle@exemple.fr", profession="medecin")
    reference(doctor.professional, riscle_pharmacy)
    from datetime import date

    from distribution.models import QuotaPolicy

    QuotaPolicy.objects.create(
        profession="medecin", product=products["ffp2"], quantity=10, effective_from=date(2020, 3, 1)
    )

    movement = arrive(riscle_pharmacist, riscle_pharmacy, quantity=40, product="ffp2")

    assert set(Delivery.objects.values_list("professional_id", flat=True)) == {doctor.professional.pk}
    assert ArrivalNotice.objects.get(movement=movement).recipients == 1
    assert nurse.professional.pk not in set(Delivery.objects.values_list("professional_id", flat=True))


def test_sent_email_is_not_repeated_in_the_window_but_the_portal_notification_is_refreshed(
    riscle_pharmacy, riscle_pharmacist, products
):
    from django.core import mail

    (user,) = referenced_users(riscle_pharmacy, 1)
    arrive(riscle_pharmacist, riscle_pharmacy, quantity=50)
    delivery.deliver_many(Delivery.objects.values_list("pk", flat=True))
    notification = Notification.objects.get(user=user)
    services.mark_read(user=user, notification_id=notification.pk)

    arrive(riscle_pharmacist, riscle_pharmacy, quantity=25)

    assert Delivery.objects.count() == 2
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.read_at is None and "cet instant : 75 masques" in notification.body
    assert Notification.objects.filter(user=user).count() == 1


def test_arrival_after_the_window_is_a_new_message(riscle_pharmacy, riscle_pharmacist, products, settings):
    referenced_users(riscle_pharmacy, 1)
    arrive(riscle_pharmacist, riscle_pharmacy)
    Delivery.objects.update(
        created_at=timezone.now() - settings.NOTIFICATIONS_ARRIVAL_WINDOW - timedelta(minutes=1)
    )
    arrive(riscle_pharmacist, riscle_pharmacy)
    assert Delivery.objects.count() == 4


def test_window_is_configurable(riscle_pharmacy, riscle_pharmacist, products, settings):
    settings.NOTIFICATIONS_ARRIVAL_WINDOW = timedelta(0)
    referenced_users(riscle_pharmacy, 1)
    arrive(riscle_pharmacist, riscle_pharmacy)
    arrive(riscle_pharmacist, riscle_pharmacy)
    assert Delivery.objects.count() == 4


def test_publication_is_queued_after_commit_only(
    riscle_pharmacy, riscle_pharmacist, products, django_capture_on_commit_callbacks
):
    referenced_users(riscle_pharmacy, 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        arrive(riscle_pharmacist, riscle_pharmacy)
    assert len(callbacks) == 1
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2


def test_arrival_is_announced_through_the_outbox_in_process_without_a_broker(
    riscle_pharmacy, riscle_pharmacist, products, django_capture_on_commit_callbacks
):
    """make run: no Redis, tasks run in-process right after commit."""
    from django.core import mail

    (user,) = referenced_users(riscle_pharmacy, 1)
    with django_capture_on_commit_callbacks(execute=True):
        arrive(riscle_pharmacist, riscle_pharmacy)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    assert Notification.objects.filter(user=user).count() == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
