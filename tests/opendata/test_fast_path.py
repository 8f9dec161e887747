"""The feeds' fast path (opendata/fast.py): the same answers as the full stack, sooner."""

import pytest
from django.urls import reverse

from opendata import fast

PHARMACIES = reverse("opendata:pharmacies")
SAME_HEADERS = [
    "Content-Type",
    "ETag",
    "Last-Modified",
    "Cache-Control",
    "Access-Control-Allow-Origin",
    "Link",
    "X-Frame-Options",
    "X-Content-Type-Options",
]


@pytest.fixture
def served_fast(monkeypatch):
    """Records which requests the fast path answered itself."""
    answered = []
    serve = fast.FeedFastPathMiddleware.serve

    def recording(self, request, view_class):
        response = serve(self, request, view_class)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(fast.FeedFastPathMiddleware, "serve", recording)
    return answered


@pytest.mark.parametrize("output", ["json", "csv", "geojson"])
def test_the_fast_path_answers_as_the_full_stack_does(client, stocked, settings, served_fast, clock, output):
    quick = client.get(PHARMACIES, {"format": output})
    settings.OPENDATA_FAST_PATH = False
    full = client.get(PHARMACIES, {"format": output})
    assert served_fast == [True]
    assert quick.status_code == full.status_code == 200
    assert quick.content == full.content
    for header in SAME_HEADERS:
        assert quick.get(header) == full.get(header), header
    assert "Set-Cookie" not in quick


def test_the_fast_path_answers_304_without_a_query(client, stocked, served_fast, django_assert_num_queries):
    first = client.get(PHARMACIES)
    with django_assert_num_queries(0):
        again = client.get(PHARMACIES, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and served_fast == [True, True]


@pytest.mark.parametrize(
    "query",
    [
        {"format": "xml"},
        {"departement": "999"},
        {"bbox": "1,2"},
        {"inconnu": "1"},
        {"departement": "3\u0662"},
    ],
)
def test_bad_parameters_go_on_to_the_full_stack_and_get_the_french_400(client, stocked, served_fast, query):
    response = client.get(PHARMACIES, query)
    assert response.status_code == 400
    assert response.json()["message"]
    assert served_fast == [False]


def test_the_rate_limit_counts_each_request_once_and_answers_429(client, stocked, settings):
    settings.OPENDATA_RATE_LIMIT = 3
    assert [client.get(PHARMACIES).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(PHARMACIES)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"


def test_the_rate_limit_counts_by_the_client_behind_the_trusted_proxy(client, stocked, settings):
    settings.OPENDATA_RATE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    first = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert [client.get(PHARMACIES, **first).status_code for _ in range(2)] == [200, 200]
    assert client.get(PHARMACIES, **other).status_code == 200
    assert client.get(PHARMACIES, **first).status_code == 429


def test_a_host_outside_allowed_hosts_is_left_to_the_full_stack(client, stocked, served_fast):
    response = client.get(PHARMACIES, HTTP_HOST="ailleurs.example")
    assert response.status_code == 400
    assert served_fast == [False]


def test_other_methods_and_pages_do_not_take_the_fast_path(client, stocked, served_fast):
    assert client.post(PHARMACIES).status_code == 405
    assert client.get(reverse("opendata:documentation")).status_code == 200
    assert served_fast == []
