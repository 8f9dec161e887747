"""The e-mails sent to patients (plain text, French), with a calendar file where it helps.

None is sent from here: each function writes one outbox row (notifications.Delivery) in the
caller's transaction, next to the booking change it announces; the notifications delivery
machinery claims, sends, retries and recovers it. The delivery key makes each message once
per event.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.ics import consultation_ics, ics_content_type
from notifications.models import DeliveryKind
from notifications.services import queue_email

ICS_FILENAME = "consultation.ics"


def _links(token: str) -> dict:
    return {
        "booking_url": settings.SITE_URL + reverse("consultations:booking_detail", args=[token]),
        "cancel_url": settings.SITE_URL + reverse("consultations:cancel", args=[token]),
        "ics_url": settings.SITE_URL + reverse("consultations:booking_ics", args=[token]),
    }


def _site_location(site) -> str:
    return f"{site.name}, {site.address}, {site.commune.name}"


def _organizer_email() -> str:
    """The bare address of DEFAULT_FROM_EMAIL ("GO MASK <x@y>" gives x@y)."""
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("<", 1)[-1].rstrip(">").strip() if "<" in sender else sender.strip()


def booking_ics(booking, *, now, cancelled: bool = False) -> str:
    site = booking.slot.mission.site
    return consultation_ics(
        uid=f"{booking.public_id}@gomask",
        starts_at=booking.slot.starts_at,
        ends_at=booking.slot.ends_at,
        summary=_("Consultation médicale solidaire – %(site)s") % {"site": site.name},
        location=_site_location(site),
        description=_("Consultation facturée sans dépassement d'honoraires. Présentez votre carte Vitale."),
        stamp=now,
        organizer_email=_organizer_email(),
        organizer_name=site.name,
        attendee_email=booking.email,
        cancelled=cancelled,
    )


def _ics_attachment(booking, *, now, cancelled: bool = False) -> dict:
    return {
        "filename": ICS_FILENAME,
        "content": booking_ics(booking, now=now, cancelled=cancelled),
        "mimetype": ics_content_type(cancelled=cancelled),
    }


def _context(booking, token: str | None = None) -> dict:
    context = {
        "booking": booking,
        "site": booking.slot.mission.site,
        "starts_at": timezone.localtime(booking.slot.starts_at),
    }
    if token:
        context.update(_links(token))
    return context


def _when(booking) -> str:
    return timezone.localtime(booking.slot.starts_at).strftime(_("%d/%m/%Y à %H:%M"))


def queue_confirmation(booking, *, token: str, now) -> int | None:
    return queue_email(
        delivery_key=f"booking:{booking.public_id}:confirmation",
        kind=DeliveryKind.BOOKING_CONFIRMATION,
        address=booking.email,
        subject=_("Votre consultation solidaire du %(date)s") % {"date": _when(booking)},
        body=render_to_string("consultations/email/confirmation.txt", _context(booking, token)),
        attachments=[_ics_attachment(booking, now=now)],
    )


def queue_reminder(booking, *, token: str, now) -> int | None:
    return queue_email(
        delivery_key=f"booking:{booking.public_id}:reminder",
        kind=DeliveryKind.BOOKING_REMINDER,
        address=booking.email,
        subject=_("Rappel : votre consultation solidaire demain à %(time)s")
        % {"time": timezone.localtime(booking.slot.starts_at).strftime("%H:%M")},
        body=render_to_string("consultations/email/reminder.txt", _context(booking, token)),
        attachments=[_ics_attachment(booking, now=now)],
    )


def queue_cancellation(booking, *, now, by_site: bool) -> int | None:
    """The patient cancelled, or the mission was cancelled: say so, and remove the calendar event."""
    template = "cancelled_by_site.txt" if by_site else "cancelled_by_patient.txt"
    return queue_email(
        delivery_key=f"booking:{booking.public_id}:cancelled",
        kind=DeliveryKind.BOOKING_CANCELLED,
        address=booking.email,
        subject=_("Votre consultation solidaire du %(date)s est annulée") % {"date": _when(booking)},
        body=render_to_string(
            f"consultations/email/{template}",
            {
                **_context(booking),
                "search_url": settings.SITE_URL + reverse("consultations:patient_home"),
            },
        ),
        attachments=[_ics_attachment(booking, now=now, cancelled=True)],
    )


def _alert_target(entry) -> str:
    if entry.site_id:
        return _("%(site)s (%(commune)s)") % {"site": entry.site.name, "commune": entry.site.commune.name}
    return _("les lieux de consultation à moins de %(km)s km de %(commune)s") % {
        "km": settings.SLOT_ALERT_RADIUS_KM,
        "commune": entry.commune.name,
    }


def queue_waiting_list_joined(entry, *, unsubscribe_url: str) -> int | None:
    """The alert is recorded (e-mail alerts only: no SMS is spent on a confirmation)."""
    return queue_email(
        delivery_key=f"waiting:{entry.pk}:joined",
        kind=DeliveryKind.WAITING_LIST_JOINED,
        address=entry.email,
        subject=_("Alerte créneau enregistrée"),
        body=render_to_string(
            "consultations/email/waiting_list_joined.txt",
            {
                "target": _alert_target(entry),
                "search_url": settings.SITE_URL + reverse("consultations:patient_home"),
                "unsubscribe_url": unsubscribe_url,
            },
        ),
    )


def queue_waiting_list_notice(entry, *, site, slot, unsubscribe_url: str) -> int | None:
    return queue_email(
        delivery_key=f"waiting:{entry.pk}:notice",
        kind=DeliveryKind.WAITING_LIST_NOTICE,
        address=entry.email,
        subject=_("Un créneau s'est ouvert : %(site)s") % {"site": site.name},
        body=render_to_string(
            "consultations/email/waiting_list.txt",
            {
                "site": site,
                "starts_at": timezone.localtime(slot.starts_at) if slot else None,
                "site_url": settings.SITE_URL + reverse("consultations:site_detail", args=[site.pk]),
                "unsubscribe_url": unsubscribe_url,
            },
        ),
    )


def alert_sms_text(*, site, slot) -> str:
    """The SMS of an alert (the delivery appends the site's link)."""
    if slot is None:
        return _("GO MASK : un créneau de consultation s'est ouvert à %(site)s.") % {"site": site.name}
    return _(
        "GO MASK : créneau de consultation libre le %(date)s, %(site)s. Premier arrivé, premier servi :"
    ) % {
        "date": timezone.localtime(slot.starts_at).strftime(str(_("%d/%m à %H:%M"))),
        "site": site.name,
    }
