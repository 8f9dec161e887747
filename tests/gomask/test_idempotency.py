"""One idempotency contract (gomask.idempotency): the same answer to a repeat on every write,
pages and API alike; another request under a used key is a 409; old keys are purged."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from distribution.models import Reservation
from gomask import idempotency
from gomask.errors import InvalidInput
from tests.distribution.conftest import stock

pytestmark = pytest.mark.django_db


def test_a_request_has_one_fingerprint_whatever_its_spelling():
    assert idempotency.fingerprint({"quantity": 6, "product": "surgical"}) == idempotency.fingerprint(
        {"product": " surgical ", "quantity": "6"}
    )
    assert idempotency.fingerprint({"quantity": 6}) != idempotency.fingerprint({"quantity": 7})


@pytest.mark.parametrize("key", ["x" * 101, "a\tb", "   "])
def test_a_key_is_one_to_a_hundred_printable_characters(key):
    with pytest.raises(InvalidInput):
        idempotency.clean_key(key)
    assert idempotency.clean_key(None) is None and idempotency.clean_key(" k-1 ") == "k-1"


def test_the_purge_of_old_keys_is_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "gomask.tasks.purge_idempotency_keys" in tasks


def test_the_reserve_page_sent_twice_puts_one_option_and_shows_the_same_confirmation(
    client, nurse, riscle_pharmacy, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 40)
    client.force_login(nurse)
    form = {
        "pharmacy": riscle_pharmacy.pk,
        "product": "surgical",
        "quantity": "5",
        "idempotency_key": str(uuid.uuid4()),
    }
    first = client.post(reverse("distribution:reserve"), form, follow=True)
    again = client.post(reverse("distribution:reserve"), form, follow=True)
    assert again.redirect_chain == first.redirect_chain
    assert "Option enregistrée" in first.content.decode() and "Option enregistrée" in again.content.decode()
    assert Reservation.objects.count() == 1
    other = client.post(reverse("distribution:reserve"), {**form, "quantity": "6"})
    assert other.status_code == 409
    assert "déjà été envoyée avec d&#x27;autres valeurs" in other.content.decode()
    assert Reservation.objects.count() == 1
