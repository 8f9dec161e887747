""" "Tell me when a slot opens": alerts left by patients (no account), told once through the outbox.

An alert (`WaitingListEntry`) is an e-mail address or a mobile number, for one site or for a
place (a commune, typed as a postal code or a name: the sites within SLOT_ALERT_RADIUS_KM of
it). When a booked slot is cancelled, or a mission's slots are published, the pending alerts of
that site are claimed one by one (a conditional UPDATE on `notified_at`, in the transaction
that writes the outbox row), so two cancellations at the same second never tell anyone twice;
the delivery key (`waiting:<id>:notice`) is the second guard. Unsubscribing, through the signed
link of every message, deletes the alert.

Leaving an alert needs no confirmation (no double opt-in) but is limited: SLOT_ALERT_RATE_LIMIT
per client address per window, SLOT_ALERT_MAX_PER_CONTACT pending alerts per address or number,
one pending alert per contact and site (or commune), enforced by unique constraints.
"""

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations import emails
from consultations.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    Mission,
    MissionStatus,
    Site,
    Slot,
    WaitingListEntry,
)
from consultations.services.limits import check_rate
from consultations.services.patients import clean_email
from gomask import phones
from gomask.errors import Conflict, InvalidInput, NotFound
from notifications.models import Delivery, DeliveryKind, DeliveryStatus
from notifications.services import queue_sms
from territories.geo import haversine_km

UNSUBSCRIBE_SALT = "consultations.slot-alert"


# --- Signed unsubscribe links -------------------------------------------------------------


def unsubscribe_token(entry: WaitingListEntry) -> str:
    return signing.dumps(entry.pk, salt=UNSUBSCRIBE_SALT, compress=False)


def unsubscribe_url(entry: WaitingListEntry) -> str:
    return settings.SITE_URL + reverse("consultations:alert_unsubscribe", args=[unsubscribe_token(entry)])


