"""The counter shows what can be handed over now and why (quota, option here, stock here)."""

import pytest
from django.urls import reverse

from distribution import selectors, services
from tests.distribution.conftest import stock

pytestmark = pytest.mark.django_db


def _page(client, pharmacist, pharmacy, professional):
    client.force_login(pharmacist)
    url = reverse("distribution:counter_professional", args=[professional.pk])
    return client.get(url, {"pharmacie": pharmacy.pk})


def test_an_option_here_counts_in_what_can_be_handed_over_now(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 100)
    services.reserve(actor=nurse, pharmacy_id=riscle_pharmacy.pk, product_code="surgical", quantity=6)
    (surgical, _ffp2) = sorted(
        selectors.handover_allowances(nurse.professional, riscle_pharmacy),
        key=lambda row: row.product.code != "surgical",
    )
    assert (surgical.status.remaining, surgical.held_here, surgical.can_hand_over) == (12, 6, 18)

    page = _page(client, riscle_pharmacist, riscle_pharmacy, nurse.professional).content.decode()
    assert 'data-testid="can-hand-over-surgical" data-count="18"' in page
    assert "jusqu&#x27;à 18 masques chirurgicaux (type II/IIR) maintenant" in page or (
        "jusqu'à 18 masques chirurgicaux (type II/IIR) maintenant" in page
    )
    assert "option ici, convertie par la remise : 6" in page


def test_a_stock_shortage_disables_the_form_and_links_to_nearby_pharmacies_with_stock(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
):
    response = _page(client, riscle_pharmacist, riscle_pharmacy, nurse.professional)
    page = response.content.decode()
    assert "Rien ne peut être remis maintenant à Claire Lafitte" in page
    assert "<fieldset disabled" in page
    assert f"{reverse('pharmacies:nearby_stock', args=[riscle_pharmacy.pk])}?product=surgical" in page
    assert "Limité par le stock de votre officine." in page

    refused = client.post(
        reverse("distribution:counter_professional", args=[nurse.professional.pk]),
        {
            "pharmacie": riscle_pharmacy.pk,
            "product": "surgical",
            "quantity": 1,
            "identity_checked": "on",
            "idempotency_key": "k",
        },
    )
    assert refused.status_code == 409


def test_the_handover_form_offers_only_products_that_can_be_handed_over(
    client, riscle_pharmacist, riscle_pharmacy, nurse, quota_policies, products
):
    stock(riscle_pharmacy, products["surgical"], 10)
    stock(riscle_pharmacy, products["ffp2"], 10)
    response = _page(client, riscle_pharmacist, riscle_pharmacy, nurse.professional)
    choices = response.context["form"].fields["product"].choices
    assert [code for code, _label in choices] == ["surgical"]
    assert "jusqu'à 10 masques chirurgicaux (type II/IIR) maintenant" in choices[0][1]
