"""Care sites from the FINESS extraction sample in the published format (ISO-8859-1, CRLF):
the hospital line becomes a hospital entry point; officines are not care sites."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from distribution.models import CareSite, CareSiteKind
from referrals.directory_import import import_care_sites

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "etalab-cs1100507-stock-sample.csv"


def test_the_hospital_of_the_sample_becomes_a_care_site_at_its_finess_position(occitanie):
    report = import_care_sites(SAMPLE)
    site = CareSite.objects.get()
    assert (site.finess, site.kind, site.commune.departement_id) == (
        "320000086",
        CareSiteKind.HOSPITAL_ENTRY,
        "32",
    )
    assert site.latitude is not None and abs(site.latitude - site.commune.latitude) < 0.5
    assert report.created == 1
    assert report.ignored >= 7  # the officines


def test_a_second_import_changes_nothing_and_keeps_what_staff_set(occitanie):
    import_care_sites(SAMPLE)
    CareSite.objects.update(email="urgences@ch.fr", opening_hours="24 h/24")
    report = import_care_sites(SAMPLE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    site = CareSite.objects.get()
    assert (site.email, site.opening_hours) == ("urgences@ch.fr", "24 h/24")


def test_the_command_prints_its_counts(occitanie):
    out = StringIO()
    call_command("import_finess_care_sites", str(SAMPLE), stdout=out, stderr=StringIO())
    assert "1 créés" in out.getvalue()
