"""The waiting room in front of booking: first come, first served, admission at a set rate."""

import threading
import time
from collections import Counter

import pytest
from django.test import override_settings
from django.urls import reverse

from consultations import waiting_room
from consultations.models import Booking
from tests.consultations.conftest import RISCLE

T0 = 1_800_000_000.0

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(settings):
    settings.WAITING_ROOM_ENABLED = True
    settings.WAITING_ROOM_RATE = 10
    settings.WAITING_ROOM_BURST = 0
    settings.WAITING_ROOM_ADMISSION_SECONDS = 300
    waiting_room.reset()
    yield settings
    waiting_room.reset()


def test_tickets_wait_in_arrival_order_and_are_admitted_at_the_set_rate(room):
    tickets = [waiting_room.place(now=T0) for _ in range(5)]
    assert [t.ticket for t in tickets] == [1, 2, 3, 4, 5]
    assert [t.position for t in tickets] == [1, 2, 3, 4, 5]
    assert not any(t.admitted for t in tickets)
    # 10 per second: after 0.25 s, tickets 1 and 2 (cursor 2.5) are in; 3 is next.
    assert [waiting_room.place(n, now=T0 + 0.25).admitted for n in (1, 2, 3)] == [True, True, False]
    assert waiting_room.place(3, now=T0 + 0.25).position == 1
    assert waiting_room.place(5, now=T0 + 0.5).admitted


def test_outside_a_rush_the_burst_goes_straight_through(room):
    room.WAITING_ROOM_BURST = 3
    first = [waiting_room.place(now=T0) for _ in range(4)]
    assert [p.admitted for p in first] == [True, True, True, False]  # a fresh room: the burst
    later = [waiting_room.place(now=T0 + 100) for _ in range(4)]
    # After an idle spell the cursor runs at most BURST ahead of the last ticket.
    assert [p.admitted for p in later] == [True, True, True, False]
    assert later[3].position == 1


def test_an_admitted_ticket_expires_and_goes_to_the_back(room):
    ticket = waiting_room.place(now=T0).ticket
    assert waiting_room.place(ticket, now=T0 + 1).admitted
    assert waiting_room.place(ticket, now=T0 + 200).admitted  # within the window
    again = waiting_room.place(ticket, now=T0 + 1 + 301)
    assert again.expired and again.ticket != ticket


def test_while_the_server_is_full_the_cursor_stands_still_then_admits_again(room):
    """Admitted requests in progress hold the queue: a crowd that reaches the room no faster
    than the server answers still gets places, not admissions, until the server has room."""
    room.WAITING_ROOM_CONCURRENCY = 2
    waiting = waiting_room.place(now=T0).ticket  # ticket 1 waits (no burst)
    # Two admitted requests in progress (listed as a worker's would be): the server is full.
    waiting_room._client().zadd(waiting_room._keys()[4], {"busy-a": T0, "busy-b": T0})
    held = waiting_room.place(waiting, now=T0 + 1)
    assert not held.admitted and held.position == 1  # 1 s at 10/s, but no admission while full
    waiting_room.finished("busy-a")
    assert waiting_room.place(waiting, now=T0 + 1.2).admitted  # room again: 0.2 s at 10/s


def test_negative_control_without_requests_in_progress_the_same_wait_admits(room):
    room.WAITING_ROOM_CONCURRENCY = 2
    waiting = waiting_room.place(now=T0).ticket
    assert waiting_room.place(waiting, now=T0 + 1).admitted


def test_a_request_in_progress_too_long_ago_no_longer_holds_the_queue(room):
    """A worker killed mid-request never says it finished: its entry goes stale."""
    room.WAITING_ROOM_CONCURRENCY = 1
    waiting = waiting_room.place(now=T0).ticket
    waiting_room._client().zadd(waiting_room._keys()[4], {"killed": T0})
    assert not waiting_room.place(waiting, now=T0 + 1).admitted
    later = T0 + waiting_room.STALE_SECONDS + 1
    assert waiting_room.place(waiting, now=later).admitted


