import uuid

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from distribution import services
from distribution.models import Dispensation, QuotaPolicy, Reservation
from pharmacies.models import StockLevel, StockMovement
from tests.distribution.conftest import stock

pytestmark = pytest.mark.django_db


def _counts():
    return (Reservation.objects.count(), Dispensation.objects.count(), StockMovement.objects.count())


def _api(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _mfa_login(client, user):
    """ARS staff and administrators must have TOTP enrolled (the personas have it)."""
    client.force_login(user)


# --- pages: who may use them ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name,allowed",
    [
        ("distribution:counter", "pharmacist"),
        ("distribution:pharmacy_shipments", "pharmacist"),
        ("distribution:reserve", "nurse"),
        ("distribution:my_reservations", "nurse"),
        ("distribution:my_history", "nurse"),
    ],
)
def test_pages_are_refused_to_other_roles(
    client, riscle_pharmacist, nurse, quota_policies, url_name, allowed
):
    users = {"pharmacist": riscle_pharmacist, "nurse": nurse}
    for name, user in users.items():
        client.force_login(user)
        response = client.get(reverse(url_name))
        assert response.status_code == (200 if name == allowed else 403), (name, url_name)


def test_ars_pages_are_refused_to_pharmacists_and_open_to_ars_staff(client, riscle_pharmacist, ars_occitanie):
    client.force_login(riscle_pharmacist)
    assert client.get(reverse("distribution:quota_policies")).status_code == 403
    _mfa_login(client, ars_occitanie)
    for name in ("ars_home", "quota_policies", "quota_policy_create", "shipments", "shipment_create"):
        assert client.get(reverse(f"distribution:{name}")).status_code == 200, name


def test_the_counter_finds_a_professional_by_rpps_or_name_and_shows_the_remaining_quota(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies
):
    client.force_login(riscle_pharmacist)
    by_number = client.get(reverse("distribution:counter"), {"q": nurse.professional.rpps}, follow=True)
    by_name = client.get(reverse("distribution:counter"), {"q": "lafit"})
    for response in (by_number, by_name):
        assert response.status_code == 200
        assert "LAFITTE" in response.content.decode()
    assert by_number.redirect_chain  # one card number opens the professional directly
    page = client.get(reverse("distribution:counter_professional", args=[nurse.professional.pk]))
    assert 'data-testid="can-hand-over-surgical" data-count="0"' in page.content.decode()  # no stock here


@pytest.mark.parametrize("query", ["1234567890", "12345678901", "a"])
def test_the_counter_explains_a_malformed_number_or_a_too_short_name(
    client, riscle_pharmacist, riscle_pharmacy, query
):
    client.force_login(riscle_pharmacist)
    response = client.get(reverse("distribution:counter"), {"q": query})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_the_counter_of_someone_elses_pharmacy_is_refused(client, riscle_pharmacist, toulouse_pharmacy):
    client.force_login(riscle_pharmacist)
    response = client.get(reverse("distribution:counter"), {"pharmacie": toulouse_pharmacy.pk})
    assert response.status_code == 403


