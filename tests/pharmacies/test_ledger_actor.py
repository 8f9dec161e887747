import pytest
from django.urls import reverse

from distribution.quotas import ensure_default_quota_policies
from distribution.services import expire_reservations, reserve
from pharmacies.services import declare_arrival
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_ledger_opens_with_movements_made_by_the_portal_and_names_them_systeme(
    client, riscle_pharmacist, riscle_pharmacy, nurse, products
):
    from datetime import timedelta

    ensure_default_quota_policies()
    declare_arrival(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        product_code="surgical",
        quantity=40,
        source="national",
    )
    reservation = reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=6)
    assert expire_reservations(now=reservation.expires_at + timedelta(minutes=1)) == 1
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)

    response = client.get(reverse("pharmacies:ledger", args=[riscle_pharmacy.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Système" in page
    assert riscle_pharmacist.get_full_name() in page