def _in_progress() -> int:
    return waiting_room._client().zcard(waiting_room._keys()[4])


def test_an_admitted_request_is_in_progress_while_served_and_not_after(client, room, slots, monkeypatch):
    room.WAITING_ROOM_BURST = 5
    seen = []
    from consultations import api

    book_slot = api.services.book_slot

    def watching(**kwargs):
        seen.append(_in_progress())
        return book_slot(**kwargs)

    monkeypatch.setattr(api.services, "book_slot", watching)
    response = client.post(
        reverse("api-consultations-book"), api_payload(slots[0]), content_type="application/json"
    )
    assert response.status_code == 201
    assert seen == [1] and _in_progress() == 0


def test_a_request_that_fails_is_not_left_in_progress(client, room, slots, monkeypatch):
    room.WAITING_ROOM_BURST = 5
    from consultations import api

    def failing(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api.services, "book_slot", failing)
    client.raise_request_exception = False
    response = client.post(
        reverse("api-consultations-book"), api_payload(slots[0]), content_type="application/json"
    )
    assert response.status_code == 500
    assert _in_progress() == 0


# Named ids: a signed token carries its signing time, and parallel workers (pytest-xdist) must
# collect the same test names.
@pytest.mark.parametrize(
    "token",
    ["", "abc", "1:forged", "x" * 500, waiting_room.sign(0)],
    ids=["empty", "unsigned", "forged", "too-long", "ticket-zero"],
)
def test_forged_or_malformed_tickets_are_not_read(token):
    assert waiting_room.unsign(token) is None


def test_a_signed_ticket_is_read_back():
    assert waiting_room.unsign(waiting_room.sign(42)) == 42


@pytest.mark.concurrency
def test_concurrent_arrivals_get_distinct_consecutive_tickets_and_are_admitted_in_order(room):
    count = 40
    barrier = threading.Barrier(count)
    taken: list[int] = []
    lock = threading.Lock()

    def arrive():
        barrier.wait()
        found = waiting_room.place(now=T0)
        with lock:
            taken.append(found.ticket)

    threads = [threading.Thread(target=arrive) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(1, count + 1))
    # 1.5 s at 10/s: exactly the first 15 tickets, whoever asks first.
    admitted = [n for n in reversed(range(1, count + 1)) if waiting_room.place(n, now=T0 + 1.5).admitted]
    assert sorted(admitted) == list(range(1, 16))


