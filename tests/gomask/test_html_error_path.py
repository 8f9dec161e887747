"""The one HTML error path (gomask.middleware): refusals, lock timeouts and fired constraints
answer with a French message and the right status, never a 500; a POST-only address opened
directly shows a French 405 page.

A lock timeout is real: a second PostgreSQL session takes a table lock that the request needs
(the test's own data stays uncommitted, so the other session locks a whole table rather than
rows it cannot see), and the request's session waits at most 200 ms for it.
"""

import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from consultations.models import Booking
from distribution.models import Dispensation, QuotaUsage, Reservation
from gomask.errors import Busy, Conflict, as_domain_error
from gomask.locks import advisory_key, is_contention
from gomask.middleware import DomainErrorMiddleware
from pharmacies.models import Product, StockLevel, StockMovement
from professionals.models import Referencing
from tests.consultations.conftest import make_mission, make_site, make_volunteer, publish
from tests.distribution.conftest import stock
from tests.factories import professional_user

pytestmark = pytest.mark.django_db


@contextmanager
def table_locked_elsewhere(model, mode="EXCLUSIVE"):
    """Another session holds a lock on `model`'s table; this session gives up after 200 ms."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '200ms'")  # undone with the test's transaction
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        options="-c lock_timeout=2000",
    )
    try:
        other.execute(f'LOCK TABLE "{model._meta.db_table}" IN {mode} MODE')
        yield
    finally:
        other.rollback()
        other.close()


def _text(response) -> str:
    return response.content.decode()


# --- a lock timeout becomes 409 "réessayez", on the form or as a page ---------------------------


def test_a_lock_timeout_during_a_handover_at_the_counter_is_a_409_asking_to_try_again(
    client, riscle_pharmacist, riscle_pharmacy, nurse, products, quota_policies
):
    stock(riscle_pharmacy, products["surgical"], 30)
    client.force_login(riscle_pharmacist)
    url = reverse("distribution:counter_professional", args=[nurse.professional.pk])
    form = {
        "pharmacie": riscle_pharmacy.pk,
        "product": "surgical",
        "quantity": "6",
        "identity_checked": "on",
        "idempotency_key": str(uuid.uuid4()),
    }
    with table_locked_elsewhere(QuotaUsage):
        response = client.post(url, form)
    assert response.status_code == 409
    assert "réessayez" in _text(response)
    assert 'name="quantity"' in _text(response)  # the handover form, ready to send again
    assert Dispensation.objects.count() == 0
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 30


def test_a_lock_timeout_during_an_arrival_is_a_409_on_the_stock_page_and_nothing_is_written(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    client.force_login(riscle_pharmacist)
    url = reverse("pharmacies:declare_arrival", args=[riscle_pharmacy.pk])
    data = {
        "arrival-product": "surgical",
        "arrival-quantity": "2",
        "arrival-unit": "box",
        "arrival-source": "regional",
        "arrival-note": "",
        "arrival-idempotency_key": str(uuid.uuid4()),
    }
    with table_locked_elsewhere(StockMovement):
        response = client.post(url, data)
    assert response.status_code == 409
    assert "réessayez" in _text(response)
    assert not StockMovement.objects.exists()
    # The same form goes through once the lock is gone (its one-time token was not used up).
    assert client.post(url, data).status_code == 302
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 100


def test_a_lock_timeout_during_a_booking_is_a_409_on_the_booking_page(client, occitanie, ars_occitanie):
    site = make_site("32344", "Cabinet médical de Riscle")
    doctor = professional_user(profession="medecin", email="medecin@exemple.fr")
    mission = publish(make_mission(make_volunteer(doctor, site), site, ars_occitanie), ars_occitanie)
    slot = mission.slots.order_by("starts_at").first()
    data = {
        "first_name": "Paul",
        "last_name": "Dupuy",
        "birth_date": "1960-01-01",
        "phone": "0611111111",
        "email": "paul@exemple.fr",
        "commune": "Riscle",
        "has_regular_doctor": "non",
    }
    with table_locked_elsewhere(Booking):
        response = client.post(reverse("consultations:book", args=[slot.pk]), data)
    assert response.status_code == 409
    assert "réessayez" in _text(response) and 'role="alert"' in _text(response)
    assert not Booking.objects.exists()


def test_a_lock_timeout_in_a_page_without_its_own_refusal_handling_is_the_409_page(
    client, nurse, riscle_pharmacy
):
    """Choosing a home pharmacy shows domain refusals itself; contention reaches the middleware."""
    client.force_login(nurse)
    referencings = Referencing.objects.count()
    with table_locked_elsewhere(Referencing):
        response = client.post(
            reverse("professionals:reference"),
            {"pharmacy": riscle_pharmacy.pk},
            HTTP_REFERER="http://testserver/professionnel/officine/",
        )
    assert response.status_code == 409
    page = _text(response)
    assert "réessayez" in page and "Rien n'a été enregistré" in page
    assert 'href="http://testserver/professionnel/officine/"' in page  # back where they were
    assert Referencing.objects.count() == referencings


# --- the mapping itself --------------------------------------------------------------------------


def _request(rf, path="/officine/"):
    request = rf.post(path)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_a_fired_database_constraint_on_a_page_is_a_409_conflict_not_a_500(rf, products):
    with pytest.raises(IntegrityError) as fired, transaction.atomic():
        Product.objects.create(code="surgical", name="Doublon", box_size=1)
    assert isinstance(as_domain_error(fired.value), Conflict)
    response = DomainErrorMiddleware(lambda request: None).process_exception(_request(rf), fired.value)
    assert response.status_code == 409
    assert "Réessayez" in _text(response)


def test_a_real_lock_timeout_is_read_from_its_sqlstate_as_busy(products):
    key = advisory_key("test", 1)
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '100ms'")
        with pytest.raises(Exception) as timed_out, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    assert is_contention(timed_out.value)
    assert isinstance(as_domain_error(timed_out.value), Busy)


def test_an_api_path_gets_the_refusal_as_json_from_the_same_mapping(rf, products):
    with pytest.raises(IntegrityError) as fired, transaction.atomic():
        Product.objects.create(code="surgical", name="Doublon", box_size=1)
    response = DomainErrorMiddleware(lambda request: None).process_exception(
        _request(rf, "/api/anything/"), fired.value
    )
    assert response.status_code == 409 and response["Content-Type"] == "application/json"


def test_an_unrelated_error_is_left_alone_and_stays_a_500(rf):
    assert as_domain_error(ValueError("boom")) is None
    assert DomainErrorMiddleware(lambda request: None).process_exception(_request(rf), ValueError()) is None


# --- 403 / 404 refusals from services go through the same path ------------------------------------


def test_another_pharmacys_stock_page_is_a_403_and_an_unknown_one_a_404(
    client, riscle_pharmacist, toulouse_pharmacy
):
    client.force_login(riscle_pharmacist)
    refused = client.get(reverse("pharmacies:stock", args=[toulouse_pharmacy.pk]))
    assert refused.status_code == 403 and "Erreur 403" in _text(refused)
    missing = client.get(reverse("pharmacies:stock", args=[987654]))
    assert missing.status_code == 404 and "Erreur 404" in _text(missing)


# --- 405: a POST-only address opened directly -------------------------------------------------------


def test_opening_the_cancel_address_of_an_option_directly_shows_a_french_405_page(
    client, nurse, riscle_pharmacy, products, quota_policies
):
    stock(riscle_pharmacy, products["surgical"], 10)
    from distribution.services import reserve

    option = reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=2)
    client.force_login(nurse)
    response = client.get(reverse("distribution:cancel_reservation", args=[option.pk]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = _text(response)
    assert "Cette adresse ne s'ouvre pas directement" in page and "Rien n'a été fait" in page
    assert Reservation.objects.get(pk=option.pk).status == "active"


def test_the_405_page_is_shown_to_anonymous_visitors_too(client):
    response = client.get(reverse("pharmacies:approve_staff", args=[1]))
    assert response.status_code == 405
    assert "Erreur 405" in _text(response)


def test_the_api_keeps_its_json_405(client):
    response = client.delete(reverse("api-schema"))
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/")
    assert "Erreur 405" not in _text(response)
