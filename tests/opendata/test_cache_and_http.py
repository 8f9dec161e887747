"""Freshness, conditional requests, the cache, bad parameters and the rate limit of the feeds."""

import pytest
from django.urls import reverse
from django.utils.http import http_date

from tests.opendata.conftest import arrive

PHARMACIES = reverse("opendata:pharmacies")
CARE_SITES = reverse("opendata:care-sites")
CONSULTATIONS = reverse("opendata:consultations")
FEEDS = [PHARMACIES, CARE_SITES, CONSULTATIONS]


def riscle_surgical(response, stocked):
    rows = {row["finess"]: row for row in response.json()["data"]}
    return rows[stocked["riscle"].finess]["stock"]["surgical"]["band"]


@pytest.mark.parametrize("url", FEEDS)
@pytest.mark.parametrize("output", ["json", "csv", "geojson"])
def test_every_feed_answers_304_to_its_own_etag(client, stocked, url, output):
    first = client.get(url, {"format": output})
    assert first.status_code == 200
    assert first["ETag"].startswith('"')

    again = client.get(url, {"format": output}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_feed_answers_304_to_if_modified_since_its_last_modified(client, stocked):
    first = client.get(PHARMACIES)
    assert client.get(PHARMACIES, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get(PHARMACIES, HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200


def test_a_stock_movement_shows_once_the_refresh_interval_has_passed_and_not_before(
    client, stocked, riscle_pharmacist, clock, settings, django_assert_num_queries
):
    settings.OPENDATA_REFRESH_SECONDS = 30
    first = client.get(PHARMACIES)
    assert riscle_surgical(first, stocked) == "30-99"

    arrive(riscle_pharmacist, stocked["riscle"], "surgical", 100)
    clock.advance(29)
    with django_assert_num_queries(0):  # served from the cache: no SQL at all
        cached = client.get(PHARMACIES, HTTP_IF_NONE_MATCH=first["ETag"])
    assert cached.status_code == 304

    clock.advance(1)
    fresh = client.get(PHARMACIES, HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert riscle_surgical(fresh, stocked) == "100+"
    assert fresh["ETag"] != first["ETag"]
    assert fresh["Last-Modified"] == http_date(clock.now)


def test_the_refresh_interval_is_configurable(client, stocked, riscle_pharmacist, clock, settings):
    settings.OPENDATA_REFRESH_SECONDS = 5
    client.get(PHARMACIES)
    arrive(riscle_pharmacist, stocked["riscle"], "surgical", 100)
    clock.advance(5)
    assert riscle_surgical(client.get(PHARMACIES), stocked) == "100+"


def test_a_check_that_finds_nothing_new_keeps_the_etag_and_runs_only_the_marker_queries(
    client, stocked, clock, django_assert_max_num_queries
):
    first = client.get(PHARMACIES)
    clock.advance(31)
    with django_assert_max_num_queries(3):  # the "last change" marker, not the feed
        again = client.get(PHARMACIES, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Last-Modified"] == first["Last-Modified"]


def test_a_forced_refresh_with_the_same_rows_keeps_etag_and_last_modified(client, stocked, clock, settings):
    first = client.get(PHARMACIES)
    clock.advance(settings.OPENDATA_FULL_REFRESH_SECONDS + 1)
    again = client.get(PHARMACIES)
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again.content == first.content


def test_closing_a_pharmacy_removes_it_at_the_next_check(client, stocked, clock):
    riscle = stocked["riscle"]
    client.get(PHARMACIES)
    riscle.is_active = False
    riscle.save(update_fields=["is_active"])
    clock.advance(30)
    assert riscle.finess not in client.get(PHARMACIES).content.decode()


def test_a_logged_in_user_gets_the_same_anonymous_document(client, stocked, nurse):
    anonymous = client.get(PHARMACIES)
    client.force_login(nurse)
    logged_in = client.get(PHARMACIES)
    assert logged_in.status_code == 200
    assert logged_in["ETag"] == anonymous["ETag"]
    assert logged_in.content == anonymous.content


def test_responses_say_how_long_they_may_be_cached(client, stocked, clock):
    assert client.get(PHARMACIES)["Cache-Control"] == "public, max-age=30"
    clock.advance(10)
    assert client.get(PHARMACIES)["Cache-Control"] == "public, max-age=20"


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        (PHARMACIES, {"format": "xml"}, "format"),
        (PHARMACIES, {"format": ""}, "format"),
        (PHARMACIES, {"departement": "99"}, "departement"),
        (PHARMACIES, {"departement": "3２"}, "departement"),
        (PHARMACIES, {"departement": "32; DROP TABLE"}, "departement"),
        (PHARMACIES, {"product": "gants"}, "product"),
        (PHARMACIES, {"bbox": "1,2,3"}, "bbox"),
        (PHARMACIES, {"bbox": "a,b,c,d"}, "bbox"),
        (PHARMACIES, {"bbox": "1,44,0,45"}, "bbox"),
        (PHARMACIES, {"bbox": "nan,43,1,44"}, "bbox"),
        (PHARMACIES, {"bbox": "0,43,200,44"}, "bbox"),
        (PHARMACIES, {"bbox": "1e1,43,20,44"}, "bbox"),
        (PHARMACIES, {"page": "2"}, "page"),
        (CARE_SITES, {"product": "ffp2"}, "product"),
        (CARE_SITES, {"departement": "2C"}, "departement"),
        (CONSULTATIONS, {"bbox": "0,0,0,0"}, "bbox"),
        (CONSULTATIONS, {"format": "pdf"}, "format"),
    ],
)
def test_a_bad_parameter_gets_a_400_with_a_french_message_in_json(client, products, url, query, field):
    response = client.get(url, query, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["field"] == field
    assert body["message"]
    # (Non-Latin digits are refused at the door, by gomask.input_guard, with its own message.)
    assert any(word in body["message"] for word in ("inconnu", "invalide", "Paramètre", "chiffres 0 à 9"))


def test_a_repeated_parameter_is_refused(client, db, occitanie):
    response = client.get(f"{PHARMACIES}?departement=32&departement=31")
    assert response.status_code == 400
    assert response.json()["code"] == "repeated_parameter"


def test_a_bad_parameter_of_a_csv_request_gets_a_plain_text_message(client, db, occitanie, products):
    response = client.get(PHARMACIES, {"format": "csv", "departement": "00"})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Département inconnu" in response.content.decode()


def test_valid_filters_in_another_case_and_corsica_are_accepted(client, db, occitanie, products):
    assert client.get(PHARMACIES, {"departement": "2a"}).status_code == 200
    assert client.get(PHARMACIES, {"departement": "971", "format": "geojson"}).status_code == 200


def test_each_client_address_is_rate_limited_with_a_429_in_french(client, db, occitanie, settings, clock):
    settings.OPENDATA_RATE_LIMIT = 3
    for _ in range(3):
        assert client.get(CARE_SITES, REMOTE_ADDR="10.0.0.1").status_code == 200

    refused = client.get(CARE_SITES, REMOTE_ADDR="10.0.0.1")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "Trop de requêtes" in refused.json()["message"]
    assert refused["Retry-After"] == "60"
    assert client.get(CARE_SITES, REMOTE_ADDR="10.0.0.2").status_code == 200

    clock.advance(settings.OPENDATA_RATE_WINDOW_SECONDS)
    assert client.get(CARE_SITES, REMOTE_ADDR="10.0.0.1").status_code == 200


def test_writing_methods_are_not_allowed(client, db, occitanie):
    assert client.post(PHARMACIES, {}).status_code == 405
    assert client.delete(CARE_SITES).status_code == 405


def test_far_from_the_limit_requests_are_added_to_the_shared_counter_in_batches(
    client, db, occitanie, settings, clock
):
    from opendata import feeds
    from opendata.store import store

    settings.OPENDATA_RATE_LIMIT = 1000
    for _ in range(20):
        assert client.get(CARE_SITES, REMOTE_ADDR="10.0.0.3").status_code == 200
    key = feeds.rate_key("10.0.0.3", clock.now)
    shared = store().count(key, settings.OPENDATA_RATE_WINDOW_SECONDS, requests=0)
    assert shared == 0  # an eighth of the allowance (125) not reached yet: no round trip

    settings.OPENDATA_RATE_LIMIT = 22  # near the limit every request is added and checked
    statuses = [client.get(CARE_SITES, REMOTE_ADDR="10.0.0.3").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