def read_unsubscribe_token(token: str) -> int:
    try:
        value = signing.loads(token or "", salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidInput(_BAD_LINK, code="bad_unsubscribe_token") from exc
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(_BAD_LINK, code="bad_unsubscribe_token")
    return value


_BAD_LINK = _("Ce lien de désinscription n'est pas valide ou a été modifié : aucun changement n'a été fait.")


def unsubscribe(*, token: str) -> bool:
    """One click: delete the alert (and drop its messages not sent yet). False if it was
    already gone (unsubscribed before, or purged): the same answer, nothing to do."""
    entry_id = read_unsubscribe_token(token)
    with transaction.atomic():
        deleted, _detail = WaitingListEntry.objects.filter(pk=entry_id).delete()
        Delivery.objects.filter(
            delivery_key__startswith=f"waiting:{entry_id}:", status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.SKIPPED, last_error="unsubscribed", updated_at=timezone.now())
    return bool(deleted)


# --- Leaving an alert ----------------------------------------------------------------------


def _contact(email: str, phone: str) -> tuple[str, str]:
    email, phone = (email or "").strip(), (phone or "").strip()
    if email and phone:
        raise InvalidInput(
            _("Indiquez soit une adresse e-mail, soit un numéro de mobile, pas les deux."),
            code="alert_one_contact",
            field="email",
        )
    if not email and not phone:
        raise InvalidInput(
            _("Indiquez une adresse e-mail ou un numéro de mobile pour être prévenu."),
            code="alert_contact_required",
            field="email",
        )
    if email:
        return clean_email(email), ""
    phone = phones.clean_phone(phone)
    if not phones.is_mobile(phone):
        raise InvalidInput(
            _("Ce numéro n'est pas un mobile : l'alerte est envoyée par SMS."),
            code="phone_not_mobile",
            field="phone",
        )
    return "", phone


def join_waiting_list(
    *,
    site_id: int | None = None,
    commune=None,
    email: str = "",
    phone: str = "",
    rate_limit_key: str | None = None,
    now: datetime | None = None,
) -> WaitingListEntry:
    """Anyone: be told once, by e-mail or SMS, when a slot opens at a site or near a commune."""
    now = now or timezone.now()
    email, phone = _contact(email, phone)
    if (site_id is None) == (commune is None):
        raise InvalidInput(_("Choisissez un lieu ou une commune."), code="alert_target")
    site = None
    if site_id is not None:
        if not isinstance(site_id, int) or isinstance(site_id, bool):
            raise NotFound(_("Ce lieu de consultation n'existe pas."), code="site_not_found")
        site = Site.objects.filter(pk=site_id, is_active=True).first()
        if site is None:
            raise NotFound(_("Ce lieu de consultation n'existe pas."), code="site_not_found")
    if rate_limit_key is not None:
        check_rate(
            scope="slot-alert",
            client_key=rate_limit_key,
            limit=settings.SLOT_ALERT_RATE_LIMIT,
            window=settings.SLOT_ALERT_RATE_WINDOW_SECONDS,
            now=now,
        )
    pending = WaitingListEntry.objects.filter(notified_at__isnull=True, email=email, phone=phone)
    if pending.count() >= settings.SLOT_ALERT_MAX_PER_CONTACT:
        raise Conflict(
            _("Vous avez déjà %(count)s alertes en attente : c'est le maximum.")
            % {"count": settings.SLOT_ALERT_MAX_PER_CONTACT},
            code="too_many_alerts",
        )
    try:
        with transaction.atomic():
            entry = WaitingListEntry.objects.create(site=site, commune=commune, email=email, phone=phone)
            if email:
                emails.queue_waiting_list_joined(entry, unsubscribe_url=unsubscribe_url(entry))
            return entry
    except IntegrityError as exc:
        raise Conflict(
            _("Vous êtes déjà inscrit pour ce lieu : vous serez prévenu une fois."), code="already_waiting"
        ) from exc


# --- Telling them ----------------------------------------------------------------------------


def _pending_for_site(site: Site) -> list[int]:
    """Ids of the pending alerts that cover `site`: its own, and those of communes nearby."""
    ids = list(
        WaitingListEntry.objects.filter(site=site, notified_at__isnull=True).values_list("pk", flat=True)
    )
    radius = settings.SLOT_ALERT_RADIUS_KM
    for entry_id, lat, lng in WaitingListEntry.objects.filter(
        commune__isnull=False, notified_at__isnull=True
    ).values_list("pk", "commune__latitude", "commune__longitude"):
        if lat is not None and haversine_km(lat, lng, site.latitude, site.longitude) <= radius:
            ids.append(entry_id)
    return sorted(ids)


def _claim(entry_id: int, *, now: datetime) -> bool:
    """Exactly one caller changes the row, whatever runs at the same time."""
    return WaitingListEntry.objects.filter(pk=entry_id, notified_at__isnull=True).update(notified_at=now) == 1


def _tell(entry_ids: list[int], *, site: Site, slot: Slot | None, now: datetime) -> int:
    told = 0
    for entry_id in entry_ids:
        with transaction.atomic():
            if not _claim(entry_id, now=now):
                continue
            entry = WaitingListEntry.objects.get(pk=entry_id)
            link = unsubscribe_url(entry)
            if entry.email:
                emails.queue_waiting_list_notice(entry, site=site, slot=slot, unsubscribe_url=link)
            else:
                queue_sms(
                    delivery_key=f"waiting:{entry.pk}:notice",
                    kind=DeliveryKind.WAITING_LIST_NOTICE,
                    address=entry.phone,
                    text=emails.alert_sms_text(site=site, slot=slot),
                    url=reverse("consultations:site_detail", args=[site.pk]),
                )
            told += 1
    return told


def notify_waiting_list(*, slot_id: int, now: datetime | None = None) -> int:
    """A slot freed up (a cancellation): tell each pending alert of its site, once each."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("mission__site__commune").filter(pk=slot_id).first()
    if (
        slot is None
        or slot.starts_at <= now
        or slot.mission.status != MissionStatus.PUBLISHED
        or Booking.objects.filter(slot=slot, status__in=ACTIVE_BOOKING_STATUSES).exists()
    ):
        return 0
    site = slot.mission.site
    return _tell(_pending_for_site(site), site=site, slot=slot, now=now)


def notify_published(*, mission_id: int, now: datetime | None = None) -> int:
    """A mission's slots were published: tell the pending alerts of its site, once each."""
    now = now or timezone.now()
    mission = Mission.objects.select_related("site__commune").filter(pk=mission_id).first()
    if mission is None or mission.status != MissionStatus.PUBLISHED:
        return 0
    first = (
        Slot.objects.filter(mission=mission, starts_at__gt=now)
        .exclude(Q(bookings__status__in=ACTIVE_BOOKING_STATUSES))
        .order_by("starts_at")
        .first()
    )
    if first is None:
        return 0
    return _tell(_pending_for_site(mission.site), site=mission.site, slot=first, now=now)
