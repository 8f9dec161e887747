"""The admin lists every territories table, with search and regional filters."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        ("region", {"q": "Occ"}, "Occitanie"),
        ("departement", {"q": "32", "region__code__exact": "76"}, "Gers"),
        ("epci", {"q": "Armagnac Adour", "region__code__exact": "76"}, "CC Armagnac Adour"),
        ("commune", {"q": "riscle", "region__code__exact": "76"}, "Riscle"),
        ("commune", {"q": "32344"}, "Riscle"),
        ("postalcode", {"q": "32400", "commune__region__code__exact": "76"}, "Riscle"),
        ("dataload", {}, "76"),
    ],
)
def test_the_admin_searches_and_filters_territories_by_region(client, administrator, model, query, expected):
    client.force_login(administrator)

    response = client.get(reverse(f"admin:territories_{model}_changelist"), query)

    assert response.status_code == 200
    assert expected in response.content.decode()


def test_the_admin_shows_a_commune_with_its_postal_codes(client, administrator):
    client.force_login(administrator)

    response = client.get(reverse("admin:territories_commune_change", args=["32344"]))

    assert response.status_code == 200
    assert "32400" in response.content.decode()
