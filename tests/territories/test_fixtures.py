"""The shared `occitanie` fixture (tests/fixtures_territories.py) other apps rely on."""

import pytest
from django.core.management.color import no_style
from django.db import connection

from territories.models import Commune, PostalCode


@pytest.mark.django_db
def test_occitanie_reloads_the_communes_if_a_transactional_test_emptied_the_tables(request):
    # What a transactional test leaves behind: truncated tables (rolled back at the end).
    tables = [PostalCode._meta.db_table, Commune._meta.db_table]
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
    assert not Commune.objects.exists()

    region = request.getfixturevalue("occitanie")

    assert region.code == "76"
    assert Commune.objects.filter(insee_code="32344", postal_codes__code="32400").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_occitanie(occitanie):
    assert Commune.objects.filter(region=occitanie).count() > 4000
