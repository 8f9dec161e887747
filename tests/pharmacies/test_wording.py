"""French wording of quantities and pharmacies (pharmacies.wording), and the messages using it."""

import pytest
from django.urls import reverse
from django.utils import translation

from pharmacies.wording import enumerate_fr, masks, pharmacy_label
from tests.factories import PASSWORD, PharmacyFactory

pytestmark = pytest.mark.django_db


def test_a_quantity_of_masks_agrees_with_its_noun_and_keeps_the_product_in_lower_case(products):
    with translation.override("fr"):
        assert masks(60, products["ffp2"]) == "60 masques FFP2"
        assert masks(1, products["ffp2"]) == "1 masque FFP2"
        assert masks(13, products["surgical"]) == "13 masques chirurgicaux (type II/IIR)"
        assert masks(0, "surgical") == "0 masque chirurgical (type II/IIR)"
        assert masks(2) == "2 masques"
        assert masks(12000).replace("\u202f", " ").replace("\xa0", " ") == "12 000 masques"


def test_quantities_follow_the_english_catalogue_too(products):
    with translation.override("en"):
        assert masks(1, products["ffp2"]) == "1 FFP2 mask"
        assert masks(3) == "3 masks"


def test_a_pharmacy_named_after_its_commune_is_not_followed_by_the_commune_again(occitanie):
    named = PharmacyFactory(insee_code="32344", name="Pharmacie du Pont — Riscle")
    plain = PharmacyFactory(insee_code="32344", name="Pharmacie de l'Adour")
    assert pharmacy_label(named) == "Pharmacie du Pont — Riscle"
    assert pharmacy_label(plain) == "Pharmacie de l'Adour (Riscle)"
    assert str(named) == "Pharmacie du Pont — Riscle"


def test_lists_are_joined_the_french_way():
    with translation.override("fr"):
        assert enumerate_fr(["a", "b", "c"]) == "a, b et c"
        assert enumerate_fr(["a"]) == "a"


def test_the_arrival_message_says_60_masques_ffp2_not_60_masque_ffp2(
    client, riscle_pharmacist, riscle_pharmacy, products
):
    import uuid

    assert client.login(email=riscle_pharmacist.email, password=PASSWORD)
    response = client.post(
        reverse("pharmacies:declare_arrival", args=[riscle_pharmacy.pk]),
        {
            "arrival-product": "ffp2",
            "arrival-quantity": "3",
            "arrival-unit": "box",
            "arrival-source": "regional",
            "arrival-note": "",
            "arrival-idempotency_key": str(uuid.uuid4()),
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Arrivée enregistrée : 60 masques FFP2 (3 boîtes de 20). Stock : 60 masques." in page


def test_a_quota_version_is_named_with_a_french_date_not_an_iso_one(products):
    from datetime import date

    from distribution.models import QuotaPolicy

    policy = QuotaPolicy(
        profession="infirmier", product=products["surgical"], quantity=18, effective_from=date(2020, 3, 18)
    )
    with translation.override("fr"):
        text = str(policy)
    assert "à partir du 18/03/2020" in text and "2020-03-18" not in text
    assert "18 masques par semaine" in text
