import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import User
from pharmacies.models import Pharmacy, PharmacyMembership
from professionals.models import Professional

pytestmark = pytest.mark.django_db


def _counts():
    return (
        User.objects.count(),
        Pharmacy.objects.count(),
        Professional.objects.count(),
        PharmacyMembership.objects.count(),
    )


def test_seed_demo_builds_occitanie_with_one_login_per_role_listed_in_the_readme_and_is_idempotent(
    occitanie, capsys
):
    # One seeding for both checks of its first run (it takes a while): the logins it prints, and
    # the README's table of demo logins, which must list exactly those.
    call_command("seed_demo")
    first = _counts()
    printed = capsys.readouterr().out
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    listed = set(re.findall(r"\| `([\w.-]+@demo\.gomask\.fr)` \|", readme))
    assert listed and listed == set(re.findall(r"[\w.-]+@demo\.gomask\.fr", printed))
    for email in [
        "pharmacien@demo.gomask.fr",
        "infirmiere@demo.gomask.fr",
        "ars@demo.gomask.fr",
        "admin@demo.gomask.fr",
        "patient@demo.gomask.fr",
    ]:
        assert email in printed
        assert User.objects.filter(email=email, status="active").exists()
    # About one officine per 3,400 inhabitants of Occitanie (5.9 million).
    assert 1600 < Pharmacy.objects.filter(region_id="76").count() < 1900

    call_command("seed_demo", "--quiet-logins")
    assert _counts() == first


def test_seed_demo_refuses_to_run_in_production_and_creates_no_account(occitanie, settings):
    settings.PRODUCTION = True
    settings.GOMASK_ENV = "production"
    before = _counts()
    with pytest.raises(CommandError, match="refuses to run in production"):
        call_command("seed_demo", "--quiet-logins")
    assert _counts() == before
    assert not User.objects.filter(email="admin@demo.gomask.fr").exists()
