"""Behind a reverse proxy, per-client limits count each client, not the proxy (issue 12, item 5)."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from consultations.views import client_key
from gomask.client_ip import client_ip
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"
ALICE = "203.0.113.7"
BOB = "198.51.100.23"


def _request(forwarded=None, remote=PROXY):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_client_is_the_connecting_address_whatever_the_header_says(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded=ALICE)) == PROXY


def test_behind_one_trusted_proxy_the_client_is_the_address_the_proxy_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded=ALICE)) == ALICE
    # A client writing its own X-Forwarded-For cannot choose its address: the proxy appends the real one.
    assert client_ip(_request(forwarded=f"{BOB}, {ALICE}")) == ALICE


def test_behind_two_trusted_proxies_the_client_is_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded=f"{BOB}, {ALICE}, 10.0.0.9")) == ALICE


def test_a_garbled_forwarded_header_falls_back_to_the_connecting_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded="pas-une-adresse")) == PROXY
    assert client_ip(_request(forwarded="[2001:db8::7]:443")) == "2001:db8::7"


def test_the_booking_limit_counts_by_the_same_client_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_key(_request(forwarded=f"{BOB}, {ALICE}")) == ALICE


@pytest.mark.django_db
def test_five_failed_logins_by_one_client_behind_the_proxy_do_not_lock_out_another(
    client, settings, occitanie
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "5/5m/ip"}
    victim, attacker_target = UserFactory(), UserFactory()
    url = reverse("account_login")
    for _ in range(5):
        client.post(
            url,
            {"login": attacker_target.email, "password": "mauvais"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=ALICE,
        )
    from_alice = client.post(
        url, {"login": victim.email, "password": PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE
    )
    assert "Trop de tentatives" in from_alice.content.decode()
    from_bob = client.post(
        url, {"login": victim.email, "password": PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=BOB
    )
    assert from_bob.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_escape_the_login_limit(client, settings, occitanie):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "5/5m/ip"}
    target, other = UserFactory(), UserFactory()
    url = reverse("account_login")
    for n in range(5):
        client.post(url, {"login": target.email, "password": "mauvais"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    forged = client.post(url, {"login": other.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert "Trop de tentatives" in forged.content.decode()
