import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import AccountStatus, Role
from pharmacies.models import MovementKind, StockLevel, StockMovement
from pharmacies.services import declare_arrival
from professionals.models import Referencing
from tests.factories import PASSWORD, MembershipFactory, PharmacyFactory, ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _arrive(pharmacist, pharmacy, quantity, product="surgical"):
    return declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code=product, quantity=quantity, source="national"
    )


def _arrival_post(**overrides):
    data = {
        "arrival-product": "surgical",
        "arrival-quantity": "2",
        "arrival-unit": "box",
        "arrival-source": "regional",
        "arrival-note": "",
        "arrival-idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


PAGES = ["stock", "ledger", "professionals", "nearby_stock"]
POSTS = ["declare_arrival", "declare_count", "declare_loss", "transfer"]


@pytest.mark.parametrize("name", PAGES)
def test_each_stock_page_opens_for_a_pharmacist_of_the_officine(
    client, riscle_pharmacist, riscle_pharmacy, name
):
    response = _login(client, riscle_pharmacist).get(reverse(f"pharmacies:{name}", args=[riscle_pharmacy.pk]))
    assert response.status_code == 200
    assert escape(riscle_pharmacy.name) in response.content.decode()


@pytest.mark.parametrize("name", PAGES + POSTS)
def test_someone_elses_pharmacy_is_refused_with_403(client, riscle_pharmacist, toulouse_pharmacy, name):
    _login(client, riscle_pharmacist)
    url = reverse(f"pharmacies:{name}", args=[toulouse_pharmacy.pk])
    response = client.post(url, _arrival_post()) if name in POSTS else client.get(url)
    assert response.status_code == 403
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("name", PAGES)
def test_an_unknown_pharmacy_is_404(client, riscle_pharmacist, name):
    response = _login(client, riscle_pharmacist).get(reverse(f"pharmacies:{name}", args=[987654]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", PAGES + POSTS)
def test_other_roles_and_pending_pharmacists_are_refused_and_anonymous_sent_to_login(
    client, riscle_pharmacy, nurse, ars_occitanie, name
):
    url = reverse(f"pharmacies:{name}", args=[riscle_pharmacy.pk])
    method = client.post if name in POSTS else client.get
    assert method(url).status_code == 302  # anonymous -> login
    pending = UserFactory(role=Role.PHARMACIST, status=AccountStatus.PENDING)
    MembershipFactory(user=pending, pharmacy=riscle_pharmacy)
    for user in [nurse, pending]:
        client.logout()
        _login(client, user)
        assert method(url).status_code == 403
    assert not StockMovement.objects.exists()


def test_the_arrival_form_converts_boxes_and_redirects_with_a_confirmation(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:declare_arrival", args=[riscle_pharmacy.pk])
    response = client.post(url, _arrival_post(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("pharmacies:stock", args=[riscle_pharmacy.pk])
    assert "Arrivée enregistrée : 100" in response.content.decode()
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"]).on_hand == 100


def test_a_double_clicked_arrival_form_records_one_arrival(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:declare_arrival", args=[riscle_pharmacy.pk])
    data = _arrival_post()
    first = client.post(url, data, follow=True)
    response = client.post(url, data, follow=True)
    # The repeat gets the same confirmation (the first movement's), and nothing more is written.
    confirmation = "Arrivée enregistrée : 100 masques"
    assert confirmation in first.content.decode() and confirmation in response.content.decode()
    assert response.redirect_chain == first.redirect_chain
    assert StockMovement.objects.count() == 1
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"]).on_hand == 100


@pytest.mark.parametrize("quantity", ["0", "-4", "2.5", "100001", "", "beaucoup"])
def test_a_bad_arrival_quantity_redisplays_the_form_with_a_message_and_writes_nothing(
    client, riscle_pharmacist, riscle_pharmacy, products, quantity
):
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:declare_arrival", args=[riscle_pharmacy.pk])
    response = client.post(url, _arrival_post(**{"arrival-quantity": quantity, "arrival-unit": "mask"}))
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not StockMovement.objects.exists()


def test_a_service_refusal_is_shown_next_to_the_form_with_its_status(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:declare_arrival", args=[riscle_pharmacy.pk])
    # 2,001 boxes of 50 pass the form (<= 100,000 boxes) but not the service (masks).
    response = client.post(url, _arrival_post(**{"arrival-quantity": "2001"}))
    assert response.status_code == 400
    assert "100 000" in response.content.decode()
    assert not StockMovement.objects.exists()


def test_a_count_below_the_reserved_masks_is_a_clear_refusal(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    from django.db import transaction

    from pharmacies.stock import lock_level, record_movement

    _arrive(riscle_pharmacist, riscle_pharmacy, 50)
    with transaction.atomic():
        level = lock_level(pharmacy_id=riscle_pharmacy.pk, product_id=products["surgical"].pk)
        record_movement(level=level, kind=MovementKind.RESERVATION_HOLD, reserved_delta=20)
    _login(client, riscle_pharmacist)
    response = client.post(
        reverse("pharmacies:declare_count", args=[riscle_pharmacy.pk]),
        {"count-product": "surgical", "count-counted": "5", "count-idempotency_key": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert "20 masques réservés" in response.content.decode()


def test_loss_and_transfer_forms_record_their_movements(
    client, riscle_pharmacist, riscle_pharmacy, toulouse_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 50)
    _login(client, riscle_pharmacist)
    client.post(
        reverse("pharmacies:declare_loss", args=[riscle_pharmacy.pk]),
        {
            "loss-product": "surgical",
            "loss-quantity": "5",
            "loss-reason": "Casse",
            "loss-idempotency_key": uuid.uuid4(),
        },
    )
    response = client.post(
        reverse("pharmacies:transfer", args=[riscle_pharmacy.pk]),
        {
            "transfer-product": "surgical",
            "transfer-quantity": "10",
            "transfer-destination_finess": toulouse_pharmacy.finess,
            "transfer-idempotency_key": uuid.uuid4(),
        },
        follow=True,
    )
    assert "Transfert enregistré" in response.content.decode()
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"]).on_hand == 35
    assert StockLevel.objects.get(pharmacy=toulouse_pharmacy, product=products["surgical"]).on_hand == 10


def test_a_transfer_to_an_unknown_finess_is_refused_next_to_the_field(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    _arrive(riscle_pharmacist, riscle_pharmacy, 50)
    _login(client, riscle_pharmacist)
    response = client.post(
        reverse("pharmacies:transfer", args=[riscle_pharmacy.pk]),
        {
            "transfer-product": "surgical",
            "transfer-quantity": "10",
            "transfer-destination_finess": "12345",
            "transfer-idempotency_key": uuid.uuid4(),
        },
    )
    assert response.status_code == 400
    assert StockMovement.objects.count() == 1


def test_mark_sold_out_is_one_post_and_shows_epuise(client, riscle_pharmacist, riscle_pharmacy, products):
    _arrive(riscle_pharmacist, riscle_pharmacy, 50)
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:mark_sold_out", args=[riscle_pharmacy.pk, "surgical"])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "Épuisé" in response.content.decode()
    assert (
        StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"]).sold_out_at is not None
    )


def test_the_ledger_is_paginated_and_filtered_by_product(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    for quantity in range(1, 31):
        _arrive(riscle_pharmacist, riscle_pharmacy, quantity)
    _arrive(riscle_pharmacist, riscle_pharmacy, 7, product="ffp2")
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:ledger", args=[riscle_pharmacy.pk])
    first = client.get(url)
    assert len(first.context["page"].object_list) == 25
    assert first.context["page"].paginator.count == 31
    ffp2 = client.get(url, {"product": "ffp2"})
    assert [m.product.code for m in ffp2.context["page"]] == ["ffp2"]
    assert client.get(url, {"page": "999"}).status_code == 200


def test_a_correction_from_the_ledger_compensates_the_movement_once(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    mistake = _arrive(riscle_pharmacist, riscle_pharmacy, 500)
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:correct_movement", args=[riscle_pharmacy.pk, mistake.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "Saisie en trop"}, follow=True)
    assert "Correction enregistrée" in response.content.decode()
    assert client.post(url, {"reason": "Encore"}).status_code == 409
    assert StockLevel.objects.get(pharmacy=riscle_pharmacy, product=products["surgical"]).on_hand == 0


def test_a_movement_of_another_pharmacy_cannot_be_corrected_through_my_url(
    client, riscle_pharmacist, riscle_pharmacy, toulouse_pharmacist, toulouse_pharmacy, products
):
    theirs = _arrive(toulouse_pharmacist, toulouse_pharmacy, 50)
    _login(client, riscle_pharmacist)
    url = reverse("pharmacies:correct_movement", args=[riscle_pharmacy.pk, theirs.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    other_url = reverse("pharmacies:correct_movement", args=[toulouse_pharmacy.pk, theirs.pk])
    assert client.post(other_url, {"reason": "x"}).status_code == 403
    assert not StockMovement.objects.filter(kind=MovementKind.CORRECTION).exists()


def test_referenced_professionals_are_listed_with_tel_links(client, riscle_pharmacist, riscle_pharmacy):
    professional = ProfessionalFactory(last_name="Soulé", phone="06 11 22 33 44")
    Referencing.objects.create(professional=professional, pharmacy=riscle_pharmacy)
    former = ProfessionalFactory(last_name="Ancien")
    Referencing.objects.create(professional=former, pharmacy=riscle_pharmacy, ended_at="2020-03-20T10:00Z")
    response = _login(client, riscle_pharmacist).get(
        reverse("pharmacies:professionals", args=[riscle_pharmacy.pk])
    )
    html = response.content.decode()
    # Dialled in E.164, shown as people write it.
    assert 'href="tel:+33611223344">06 11 22 33 44</a>' in html
    assert "Soulé" in html
    assert "Ancien" not in html


def test_nearby_stock_lists_other_pharmacies_with_stock_by_distance_without_sold_out_ones(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    near = PharmacyFactory(insee_code="32398", name="Pharmacie Proche")  # Saint-Mont, 3 km
    far = PharmacyFactory(insee_code="32233", name="Pharmacie Lointaine")  # Marciac, 23 km
    sold_out = PharmacyFactory(insee_code="32398", name="Pharmacie Épuisée")
    for pharmacy in [near, far, sold_out, riscle_pharmacy]:
        pharmacist = UserFactory(role=Role.PHARMACIST)
        MembershipFactory(user=pharmacist, pharmacy=pharmacy)
        _arrive(pharmacist, pharmacy, 40)
        if pharmacy == sold_out:
            from pharmacies.services import mark_sold_out

            mark_sold_out(actor=pharmacist, pharmacy_id=pharmacy.pk, product_code="surgical")
    response = _login(client, riscle_pharmacist).get(
        reverse("pharmacies:nearby_stock", args=[riscle_pharmacy.pk])
    )
    names = [row["name"] for row in response.context["rows"]]
    assert names == ["Pharmacie Proche", "Pharmacie Lointaine"]
    assert 'href="tel:+33562690000">05 62 69 00 00</a>' in response.content.decode()


def test_the_pharmacy_switcher_links_to_the_same_page_of_each_officine(
    client, riscle_pharmacist, riscle_pharmacy, toulouse_pharmacy
):
    MembershipFactory(user=riscle_pharmacist, pharmacy=toulouse_pharmacy)
    response = _login(client, riscle_pharmacist).get(reverse("pharmacies:ledger", args=[riscle_pharmacy.pk]))
    assert reverse("pharmacies:ledger", args=[toulouse_pharmacy.pk]) in response.content.decode()
    assert client.get(reverse("pharmacies:ledger", args=[toulouse_pharmacy.pk])).status_code == 200
