from datetime import UTC, datetime

import icalendar

from consultations.ics import consultation_ics, ics_content_type

EVENT = {
    "uid": "abc@gomask",
    "starts_at": datetime(2026, 10, 13, 7, 0, tzinfo=UTC),
    "ends_at": datetime(2026, 10, 13, 7, 20, tzinfo=UTC),
    "summary": "Consultation, Riscle; cabinet",
    "location": "Cabinet médical de Riscle, " + "très long " * 10,
    "description": "Ligne 1\nLigne 2",
    "stamp": datetime(2026, 10, 1, tzinfo=UTC),
    "organizer_email": "consultations@gomask.fr",
    "organizer_name": "Cabinet médical de Riscle",
    "attendee_email": "jeanne.lacoste@exemple.fr",
}


def test_the_ics_file_holds_one_event_in_utc_with_escaped_and_folded_lines():
    text = consultation_ics(**EVENT)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261013T070000Z\r\n" in text and "DTEND:20261013T072000Z\r\n" in text
    assert "SUMMARY:Consultation\\, Riscle\\; cabinet" in text
    assert "DESCRIPTION:Ligne 1\\nLigne 2" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n " in text


def test_the_ics_file_parses_with_the_icalendar_library():
    calendar = icalendar.Calendar.from_ical(consultation_ics(**EVENT))
    assert str(calendar["METHOD"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Consultation, Riscle; cabinet"
    assert str(event["DESCRIPTION"]) == "Ligne 1\nLigne 2"
    assert str(event["LOCATION"]) == EVENT["location"]
    assert event.decoded("DTSTART") == EVENT["starts_at"]
    assert str(event["ORGANIZER"]) == "mailto:consultations@gomask.fr"
    assert event["ORGANIZER"].params["CN"] == "Cabinet médical de Riscle"
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"


def test_a_cancelled_event_cancels_the_same_uid_with_a_higher_sequence():
    calendar = icalendar.Calendar.from_ical(consultation_ics(**EVENT, cancelled=True))
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "abc@gomask" and int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["ORGANIZER"]) == "mailto:consultations@gomask.fr"
    assert str(event["ATTENDEE"]) == "mailto:jeanne.lacoste@exemple.fr"
    assert ics_content_type(cancelled=True) == "text/calendar; method=CANCEL"
