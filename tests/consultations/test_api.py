"""The public API: slot search and booking, through the same services, in the OpenAPI schema."""

import pytest
from django.urls import reverse

from consultations.models import Booking, BookingStatus
from tests.consultations.conftest import patient

pytestmark = pytest.mark.django_db


def _payload(slot, **overrides):
    data = patient(**overrides)
    data["slot"] = slot.pk
    data["commune"] = data.pop("commune_code")
    data["birth_date"] = data["birth_date"].isoformat()
    return data


def test_anyone_finds_the_nearest_sites_by_postal_code_with_their_next_slots(client, slots, marciac_site):
    response = client.get(reverse("api-consultations-sites"), {"q": "32400"})
    assert response.status_code == 200
    results = response.json()
    assert [r["name"] for r in results] == ["Cabinet médical de Riscle", "Cabinet médical de Marciac"]
    assert results[0]["distance_km"] < results[1]["distance_km"]
    assert results[0]["free_slots"] == len(slots) and len(results[0]["next_slots"]) == 3
    assert results[1]["free_slots"] == 0


@pytest.mark.parametrize("query", ["", "00000", "Xyzzyville"])
def test_an_unknown_commune_is_a_400_in_french(client, occitanie, query):
    response = client.get(reverse("api-consultations-sites"), {"q": query})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" or "commune" in response.json()["message"].lower()


def test_anyone_books_through_the_api_and_gets_a_signed_reference(
    client, slots, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-consultations-book"), _payload(slots[0]), content_type="application/json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "booked" and body["slot"]["id"] == slots[0].pk
    assert body["token"] in body["cancel_url"]
    assert len(mailoutbox) == 1
    cancelled = client.post(
        reverse("api-consultations-cancel"), {"token": body["token"]}, content_type="application/json"
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"phone": "123"}, 400, "invalid_phone"),
        ({"email": "x@"}, 400, "invalid_email"),
        ({"slot": 0}, 400, "invalid"),
        ({"slot": -5}, 400, "invalid"),
        ({"slot": 1.5}, 400, "invalid"),
        ({"slot": "abc"}, 400, "invalid"),
        ({"slot": 99999999}, 404, "slot_not_found"),
        ({"birth_date": "2999-01-01"}, 400, "birth_date_in_future"),
        ({"commune": "ZZZZZ"}, 400, "invalid_commune"),
    ],
)
def test_bad_booking_requests_get_the_right_status_and_nothing_is_written(
    client, slots, overrides, status, code
):
    data = _payload(slots[0])
    data.update(overrides)
    response = client.post(reverse("api-consultations-book"), data, content_type="application/json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Booking.objects.exists()


def test_a_taken_slot_is_a_409_slot_taken(client, slots):
    url = reverse("api-consultations-book")
    assert client.post(url, _payload(slots[0]), content_type="application/json").status_code == 201
    again = client.post(
        url,
        _payload(slots[0], email="b@exemple.fr", phone="0611111111", first_name="Luc"),
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "slot_taken"
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 1


def test_a_rush_loser_is_answered_409_before_any_sql(client, slots, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("api-consultations-book")
    with django_capture_on_commit_callbacks(execute=True):  # the winner's commit leaves the marker
        assert client.post(url, _payload(slots[0]), content_type="application/json").status_code == 201
    loser = _payload(slots[0], email="b@exemple.fr", phone="0611111111", first_name="Luc")
    with CaptureQueriesContext(connection) as queries:
        answer = client.post(url, loser, content_type="application/json")
    assert answer.status_code == 409 and answer.json()["code"] == "slot_taken"
    assert queries.captured_queries == []  # not even the commune's lookup
    # The holder herself still gets her booking back (200), past the marker.
    assert client.post(url, _payload(slots[0]), content_type="application/json").status_code == 200


def test_a_tampered_token_is_refused_by_the_cancel_endpoint(client, slots):
    body = client.post(
        reverse("api-consultations-book"), _payload(slots[0]), content_type="application/json"
    ).json()
    response = client.post(
        reverse("api-consultations-cancel"), {"token": body["token"] + "0"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_link"


def test_booking_through_the_api_is_rate_limited_on_valid_requests_only(client, slots, settings):
    settings.BOOKING_RATE_LIMIT = 1
    url = reverse("api-consultations-book")
    for invalid in [{}, _payload(slots[0], phone="12345")]:
        response = client.post(url, invalid, content_type="application/json", REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 400
    first = client.post(url, _payload(slots[0]), content_type="application/json", REMOTE_ADDR="10.1.1.1")
    assert first.status_code == 201
    other = _payload(slots[1], first_name="Paul", email="paul@exemple.fr", phone="0622334455")
    refused = client.post(url, other, content_type="application/json", REMOTE_ADDR="10.1.1.1")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"


def test_the_same_patient_booking_the_same_slot_again_through_the_api_gets_it_back(client, slots):
    url = reverse("api-consultations-book")
    first = client.post(url, _payload(slots[0]), content_type="application/json")
    again = client.post(url, _payload(slots[0]), content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Booking.objects.count() == 1


def test_the_openapi_schema_lists_the_consultation_endpoints(client, occitanie):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    for path in [
        "/api/consultations/sites/",
        "/api/consultations/bookings/",
        "/api/consultations/bookings/cancel/",
    ]:
        assert path in schema["paths"]
    assert "201" in schema["paths"]["/api/consultations/bookings/"]["post"]["responses"]


def test_the_booking_api_takes_the_commune_as_patients_write_it(client, slots):
    url = reverse("api-consultations-book")
    shared = client.post(url, _payload(slots[0], commune_code="32400"), content_type="application/json")
    # 32400 is shared by several communes: the answer names them, nothing is booked.
    assert shared.status_code == 400 and shared.json()["code"] == "invalid_commune"
    assert "Riscle (32400)" in shared.json()["message"]
    assert not Booking.objects.exists()

    chosen = client.post(
        url, _payload(slots[0], commune_code="Riscle (32400)"), content_type="application/json"
    )
    assert chosen.status_code == 201
    booking = Booking.objects.get()
    assert booking.commune.insee_code == "32344" and booking.lives_in_zone