@pytest.mark.concurrency
def test_negative_control_a_read_then_write_counter_hands_out_the_same_ticket_twice():
    """Without the atomic script (GET then SET), simultaneous arrivals share numbers."""
    from django.core.cache import cache

    cache.set("naive-ticket", 0)
    count = 20
    barrier = threading.Barrier(count)
    taken: list[int] = []

    def arrive():
        barrier.wait()
        number = cache.get("naive-ticket") + 1
        barrier_pause.wait()
        cache.set("naive-ticket", number)
        taken.append(number)

    barrier_pause = threading.Barrier(count)
    threads = [threading.Thread(target=arrive) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(Counter(taken).values()) > 1


# --- The gate: API and booking page -------------------------------------------------------


def api_payload(slot) -> dict:
    return {
        "slot": slot.pk,
        "first_name": "Jeanne",
        "last_name": "Lacoste",
        "birth_date": "1950-03-14",
        "phone": "06 11 22 33 44",
        "email": "jeanne.lacoste@exemple.fr",
        "commune": RISCLE,
        "has_regular_doctor": False,
    }


def test_the_api_answers_429_with_a_ticket_and_writes_nothing_while_queued(client, room, slots):
    response = client.post(
        reverse("api-consultations-book"), api_payload(slots[0]), content_type="application/json"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "waiting_room" and body["position"] == 1 and "file d'attente" in body["message"]
    assert int(response["Retry-After"]) >= 1
    assert waiting_room.unsign(body["ticket"]) == 1
    assert not Booking.objects.exists()


def test_the_api_books_once_the_ticket_is_admitted(client, room, slots):
    room.WAITING_ROOM_RATE = 1000
    url = reverse("api-consultations-book")
    first = client.post(url, api_payload(slots[0]), content_type="application/json")
    ticket = first.json()["ticket"]
    time.sleep(0.05)
    response = client.post(
        url, api_payload(slots[0]), content_type="application/json", HTTP_X_WAITING_ROOM_TICKET=ticket
    )
    assert response.status_code == 201
    assert Booking.objects.count() == 1


def test_a_forged_ticket_only_gets_a_new_place_at_the_back(client, room, slots):
    room.WAITING_ROOM_RATE = 1
    url = reverse("api-consultations-book")
    client.post(url, api_payload(slots[0]), content_type="application/json")
    forged = client.post(
        url, api_payload(slots[0]), content_type="application/json", HTTP_X_WAITING_ROOM_TICKET="1:bad:sig"
    )
    assert forged.status_code == 429 and forged.json()["position"] == 2


def test_without_the_waiting_room_booking_goes_straight_through(client, slots, settings):
    settings.WAITING_ROOM_ENABLED = False
    response = client.post(
        reverse("api-consultations-book"), api_payload(slots[0]), content_type="application/json"
    )
    assert response.status_code == 201


def test_the_booking_page_sends_to_the_waiting_room_which_shows_the_position(client, room, slots):
    room.WAITING_ROOM_RATE = 1
    book_url = reverse("consultations:book", args=[slots[0].pk])
    response = client.get(book_url)
    assert response.status_code == 303
    assert response["Location"].startswith(reverse("consultations:waiting_room"))
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Votre position : 1" in html and 'http-equiv="refresh"' in html
    assert page["Cache-Control"] == "no-store"


def test_the_waiting_room_says_a_wait_of_seconds_is_less_than_a_minute(client, room, slots):
    room.WAITING_ROOM_RATE = 1
    for _ in range(3):  # three people ahead, about 4 s at one a second
        waiting_room.place(now=time.time())
    book_url = reverse("consultations:book", args=[slots[0].pk])
    html = client.get(client.get(book_url)["Location"]).content.decode()
    assert "Votre position : 4" in html
    assert "moins d'une minute" in html and "environ 1 minute" not in html


def test_a_wait_of_minutes_is_said_in_minutes(client, room, slots):
    room.WAITING_ROOM_RATE = 1
    for _ in range(179):
        waiting_room.place(now=time.time())
    book_url = reverse("consultations:book", args=[slots[0].pk])
    html = client.get(client.get(book_url)["Location"]).content.decode()
    assert "environ 3 minutes" in html


def test_once_admitted_the_waiting_room_leads_back_to_the_booking_page(client, room, slots):
    room.WAITING_ROOM_RATE = 1000
    book_url = reverse("consultations:book", args=[slots[0].pk])
    location = client.get(book_url)["Location"]
    time.sleep(0.05)
    back = client.get(location)
    assert back.status_code == 302 and back["Location"] == book_url
    assert client.get(book_url).status_code == 200


@pytest.mark.parametrize(
    "suite",
    ["https://ailleurs.example/", "//ailleurs.example/x", "/admin/", "/consultations/creneau/1/annuler/"],
)
def test_the_waiting_room_refuses_to_lead_anywhere_but_a_booking_page(client, room, suite):
    response = client.get(reverse("consultations:waiting_room"), {"suite": suite})
    assert response.status_code == 400
    assert "pas valide" in response.content.decode()


def test_the_waiting_room_page_without_a_rush_leads_straight_on(client, slots, settings):
    settings.WAITING_ROOM_ENABLED = False
    book_url = reverse("consultations:book", args=[slots[0].pk])
    response = client.get(reverse("consultations:waiting_room"), {"suite": book_url})
    assert response.status_code == 302 and response["Location"] == book_url


@override_settings(WAITING_ROOM_ENABLED=True)
def test_when_redis_is_unreachable_the_gate_lets_booking_through(client, slots, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(waiting_room, "place", broken)
    response = client.post(
        reverse("api-consultations-book"), api_payload(slots[0]), content_type="application/json"
    )
    assert response.status_code == 201
