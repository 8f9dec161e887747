"""A minimal iCalendar (RFC 5545) file for one consultation, without a dependency."""

from datetime import UTC, datetime


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, continuation lines starting with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        limit = 75 if not parts else 74
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def consultation_ics(
    *,
    uid: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str,
    description: str,
    stamp: datetime,
    organizer_email: str,
    organizer_name: str = "",
    attendee_email: str = "",
    cancelled: bool = False,
) -> str:
    """Return the text of a .ics file (CRLF line endings) holding one event.

    A cancellation (RFC 5546 CANCEL) carries the same UID, the organizer, the attendee and a
    higher SEQUENCE than the confirmation, which is what calendar apps need to remove the
    event they added from the confirmation.
    """
    organizer = (
        f"ORGANIZER;CN={_param(organizer_name)}:mailto:{organizer_email}"
        if organizer_name
        else (f"ORGANIZER:mailto:{organizer_email}")
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//GO MASK//Consultations solidaires//FR",
        "CALSCALE:GREGORIAN",
        f"METHOD:{ics_method(cancelled=cancelled)}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{1 if cancelled else 0}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(starts_at)}",
        f"DTEND:{_utc(ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
        organizer,
    ]
    if attendee_email:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{attendee_email}")
    lines += [
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def ics_method(*, cancelled: bool) -> str:
    return "CANCEL" if cancelled else "PUBLISH"


def ics_content_type(*, cancelled: bool) -> str:
    """The MIME type of the file, with the method calendar apps read to act on it."""
    return f"text/calendar; method={ics_method(cancelled=cancelled)}"


def _param(text: str) -> str:
    """A parameter value (e.g. CN): quoted, without the characters a quoted value cannot hold."""
    return '"' + str(text).replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'
