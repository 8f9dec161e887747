import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import AccountStatus, Role
from pharmacies.models import MovementKind, StockLevel, StockMovement
from pharmacies.services import declare_arrival
from tests.factories import MembershipFactory, PharmacyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _arrive(pharmacist, pharmacy, quantity=100, product="surgical"):
    return declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code=product, quantity=quantity, source="national"
    )


ARRIVAL = {"product": "surgical", "quantity": 2, "unit": "box", "source": "regional"}


def _endpoints(pharmacy_id, movement_id=1):
    base = f"/api/pharmacies/{pharmacy_id}"
    return [
        ("get", f"{base}/stock/", None),
        ("get", f"{base}/movements/", None),
        ("post", f"{base}/arrivals/", ARRIVAL),
        ("post", f"{base}/inventory-counts/", {"product": "surgical", "counted": 3}),
        ("post", f"{base}/losses/", {"product": "surgical", "quantity": 1, "reason": "Casse"}),
        ("post", f"{base}/transfers/", {"product": "surgical", "quantity": 1, "to_pharmacy": 1}),
        ("post", f"{base}/sold-out/", {"product": "surgical"}),
        ("post", f"{base}/movements/{movement_id}/corrections/", {"reason": "Erreur"}),
    ]


def test_a_pharmacist_declares_an_arrival_in_boxes_and_reads_stock_and_ledger(
    riscle_pharmacist, riscle_pharmacy, products
):
    client = _client(riscle_pharmacist)
    response = client.post(f"/api/pharmacies/{riscle_pharmacy.pk}/arrivals/", ARRIVAL, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["on_hand_delta"] == 100
    stock = client.get(f"/api/pharmacies/{riscle_pharmacy.pk}/stock/").json()
    surgical = next(row for row in stock if row["product"] == "surgical")
    assert (surgical["on_hand"], surgical["available"], surgical["band"]) == (100, 100, "high")
    ledger = client.get(f"/api/pharmacies/{riscle_pharmacy.pk}/movements/", {"product": "surgical"}).json()
    assert ledger["count"] == 1
    assert ledger["results"][0]["kind"] == "arrival"
    mine = client.get("/api/pharmacies/").json()
    assert [p["id"] for p in mine] == [riscle_pharmacy.pk]


def test_count_loss_transfer_correction_and_sold_out_through_the_api(
    riscle_pharmacist, riscle_pharmacy, toulouse_pharmacy, products
):
    arrival = _arrive(riscle_pharmacist, riscle_pharmacy, 100)
    client = _client(riscle_pharmacist)
    base = f"/api/pharmacies/{riscle_pharmacy.pk}"
    assert (
        client.post(f"{base}/inventory-counts/", {"product": "surgical", "counted": 90}).json()[
            "on_hand_delta"
        ]
        == -10
    )
    assert (
        client.post(f"{base}/losses/", {"product": "surgical", "quantity": 5, "reason": "Casse"}).status_code
        == 201
    )
    transfer = client.post(
        f"{base}/transfers/", {"product": "surgical", "quantity": 5, "to_pharmacy": toulouse_pharmacy.pk}
    )
    assert [m["kind"] for m in transfer.json()] == ["transfer_out", "transfer_in"]
    correction = client.post(f"{base}/movements/{arrival.pk}/corrections/", {"reason": "Erreur"})
    assert correction.status_code == 409  # 80 left: the 100 masks cannot all be taken back
    assert correction.json()["code"] == "insufficient_stock"
    sold_out = client.post(f"{base}/sold-out/", {"product": "surgical"})
    assert sold_out.status_code == 200 and sold_out.json()["sold_out_at"]
    level = StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"])
    assert level.on_hand == 80 and level.sold_out_at is not None


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "2,5", 100_001, None, "beaucoup"])
def test_bad_quantities_are_400_json_and_write_nothing(
    riscle_pharmacist, riscle_pharmacy, products, quantity
):
    response = _client(riscle_pharmacist).post(
        f"/api/pharmacies/{riscle_pharmacy.pk}/arrivals/", {**ARRIVAL, "quantity": quantity}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "quantity" in response.json()["fields"]
    assert not StockMovement.objects.exists()


def test_service_refusals_come_back_as_json_with_their_code_and_status(
    riscle_pharmacist, riscle_pharmacy, products
):
    client = _client(riscle_pharmacist)
    base = f"/api/pharmacies/{riscle_pharmacy.pk}"
    unknown = client.post(f"{base}/arrivals/", {**ARRIVAL, "product": "gants"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_product")
    too_many_boxes = client.post(f"{base}/arrivals/", {**ARRIVAL, "quantity": 2001}, format="json")
    assert (too_many_boxes.status_code, too_many_boxes.json()["code"]) == (400, "invalid_quantity")
    loss = client.post(f"{base}/losses/", {"product": "surgical", "quantity": 1, "reason": "Casse"})
    assert (loss.status_code, loss.json()["code"]) == (409, "insufficient_stock")
    assert "Stock insuffisant" in loss.json()["message"]
    assert not StockMovement.objects.exists()


def test_a_retried_post_with_the_same_idempotency_key_records_once(
    riscle_pharmacist, riscle_pharmacy, products
):
    client = _client(riscle_pharmacist)
    key = str(uuid.uuid4())
    url = f"/api/pharmacies/{riscle_pharmacy.pk}/arrivals/"
    first = client.post(url, ARRIVAL, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201
    retry = client.post(url, ARRIVAL, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (retry.status_code, retry.json()) == (200, first.json())
    other_body = client.post(url, {**ARRIVAL, "quantity": 3}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (other_body.status_code, other_body.json()["code"]) == (409, "idempotency_key_reused")
    assert "clé d'idempotence" in other_body.json()["message"]
    bad_key = client.post(url, ARRIVAL, format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert (bad_key.status_code, bad_key.json()["code"]) == (400, "invalid_idempotency_key")
    assert StockMovement.objects.count() == 1


def test_every_stock_endpoint_refuses_someone_elses_pharmacy_with_403(
    riscle_pharmacist, toulouse_pharmacist, toulouse_pharmacy, products
):
    theirs = _arrive(toulouse_pharmacist, toulouse_pharmacy, 50)
    client = _client(riscle_pharmacist)
    for method, url, data in _endpoints(toulouse_pharmacy.pk, theirs.pk):
        response = getattr(client, method)(url, data, format="json") if data else client.get(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "not_your_pharmacy", url
    assert StockMovement.objects.count() == 1


def test_every_stock_endpoint_refuses_other_roles_pending_accounts_and_anonymous_calls(
    riscle_pharmacy, nurse, products
):
    pending = UserFactory(role=Role.PHARMACIST, status=AccountStatus.PENDING)
    MembershipFactory(user=pending, pharmacy=riscle_pharmacy)
    patient = UserFactory(role=Role.PATIENT)
    for user, expected in [(nurse, 403), (pending, 403), (patient, 403), (None, 401)]:
        client = _client(user)
        for method, url, data in _endpoints(riscle_pharmacy.pk):
            response = getattr(client, method)(url, data, format="json") if data else client.get(url)
            assert response.status_code == expected, (user, url)
            assert "code" in response.json()
    assert not StockMovement.objects.exists()


def test_an_unknown_pharmacy_or_movement_is_404(riscle_pharmacist, riscle_pharmacy, products):
    client = _client(riscle_pharmacist)
    assert client.get("/api/pharmacies/987654/stock/").status_code == 404
    response = client.post(
        f"/api/pharmacies/{riscle_pharmacy.pk}/movements/987654/corrections/", {"reason": "x"}
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_availability_search_for_a_professional_defaults_to_the_practice(
    nurse, riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 40)
    response = _client(nurse).get("/api/availability/", {"product": "surgical", "radius": 10})
    assert response.status_code == 200
    rows = response.json()
    assert [row["pharmacy_id"] for row in rows] == [riscle_pharmacy.pk]
    assert rows[0]["band"] == "medium"
    assert "available" not in rows[0]  # bands only, never exact counts


def test_availability_search_by_commune_or_point_and_its_bad_inputs(
    riscle_pharmacist, toulouse_pharmacist, toulouse_pharmacy, products
):
    _arrive(toulouse_pharmacist, toulouse_pharmacy, 40)
    client = _client(riscle_pharmacist)
    by_postal_code = client.get("/api/availability/", {"commune": "31000"})
    assert [row["pharmacy_id"] for row in by_postal_code.json()] == [toulouse_pharmacy.pk]
    by_point = client.get("/api/availability/", {"latitude": 43.6, "longitude": 1.44, "radius": 50})
    assert [row["pharmacy_id"] for row in by_point.json()] == [toulouse_pharmacy.pk]
    assert client.get("/api/availability/").json()["code"] == "origin_required"
    assert client.get("/api/availability/", {"commune": "Zzzzville"}).json()["code"] == "invalid_commune"
    assert client.get("/api/availability/", {"commune": "31000", "product": "gants"}).status_code == 400
    assert client.get("/api/availability/", {"commune": "31000", "radius": 7}).status_code == 400
    assert client.get("/api/availability/", {"latitude": 91, "longitude": 1}).status_code == 400


def test_availability_search_refuses_other_roles_and_pending_professionals(
    riscle_pharmacy, ars_occitanie, products
):
    pending = UserFactory(role=Role.PROFESSIONAL, status=AccountStatus.PENDING)
    for user in [UserFactory(role=Role.PATIENT), pending]:
        assert _client(user).get("/api/availability/", {"commune": "32400"}).status_code == 403
    assert _client().get("/api/availability/", {"commune": "32400"}).status_code == 401


def test_the_stock_endpoints_are_in_the_openapi_schema(client, riscle_pharmacy):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in [
        "/api/pharmacies/{pharmacy_id}/arrivals/",
        "/api/pharmacies/{pharmacy_id}/inventory-counts/",
        "/api/pharmacies/{pharmacy_id}/losses/",
        "/api/pharmacies/{pharmacy_id}/sold-out/",
        "/api/pharmacies/{pharmacy_id}/stock/",
        "/api/pharmacies/{pharmacy_id}/movements/",
        "/api/availability/",
    ]:
        assert path in paths, path
    arrival = paths["/api/pharmacies/{pharmacy_id}/arrivals/"]["post"]
    assert {"201", "400", "403", "409"} <= set(arrival["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in arrival["parameters"])


def test_someone_elses_closed_pharmacy_is_not_a_transfer_destination(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 10)
    closed = PharmacyFactory(is_active=False)
    response = _client(riscle_pharmacist).post(
        f"/api/pharmacies/{riscle_pharmacy.pk}/transfers/",
        {"product": "surgical", "quantity": 1, "to_pharmacy": closed.pk},
    )
    assert (response.status_code, response.json()["code"]) == (400, "unknown_pharmacy")
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER_OUT).count() == 0
