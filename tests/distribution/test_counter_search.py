"""The counter search ranks the pharmacy's own professionals first and says when it was cut."""

import pytest
from django.urls import reverse

from distribution import selectors
from professionals.models import Referencing
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

TOULOUSE = "31555"
AIGNAN = "32001"  # 14 km from Riscle


@pytest.fixture
def many_lafittes(occitanie):
    """21 professionals named Lafitte practising in Toulouse, 1 near Riscle, sorting before "Lafitte"."""
    far = [
        ProfessionalFactory(last_name="Lafitte", first_name=f"A{index:02d}", insee_code=TOULOUSE)
        for index in range(21)
    ]
    near = ProfessionalFactory(last_name="Lafitte", first_name="Bernard", insee_code=AIGNAN)
    return far, near


def test_a_name_search_ranks_referenced_then_nearby_professionals_first_and_says_it_was_cut(
    client, riscle_pharmacist, riscle_pharmacy, nurse, many_lafittes
):
    _far, near = many_lafittes
    Referencing.objects.create(professional=nurse.professional, pharmacy=riscle_pharmacy)

    found = selectors.find_professionals("Lafitte", pharmacy=riscle_pharmacy)

    assert found.truncated
    assert len(found.professionals) == 20
    assert found.professionals[0] == nurse.professional
    assert found.professionals[1] == near
    client.force_login(riscle_pharmacist)
    page = client.get(reverse("distribution:counter"), {"q": "Lafitte"}).content.decode()
    assert "Plus de 20 professionnels correspondent" in page
    assert "référencé dans votre officine" in page
    assert page.index("LAFITTE Claire") < page.index("LAFITTE Bernard") < page.index("LAFITTE A00")


def test_a_search_that_is_not_cut_says_how_many_were_found(client, riscle_pharmacist, riscle_pharmacy, nurse):
    client.force_login(riscle_pharmacist)
    page = client.get(reverse("distribution:counter"), {"q": "lafit"}).content.decode()
    assert "1 professionnel trouvé" in page
    assert "Plus de" not in page


def test_a_single_rpps_match_opens_the_professional_directly(
    client, riscle_pharmacist, riscle_pharmacy, nurse
):
    client.force_login(riscle_pharmacist)
    response = client.get(reverse("distribution:counter"), {"q": nurse.professional.rpps})
    url = reverse("distribution:counter_professional", args=[nurse.professional.pk])
    assert response.status_code == 302
    assert response["Location"] == f"{url}?pharmacie={riscle_pharmacy.pk}"


def test_the_search_field_has_the_focus(client, riscle_pharmacist, riscle_pharmacy):
    client.force_login(riscle_pharmacist)
    page = client.get(reverse("distribution:counter")).content.decode()
    assert 'name="q"' in page and "autofocus" in page
