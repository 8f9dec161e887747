"""The option form offers only what the professional may still reserve, with the quota left."""

import pytest
from django.urls import reverse

from distribution import services
from distribution.models import Reservation
from tests.distribution.conftest import stock
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _open(client, user, pharmacy, **params):
    assert client.login(email=user.email, password=PASSWORD)
    return client.get(reverse("distribution:reserve"), {"pharmacy": pharmacy.pk, **params})


def test_the_option_form_offers_only_products_with_a_quota_and_says_what_is_left(
    client, nurse, riscle_pharmacy, products, quota_policies
):
    stock(riscle_pharmacy, products["surgical"], 40)
    response = _open(client, nurse, riscle_pharmacy, product="ffp2")
    choices = response.context["form"].fields["product"].choices
    assert [code for code, _label in choices] == ["surgical"]
    assert "il vous reste 18 masques chirurgicaux (type II/IIR) cette semaine" in choices[0][1]
    assert 'max="18"' in response.content.decode()


def test_the_option_form_refuses_more_than_is_left_before_calling_the_service(
    client, nurse, riscle_pharmacy, products, quota_policies
):
    stock(riscle_pharmacy, products["surgical"], 40)
    _open(client, nurse, riscle_pharmacy)
    response = client.post(
        reverse("distribution:reserve"),
        {"pharmacy": riscle_pharmacy.pk, "product": "surgical", "quantity": 19, "idempotency_key": "k-19"},
    )
    assert response.status_code == 400
    assert "Il vous reste 18 masques cette semaine" in response.content.decode()
    assert not Reservation.objects.exists()


def test_with_the_quota_used_up_there_is_no_form_but_a_plain_message(
    client, nurse, riscle_pharmacy, riscle_pharmacist, products, quota_policies
):
    stock(riscle_pharmacy, products["surgical"], 40)
    services.dispense(
        actor=riscle_pharmacist,
        pharmacy_id=riscle_pharmacy.pk,
        professional_id=nurse.professional.pk,
        product_code="surgical",
        quantity=18,
        identity_checked=True,
    )
    response = _open(client, nurse, riscle_pharmacy)
    page = response.content.decode()
    assert response.context["form"] is None
    assert "Votre quota de la semaine est atteint pour chaque produit" in page
    assert "Poser l&#x27;option" not in page and "Poser l'option</button>" not in page

    refused = client.post(
        reverse("distribution:reserve"),
        {"pharmacy": riscle_pharmacy.pk, "product": "surgical", "quantity": 1, "idempotency_key": "k-1"},
    )
    assert refused.status_code == 409
    assert not Reservation.objects.exists()
