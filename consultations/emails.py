"""The e-mails sent to patients (plain text, French), with the .ics attached."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.ics import consultation_ics


def _links(token: str) -> dict:
    return {
        "booking_url": settings.SITE_URL + reverse("consultations:booking_detail", args=[token]),
        "cancel_url": settings.SITE_URL + reverse("consultations:cancel", args=[token]),
    }


def _site_location(site) -> str:
    return f"{site.name}, {site.address}, {site.commune.name}"


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
        cancelled=cancelled,
    )


def _context(booking, token: str | None = None) -> dict:
    context = {
        "booking": booking,
        "site": booking.slot.mission.site,
        "starts_at": timezone.localtime(booking.slot.starts_at),
    }
    if token:
        context.update(_links(token))
    return context


def send_confirmation(booking, *, token: str, now) -> None:
    message = EmailMessage(
        subject=_("Votre consultation solidaire du %(date)s")
        % {"date": timezone.localtime(booking.slot.starts_at).strftime(_("%d/%m/%Y à %H:%M"))},
        body=render_to_string("consultations/email/confirmation.txt", _context(booking, token)),
        to=[booking.email],
    )
    message.attach("consultation.ics", booking_ics(booking, now=now), "text/calendar")
    message.send()


def send_reminder(booking, *, token: str, now) -> None:
    message = EmailMessage(
        subject=_("Rappel : votre consultation solidaire demain à %(time)s")
        % {"time": timezone.localtime(booking.slot.starts_at).strftime("%H:%M")},
        body=render_to_string("consultations/email/reminder.txt", _context(booking, token)),
        to=[booking.email],
    )
    message.attach("consultation.ics", booking_ics(booking, now=now), "text/calendar")
    message.send()


def send_cancelled_by_site(booking) -> None:
    message = EmailMessage(
        subject=_("Votre consultation solidaire est annulée"),
        body=render_to_string("consultations/email/cancelled_by_site.txt", _context(booking)),
        to=[booking.email],
    )
    message.attach(
        "consultation.ics", booking_ics(booking, now=timezone.now(), cancelled=True), "text/calendar"
    )
    message.send()


def send_waiting_list_notice(entry, *, slot) -> None:
    site = slot.mission.site
    body = render_to_string(
        "consultations/email/waiting_list.txt",
        {
            "site": site,
            "starts_at": timezone.localtime(slot.starts_at),
            "site_url": settings.SITE_URL + reverse("consultations:site_detail", args=[site.pk]),
        },
    )
    EmailMessage(
        subject=_("Un créneau s'est libéré : %(site)s") % {"site": site.name}, body=body, to=[entry.email]
    ).send()
