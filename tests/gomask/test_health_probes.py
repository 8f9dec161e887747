"""Liveness (the process answers) apart from readiness (database, broker and cache answer)."""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.urls import reverse

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broken_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    from django.core.cache import caches

    # The cache handler keeps one connection object per thread: drop it so the new setting is read.
    caches._connections.__dict__.pop("default", None)
    yield
    caches._connections.__dict__.pop("default", None)


@pytest.mark.django_db
def test_liveness_answers_without_touching_the_database_broker_or_cache(
    client, settings, broken_cache, django_assert_num_queries
):
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    with django_assert_num_queries(0):
        response = client.get(reverse("liveness"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_reports_database_broker_and_cache(client, settings):
    settings.CELERY_BROKER_URL = REDIS_URL
    response = client.get(reverse("readiness"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readiness_says_503_when_the_cache_is_unreachable(client, settings, broken_cache):
    settings.CELERY_BROKER_URL = REDIS_URL
    response = client.get(reverse("readiness"))
    assert response.status_code == 503
    assert response.json()["cache"].startswith("error")
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_readiness_says_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    response = client.get(reverse("readiness"))
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


@pytest.fixture
def redis_sentinel():
    """A real Redis Sentinel on a free loopback port, watching the test Redis as "gomask"."""
    port = _free_port()
    host, redis_port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "sentinel.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {directory}\nsentinel monitor gomask {host} {redis_port} 1\n"
        )
        process = subprocess.Popen(
            ["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield f"sentinel://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.django_db
def test_readiness_reaches_a_broker_given_as_a_sentinel_url(client, settings, redis_sentinel):
    settings.CELERY_BROKER_URL = redis_sentinel
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"master_name": "gomask", "visibility_timeout": 3600}
    response = client.get(reverse("readiness"))
    assert response.json()["broker"] == "ok"
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_old_healthz_address_still_answers_as_the_readiness_check(client, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS
    response = client.get("/healthz")
    assert response.status_code == 503
    assert set(response.json()) == {"status", "database", "broker", "cache"}
