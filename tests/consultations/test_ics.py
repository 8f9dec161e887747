from datetime import UTC, datetime

from consultations.ics import consultation_ics


def test_the_ics_file_holds_one_event_in_utc_with_escaped_and_folded_lines():
    text = consultation_ics(
        uid="abc@gomask",
        starts_at=datetime(2026, 10, 13, 7, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 13, 7, 20, tzinfo=UTC),
        summary="Consultation, Riscle; cabinet",
        location="Cabinet médical de Riscle, " + "très long " * 10,
        description="Ligne 1\nLigne 2",
        stamp=datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261013T070000Z\r\n" in text and "DTEND:20261013T072000Z\r\n" in text
    assert "SUMMARY:Consultation\\, Riscle\\; cabinet" in text
    assert "DESCRIPTION:Ligne 1\\nLigne 2" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\r\n " in text


def test_a_cancelled_event_says_so():
    text = consultation_ics(
        uid="x",
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 1, 1, 1, tzinfo=UTC),
        summary="s",
        location="l",
        description="d",
        stamp=datetime(2026, 1, 1, tzinfo=UTC),
        cancelled=True,
    )
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text