def test_a_double_clicked_handover_form_records_one_handover(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
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
    first = client.post(url, form, follow=True)
    second = client.post(url, form, follow=True)
    # The repeat shows the same confirmation, on the same page, and records nothing more.
    assert second.redirect_chain == first.redirect_chain
    confirmation = "Délivrance enregistrée : 6 masques"
    assert confirmation in first.content.decode() and confirmation in second.content.decode()
    assert Dispensation.objects.count() == 1
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 24


@pytest.mark.parametrize("quantity", ["0", "-2", "1.5", "100001", "beaucoup", ""])
def test_the_handover_form_refuses_bad_quantities_and_writes_nothing(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products, quantity
):
    stock(riscle_pharmacy, products["surgical"], 30)
    client.force_login(riscle_pharmacist)
    before = _counts()
    response = client.post(
        reverse("distribution:counter_professional", args=[nurse.professional.pk]),
        {
            "pharmacie": riscle_pharmacy.pk,
            "product": "surgical",
            "quantity": quantity,
            "identity_checked": "on",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 400
    assert "quantité" in response.content.decode().lower()
    assert _counts() == before


def test_the_handover_form_refuses_more_than_the_quota_allows_before_the_service(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 30)
    client.force_login(riscle_pharmacist)
    response = client.post(
        reverse("distribution:counter_professional", args=[nurse.professional.pk]),
        {
            "pharmacie": riscle_pharmacy.pk,
            "product": "surgical",
            "quantity": "19",
            "identity_checked": "on",
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 400
    assert "Vous pouvez remettre au plus 18 masques maintenant" in response.content.decode()
    assert not Dispensation.objects.exists()


def test_the_reserve_page_prefills_pharmacy_and_product_and_shows_stock(
    client, nurse, riscle_pharmacy, quota_policies, products
):
    from datetime import date

    from distribution.models import QuotaPolicy

    QuotaPolicy.objects.create(
        profession="infirmier", product=products["ffp2"], quantity=10, effective_from=date(2020, 3, 1)
    )
    stock(riscle_pharmacy, products["ffp2"], 40)
    client.force_login(nurse)
    response = client.get(
        reverse("distribution:reserve"), {"pharmacy": riscle_pharmacy.pk, "product": "ffp2"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="available-ffp2">40<' in content
    assert f'<option value="{riscle_pharmacy.pk}" selected>' in content
    assert '<option value="ffp2" selected>' in content


def test_cancelling_someone_elses_option_from_the_page_is_a_404(
    client, nurse, riscle_pharmacy, quota_policies, products, occitanie
):
    from tests.factories import professional_user

    stock(riscle_pharmacy, products["surgical"], 40)
    option = services.reserve(
        actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=4
    )
    client.force_login(professional_user())
    assert client.post(reverse("distribution:cancel_reservation", args=[option.pk])).status_code == 404
    option.refresh_from_db()
    assert option.status == "active"


def test_an_ars_agent_of_another_region_cannot_add_a_version_for_occitanie_from_the_page(
    client, ars_paca, quota_policies
):
    _mfa_login(client, ars_paca)
    before = QuotaPolicy.objects.count()
    response = client.post(
        reverse("distribution:quota_policy_create"),
        {
            "profession": "medecin",
            "product": "surgical",
            "quantity": "24",
            "effective_from": "2020-05-11",
            "region": "76",
        },
    )
    assert response.status_code == 400  # "76" is not among the choices offered to PACA staff
    assert QuotaPolicy.objects.count() == before


# --- API --------------------------------------------------------------------------------------


def test_api_option_retried_with_the_same_key_returns_the_same_id_and_counts_once(
    nurse, riscle_pharmacy, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 40)
    api = _api(nurse)
    body = {"pharmacy": riscle_pharmacy.pk, "product": "surgical", "quantity": 5}
    first = api.post("/api/reservations/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = api.post("/api/reservations/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    other = api.post("/api/reservations/", {**body, "quantity": 6}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert first.json()["id"] == again.json()["id"]
    assert other.json()["code"] == "idempotency_key_reused"
    assert Reservation.objects.count() == 1
    listed = api.get("/api/reservations/").json()
    assert [row["id"] for row in listed["results"]] == [first.json()["id"]]
    cancelled = api.post(f"/api/reservations/{first.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_api_handover_idempotency_and_quota_refusal(
    riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 40)
    api = _api(riscle_pharmacist)
    body = {
        "pharmacy": riscle_pharmacy.pk,
        "professional": nurse.professional.pk,
        "product": "surgical",
        "quantity": 18,
        "identity_checked": True,
    }
    first = api.post("/api/dispensations/", body, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    again = api.post("/api/dispensations/", body, format="json", HTTP_IDEMPOTENCY_KEY="d-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    refused = api.post(
        "/api/dispensations/", {**body, "quantity": 1}, format="json", HTTP_IDEMPOTENCY_KEY="d-2"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "quota_exceeded"
    assert Dispensation.objects.count() == 1


@pytest.mark.parametrize("quantity", [0, -1, 1.5, 100_001, "dix"])
def test_api_bad_quantities_are_400_with_a_french_message(
    riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products, quantity
):
    stock(riscle_pharmacy, products["surgical"], 40)
    before = _counts()
    response = _api(riscle_pharmacist).post(
        "/api/dispensations/",
        {
            "pharmacy": riscle_pharmacy.pk,
            "professional": nurse.professional.pk,
            "product": "surgical",
            "quantity": quantity,
            "identity_checked": True,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "quantité" in str(response.json()["fields"]["quantity"]).lower()
    assert _counts() == before


def test_api_someone_elses_pharmacy_is_403_and_unknown_professional_404(
    toulouse_pharmacist, riscle_pharmacy, toulouse_pharmacy, nurse, quota_policies, products
):
    api = _api(toulouse_pharmacist)
    body = {
        "professional": nurse.professional.pk,
        "product": "surgical",
        "quantity": 1,
        "identity_checked": True,
    }
    assert (
        api.post("/api/dispensations/", {**body, "pharmacy": riscle_pharmacy.pk}, format="json").status_code
        == 403
    )
    unknown = {**body, "pharmacy": toulouse_pharmacy.pk, "professional": 987654}
    assert api.post("/api/dispensations/", unknown, format="json").status_code == 404


def test_api_roles_professionals_cannot_dispense_and_pharmacists_cannot_reserve(
    nurse, riscle_pharmacist, riscle_pharmacy, quota_policies
):
    assert _api(nurse).post("/api/dispensations/", {}, format="json").status_code == 403
    assert _api(riscle_pharmacist).post("/api/reservations/", {}, format="json").status_code == 403


def test_api_my_quota_and_policies(nurse, ars_occitanie, quota_policies, products):
    quota = _api(nurse).get("/api/me/quota/").json()
    surgical = next(row for row in quota["quotas"] if row["product"] == "surgical")
    assert (surgical["quota"], surgical["remaining"]) == (18, 18)
    assert _api(nurse).get("/api/quota-policies/").status_code == 200
    refused = _api(nurse).post("/api/quota-policies/", {}, format="json")
    assert refused.status_code == 403


def test_api_ars_staff_create_a_version_for_their_region_only(ars_occitanie, ars_paca, quota_policies):
    body = {"profession": "medecin", "product": "surgical", "quantity": 24, "effective_from": "2020-05-11"}
    created = _api(ars_occitanie).post("/api/quota-policies/", {**body, "region": "76"}, format="json")
    assert created.status_code == 201 and created.json()["region"] == "76"
    refused = _api(ars_paca).post("/api/quota-policies/", {**body, "region": "76"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "out_of_region"
    national = _api(ars_occitanie).post("/api/quota-policies/", body, format="json")
    assert national.status_code == 403
