"""Account e-mails go through the notifications outbox: written with the approval, delivered by
the outbox's claim and retries, exactly once (issue 11, item 3)."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AccountStatus
from notifications import delivery
from notifications.models import Delivery, DeliveryKind, DeliveryStatus
from tests.factories import professional_user
from tests.notifications import backends

pytestmark = pytest.mark.django_db


def _approval_rows(user):
    return Delivery.objects.filter(kind=DeliveryKind.ACCOUNT_APPROVED, address=user.email)


def test_an_approval_writes_one_outbox_email_in_its_transaction(administrator, occitanie):
    pending = professional_user(status=AccountStatus.PENDING)
    services.approve_account(approver=administrator, user_id=pending.pk)
    services.approve_account(approver=administrator, user_id=pending.pk)  # a double click
    (row,) = _approval_rows(pending)
    assert row.subject == "GO MASK : votre compte est validé"
    assert "vous pouvez désormais vous connecter" in row.body


def test_an_approval_that_rolls_back_leaves_no_email(administrator, occitanie):
    pending = professional_user(status=AccountStatus.PENDING)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.approve_account(approver=administrator, user_id=pending.pk)
        raise RuntimeError("the approval's transaction fails after the service")
    assert not _approval_rows(pending).exists()


def test_a_failed_smtp_send_of_the_approval_is_retried_and_delivered_exactly_once(
    administrator, occitanie, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakySmtpBackend"
    pending = professional_user(status=AccountStatus.PENDING)
    backends.refusals.clear()
    backends.refusals[pending.email] = 1
    # After commit the outbox delivers at once (in-process in the tests): the SMTP server refuses.
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_account(approver=administrator, user_id=pending.pk)
    row = _approval_rows(pending).get()
    assert (row.status, row.attempts, mail.outbox) == (DeliveryStatus.PENDING, 1, [])
    assert "SMTPRecipientsRefused" in row.last_error

    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):  # published once the relay commits
        assert delivery.relay() == 1  # the relay republishes the due retry
    delivery.deliver_many([row.pk])  # a retried task, a second worker: nothing more is sent
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert [message.to for message in mail.outbox] == [[pending.email]]
    assert mail.outbox[0].subject == "GO MASK : votre compte est validé"


def test_approving_a_pharmacist_membership_also_writes_the_email_once(riscle_pharmacy, administrator):
    from pharmacies.models import MembershipStatus
    from pharmacies.services import approve_membership
    from tests.factories import MembershipFactory, UserFactory

    newcomer = UserFactory(role="pharmacist", status=AccountStatus.PENDING)
    membership = MembershipFactory(user=newcomer, pharmacy=riscle_pharmacy, status=MembershipStatus.PENDING)
    approve_membership(approver=administrator, membership_id=membership.pk)
    approve_membership(approver=administrator, membership_id=membership.pk)
    assert _approval_rows(newcomer).count() == 1


# --- allauth's own e-mails (verification, password reset) take the same outbox ----------------


def _account_mail_rows(address):
    return Delivery.objects.filter(kind=DeliveryKind.ACCOUNT_MESSAGE, address=address)


def test_a_failed_smtp_send_of_a_password_reset_is_retried_delivered_once_and_its_link_works(
    client, occitanie, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FlakySmtpBackend"
    person = professional_user()
    backends.refusals.clear()
    backends.refusals[person.email] = 1
    # The reset request writes one outbox row; after commit the outbox tries at once: refused.
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(reverse("account_reset_password"), {"email": person.email})
    assert asked.status_code == 302
    row = _account_mail_rows(person.email).get()
    assert (row.status, row.attempts, mail.outbox) == (DeliveryStatus.PENDING, 1, [])
    assert "SMTPRecipientsRefused" in row.last_error
    assert "/password/reset/key/" in row.body  # kept for the retry...

    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):  # published once the relay commits
        assert delivery.relay() == 1  # the relay republishes the due retry, which is delivered
    delivery.deliver_many([row.pk])  # a retried task, a second worker: nothing more is sent
    assert delivery.relay() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert row.body == ""  # ...and wiped once delivered: the table holds no working reset link
    (sent,) = mail.outbox
    assert sent.to == [person.email] and sent.subject == row.subject

    # The link in the delivered e-mail resets the password, end to end.
    link = re.search(r"https?://\S+/password/reset/key/\S+", sent.body).group(0)
    form_page = client.get(urlsplit(link).path, follow=True)
    assert form_page.status_code == 200
    new_password = "Un-nouveau-mot-de-passe-2026"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else urlsplit(link).path,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302 and done["Location"] == reverse("account_reset_password_from_key_done")
    person.refresh_from_db()
    assert person.check_password(new_password)
    # The link is used up: opening it again does not offer the form any more.
    again = client.get(urlsplit(link).path, follow=True)
    assert b'name="password1"' not in again.content


def test_an_address_verification_email_is_written_to_the_outbox_not_sent_directly(rf, occitanie, mailoutbox):
    from allauth.account.models import EmailAddress
    from allauth.core.context import request_context

    person = professional_user()
    address = EmailAddress.objects.create(user=person, email="nouvelle.adresse@exemple.fr")
    request = rf.get("/")
    request.user = person
    with request_context(request):
        address.send_confirmation(request)
    (row,) = _account_mail_rows("nouvelle.adresse@exemple.fr")
    assert row.status == DeliveryStatus.PENDING and "/accounts/confirm-email/" in row.body
    assert mailoutbox == []  # only the outbox sends it, once its transaction commits
