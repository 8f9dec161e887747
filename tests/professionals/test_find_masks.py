import json

import pytest
from django.urls import reverse

from pharmacies.services import declare_arrival, mark_sold_out
from tests.factories import PASSWORD, PharmacyFactory, pharmacist_of

pytestmark = pytest.mark.django_db

SAINT_MONT = "32398"
NOGARO = "32296"
MARCIAC = "32233"  # 23 km from Riscle
AIGNAN = "32001"  # 14 km


def _stocked(insee_code, quantity, name, product="surgical"):
    pharmacy = PharmacyFactory(insee_code=insee_code, name=name)
    pharmacist = pharmacist_of(pharmacy)
    declare_arrival(
        actor=pharmacist, pharmacy_id=pharmacy.pk, product_code=product, quantity=quantity, source="national"
    )
    return pharmacy, pharmacist


def _search(client, user, **params):
    client.login(email=user.email, password=PASSWORD)
    return client.get(reverse("distribution:find_masks"), params)


def test_the_default_search_is_around_the_practice_sorted_by_distance_with_bands(client, nurse, products):
    _stocked(AIGNAN, 150, "Pharmacie d'Aignan")
    _stocked(SAINT_MONT, 12, "Pharmacie de Saint-Mont")
    _stocked(NOGARO, 45, "Pharmacie de Nogaro")
    _stocked(MARCIAC, 150, "Pharmacie de Marciac")  # beyond the default 20 km
    response = _search(client, nurse)
    assert response.status_code == 200
    names = [row["name"] for row in response.context["rows"]]
    assert names == ["Pharmacie de Saint-Mont", "Pharmacie de Nogaro", "Pharmacie d'Aignan"]
    html = response.content.decode()
    assert "1 à 29 masques" in html and "30 à 99 masques" in html and "100 masques et plus" in html
    assert "Indicatif" in html and "GeoNames, geonames.org" in html
    points = json.loads(html.split('id="pharmacies-data" type="application/json">')[1].split("</script>")[0])
    assert [point["name"] for point in points] == names
    assert all("available" not in point for point in points)


def test_the_radius_and_product_filters_apply(client, nurse, products):
    from datetime import date

    from distribution.models import QuotaPolicy

    QuotaPolicy.objects.create(
        profession="infirmier", product=products["ffp2"], quantity=10, effective_from=date(2020, 3, 1)
    )
    _stocked(SAINT_MONT, 12, "Pharmacie de Saint-Mont")
    _stocked(MARCIAC, 150, "Pharmacie de Marciac")
    _stocked(NOGARO, 20, "Pharmacie FFP2", product="ffp2")
    assert [r["name"] for r in _search(client, nurse, radius=5).context["rows"]] == [
        "Pharmacie de Saint-Mont"
    ]
    assert [r["name"] for r in _search(client, nurse, product="ffp2").context["rows"]] == ["Pharmacie FFP2"]


def test_a_search_around_a_commune_or_postal_code(client, nurse, toulouse_pharmacy, products):
    pharmacist = pharmacist_of(toulouse_pharmacy)
    declare_arrival(
        actor=pharmacist,
        pharmacy_id=toulouse_pharmacy.pk,
        product_code="surgical",
        quantity=40,
        source="national",
    )
    for place in ["31000", "Toulouse"]:
        response = _search(client, nurse, place=place)
        assert [r["pharmacy_id"] for r in response.context["rows"]] == [toulouse_pharmacy.pk]
        assert response.context["origin"]["label"] == "Toulouse"


def test_an_unknown_commune_or_bad_filter_is_a_clear_error(client, nurse, products):
    for params in [{"place": "Zzzzville"}, {"radius": "7"}, {"product": "gants"}]:
        response = _search(client, nurse, **params)
        assert response.status_code == 400
        assert 'aria-invalid="true"' in response.content.decode()


def test_a_sold_out_pharmacy_shows_epuise_and_no_reservation_link(client, nurse, products):
    pharmacy, pharmacist = _stocked(SAINT_MONT, 150, "Pharmacie de Saint-Mont")
    mark_sold_out(actor=pharmacist, pharmacy_id=pharmacy.pk, product_code="surgical")
    response = _search(client, nurse)
    html = response.content.decode()
    assert "Épuisé" in html
    assert f"?pharmacy={pharmacy.pk}&amp;product=" not in html


def test_each_pharmacy_offers_the_reservation_link_when_the_page_exists(client, nurse, products):
    from django.urls import NoReverseMatch

    pharmacy, _ = _stocked(SAINT_MONT, 150, "Pharmacie de Saint-Mont")
    html = _search(client, nurse).content.decode()
    try:
        reserve_url = reverse("distribution:reserve")
    except NoReverseMatch:
        assert "Réserver une option" not in html
    else:
        assert f'href="{reserve_url}?pharmacy={pharmacy.pk}&amp;product=surgical"' in html


def test_only_products_the_professional_has_a_quota_for_are_offered_with_what_is_left(
    client, nurse, products
):
    response = _search(client, nurse)
    html = response.content.decode()
    assert [code for code, _label in response.context["form"].fields["product"].choices] == ["surgical"]
    assert "il vous reste 18 masques chirurgicaux (type II/IIR) cette semaine" in html
    assert _search(client, nurse, product="ffp2").status_code == 400


def test_no_reservation_link_once_the_weeks_quota_is_used_up(client, nurse, products):
    pharmacy, pharmacist = _stocked(SAINT_MONT, 150, "Pharmacie de Saint-Mont")
    from distribution.services import dispense

    dispense(
        actor=pharmacist,
        pharmacy_id=pharmacy.pk,
        professional_id=nurse.professional.pk,
        product_code="surgical",
        quantity=18,
        identity_checked=True,
    )
    response = _search(client, nurse)
    html = response.content.decode()
    assert response.status_code == 200
    assert [row["name"] for row in response.context["rows"]] == ["Pharmacie de Saint-Mont"]
    assert "Réserver une option" not in html
    assert 'data-reserve-url=""' in html
    assert "Votre quota de la semaine est atteint pour ce produit" in html


def test_a_profession_without_any_quota_is_told_so_instead_of_offered_products(client, occitanie, products):
    from distribution.models import QuotaPolicy
    from tests.factories import professional_user

    QuotaPolicy.objects.filter(profession="sage_femme").update(quantity=0)
    midwife = professional_user(profession="sage_femme", email="sage.femme@exemple.fr")
    response = _search(client, midwife)
    assert response.status_code == 200
    assert "Aucun quota n'est défini pour votre profession" in response.content.decode()
    assert response.context["rows"] == []


def test_a_search_without_radius_or_product_shows_the_defaults_it_used(client, nurse, quota_policies):
    client.force_login(nurse)
    response = client.get(reverse("distribution:find_masks"), {"place": "Riscle"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="20" selected>20 km</option>' in html
    assert 'value="surgical" selected' in html
