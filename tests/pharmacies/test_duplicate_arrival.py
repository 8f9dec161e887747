"""An arrival identical to one the same person declared minutes ago asks for confirmation,
and the arrival form shows the box size and the conversion before saving."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pharmacies.models import StockLevel, StockMovement
from pharmacies.services import PossibleDuplicate, correct_movement, declare_arrival
from tests.factories import PASSWORD, pharmacist_of

pytestmark = pytest.mark.django_db


def _arrive(pharmacist, pharmacy, quantity=120, confirm_duplicate=False):
    """As the pharmacist's form sends it: unconfirmed unless the box is ticked."""
    return declare_arrival(
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        product_code="surgical",
        quantity=quantity,
        source="national",
        confirm_duplicate=confirm_duplicate,
    )


def _post(client, pharmacy, **overrides):
    data = {
        "arrival-product": "surgical",
        "arrival-quantity": "120",
        "arrival-unit": "mask",
        "arrival-source": "national",
        "arrival-note": "",
        "arrival-idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return client.post(reverse("pharmacies:declare_arrival", args=[pharmacy.pk]), data)


def test_an_identical_arrival_by_the_same_person_within_minutes_is_refused_until_confirmed(
    riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy)
    with pytest.raises(PossibleDuplicate, match="arrivée identique"):
        _arrive(riscle_pharmacist, riscle_pharmacy)
    assert StockMovement.objects.count() == 1

    _arrive(riscle_pharmacist, riscle_pharmacy, confirm_duplicate=True)
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 240


def test_a_different_quantity_another_colleague_or_an_older_arrival_is_no_duplicate(
    riscle_pharmacist, riscle_pharmacy, products
):
    first = _arrive(riscle_pharmacist, riscle_pharmacy)
    _arrive(riscle_pharmacist, riscle_pharmacy, quantity=60)
    colleague = pharmacist_of(riscle_pharmacy, email="adjoint.riscle@exemple.fr")
    _arrive(colleague, riscle_pharmacy)
    StockMovement.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    StockMovement.objects.filter(actor=colleague).update(created_at=timezone.now() - timedelta(minutes=11))
    _arrive(riscle_pharmacist, riscle_pharmacy)  # the identical one is 11 minutes old
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 120 + 60 + 120 + 120


def test_a_corrected_arrival_does_not_block_entering_it_again(riscle_pharmacist, riscle_pharmacy, products):
    mistaken = _arrive(riscle_pharmacist, riscle_pharmacy)
    correct_movement(actor=riscle_pharmacist, movement_id=mistaken.pk, reason="mauvais produit")
    _arrive(riscle_pharmacist, riscle_pharmacy)
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 120


def test_back_then_submit_again_asks_for_confirmation_and_records_only_once_confirmed(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    assert _post(client, riscle_pharmacy).status_code == 302

    again = _post(client, riscle_pharmacy)
    page = again.content.decode()
    assert again.status_code == 409
    assert "Vous avez déjà enregistré une arrivée identique" in page
    assert 'type="checkbox" name="arrival-confirm_duplicate"' in page
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 120

    confirmed = _post(client, riscle_pharmacy, **{"arrival-confirm_duplicate": "on"})
    assert confirmed.status_code == 302
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy).on_hand == 240


def test_the_arrival_form_shows_the_box_sizes_before_saving(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    page = client.get(reverse("pharmacies:stock", args=[riscle_pharmacy.pk])).content.decode()
    assert "Une boîte : 20 masques FFP2 et 50 masques chirurgicaux (type II/IIR)." in page
    assert "data-box-sizes=" in page and 'id="arrival-conversion"' in page


def test_an_arrival_in_boxes_says_how_many_masks_it_made(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    response = _post(
        client, riscle_pharmacy, **{"arrival-product": "ffp2", "arrival-quantity": "3", "arrival-unit": "box"}
    )
    page = client.get(response["Location"]).content.decode()
    assert "Arrivée enregistrée : 60 masques FFP2 (3 boîtes de 20). Stock : 60 masques." in page
