"""Messages about a person's account, written into the outbox (claim, retry, exactly once)."""

import uuid

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.models import DeliveryKind
from notifications.services import queue_email


def record_account_approval(*, user) -> int | None:
    """The e-mail telling a person their account is approved: one outbox row, in the approval's
    transaction (registered on accounts.hooks by NotificationsConfig.ready)."""
    if not user.email:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("GO MASK : votre compte est validé")
        body = _(
            "Bonjour %(name)s,\n\nVotre compte GO MASK est validé : vous pouvez désormais vous "
            "connecter et agir sur le portail.\n\n%(url)s\n"
        ) % {"name": user.get_full_name() or user.email, "url": settings.SITE_URL + reverse("account_login")}
    return queue_email(
        delivery_key=f"account-approved:{user.pk}",
        kind=DeliveryKind.ACCOUNT_APPROVED,
        address=user.email,
        subject=subject,
        body=body,
    )


def record_account_mail(*, address: str, subject: str, body: str, template: str) -> int | None:
    """One of allauth's e-mails (rendered by `accounts.adapters.AccountAdapter.send_mail`): one
    outbox row per e-mail asked for (registered on accounts.hooks by NotificationsConfig.ready).

    Each request is its own event (a second password reset is a second e-mail), hence a fresh
    key; the outbox's claim makes each one delivered once, however often its task runs."""
    name = template.rsplit("/", 1)[-1][:40]
    return queue_email(
        delivery_key=f"account-mail:{name}:{uuid.uuid4().hex}",
        kind=DeliveryKind.ACCOUNT_MESSAGE,
        address=address,
        subject=subject,
        body=body,
    )
