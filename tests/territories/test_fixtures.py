"""The shared `occitanie` fixture (tests/fixtures_territories.py) other apps rely on."""

import pytest

from territories.models import Commune, PostalCode


@pytest.mark.django_db
def test_occitanie_reloads_the_communes_if_a_transactional_test_emptied_the_tables(request):
    # What a transactional test leaves behind: empty tables (here rolled back afterwards).
    PostalCode.objects.all().delete()
    Commune.objects.all().delete()

    region = request.getfixturevalue("occitanie")

    assert region.code == "76"
    assert Commune.objects.filter(insee_code="32344", postal_codes__code="32400").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_occitanie(occitanie):
    assert Commune.objects.filter(region=occitanie).count() > 4000
