"""Reading the e-mails the outbox sent (locmem backend), and a local SMTP stand-in that fails."""

import smtplib

import icalendar
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


def calendar_attachment(message):
    """(filename, its MIME `method` parameter, parsed icalendar.Calendar, text) of the message's .ics."""
    parts = [part for part in message.message().walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one calendar file expected"
    part = parts[0]
    text = part.get_payload(decode=True).decode("utf-8")
    return part.get_filename(), part.get_param("method"), icalendar.Calendar.from_ical(text), text


def event_of(calendar):
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


class FailingSmtpBackend(LocmemBackend):
    """Refuses the first `failures` messages like an SMTP server that dropped the connection,
    then accepts (into django.core.mail.outbox) like the locmem backend."""

    failures = 0
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
