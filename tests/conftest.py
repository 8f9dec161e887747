"""Shared personas: a pharmacist in Riscle, one in Toulouse, a nurse, ARS agents of
Occitanie and of another region, an administrator."""

import pytest

from accounts.models import Role
from tests.factories import (
    PharmacyFactory,
    UserFactory,
    coordinator_of,
    enrol_totp,
    pharmacist_of,
    professional_user,
    record_second_factor,
)

pytest_plugins = ["tests.fixtures_territories", "tests.prosanteconnect.fixtures"]

RISCLE = "32344"


@pytest.fixture(autouse=True)
def _french():
    """Every test starts in the portal's default language: a test that switches to English
    (a request with the language cookie, translation.override) must not leak it to the next."""
    from django.utils import translation

    translation.activate("fr")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _results_may_be_awaited():
    """Celery marks "waiting for a result would block" in one process-wide flag, set around every
    eager task and restored afterwards. Two threads running eager tasks at once (a concurrency
    test's threads, the live server's) can restore it in the wrong order and leave it set; every
    later `.get()` in the process then raises "Never call result.get() within a task!"."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Redis outlives a test: rate-limit counters and cached geocodes must not leak. Nor must
    the open-data feeds' copies kept in this process's memory (entries, bodies, rate counts,
    filter codes seen valid): any test module may read a feed, and a copy younger than the
    refresh interval would be served instead of the rows of the next test (on the same xdist
    worker)."""
    from django.core.cache import cache

    from opendata import feeds, params

    cache.clear()
    feeds.forget_local_state()
    params.forget_known_codes()
    yield


@pytest.fixture(autouse=True)
def _force_login_completes_the_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a completed login: for an account with TOTP it also
    records, as allauth does, that this session passed the second factor. Tests of the login paths
    themselves log in through the real pages."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        record_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def one_totp_period(monkeypatch):
    """The code (of the personas' TOTP secret) of a TOTP period that lasts the whole test. A
    code is right only in its own 30-second period: if the period ended between two
    submissions of a slow run, a replay would be refused as a wrong code, not as a used one.
    A live server runs in a thread of this process, so it sees the same frozen period."""
    from allauth.mfa.totp.internal import auth as totp

    from tests.factories import TOTP_SECRET

    counter = next(totp.yield_hotp_counters_from_time())
    monkeypatch.setattr(totp, "yield_hotp_counters_from_time", lambda: iter([counter]))
    return totp.format_hotp_value(totp.hotp_value(TOTP_SECRET, counter))


@pytest.fixture(autouse=True, scope="session")
def _static_files_listed_once_per_settings():
    """Each test client builds its own middleware chain, and WhiteNoise's middleware, outside
    production, lists every static file of the finders and stats it when it is built (some
    75 ms, for each `client` of each test, and for each persona of the walks). The list depends
    on the settings and the files only: it is made once per process for each combination of the
    settings WhiteNoise reads, and copied into each new middleware, which then serves exactly
    what a fresh listing would."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.add_files_from_finders
    listings: dict[tuple, dict] = {}

    def add_files_from_finders(self):
        key = (
            self.static_prefix,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            self.index_file,
            repr(getattr(settings, "WHITENOISE_MIMETYPES", None)),
            getattr(settings, "WHITENOISE_ADD_HEADERS_FUNCTION", None),
            repr(getattr(settings, "WHITENOISE_IMMUTABLE_FILE_TEST", None)),
            repr(settings.STATICFILES_FINDERS),
            repr(settings.STATICFILES_DIRS),
            tuple(settings.INSTALLED_APPS),
        )
        if key not in listings:
            already = dict(self.files)
            original(self)
            listings[key] = {url: file for url, file in self.files.items() if already.get(url) is not file}
        else:
            self.files.update(listings[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
    yield
    WhiteNoiseMiddleware.add_files_from_finders = original


TOULOUSE = "31555"


@pytest.fixture
def products(db):
    """The default products and DGS-urgent quotas (data migrations), recreated if a transactional
    test flushed them (arrival notices go only to professionals with a quota for the product)."""
    from distribution.quotas import ensure_default_quota_policies
    from pharmacies.catalogue import ensure_products
    from pharmacies.models import Product

    ensure_products()
    ensure_default_quota_policies()
    return {product.code: product for product in Product.objects.all()}


@pytest.fixture
def quota_policies(products):
    """The DGS-urgent quota versions of 18 March 2020 (the data migration's rows, recreated after
    a transactional test flushed them): the one fixture of every test that needs a quota."""
    from distribution.quotas import ensure_default_quota_policies

    ensure_default_quota_policies()


@pytest.fixture
def riscle_pharmacy(occitanie):
    return PharmacyFactory(insee_code=RISCLE, name="Pharmacie de l'Adour")


@pytest.fixture
def toulouse_pharmacy(occitanie):
    return PharmacyFactory(insee_code=TOULOUSE, name="Pharmacie du Capitole")


@pytest.fixture
def riscle_pharmacist(riscle_pharmacy):
    return pharmacist_of(riscle_pharmacy, email="pharmacien.riscle@exemple.fr", first_name="Jean")


@pytest.fixture
def toulouse_pharmacist(toulouse_pharmacy):
    return pharmacist_of(toulouse_pharmacy, email="pharmacienne.toulouse@exemple.fr", first_name="Anne")


@pytest.fixture
def cpts(occitanie):
    """The coordinator of the CPTS Adour-Armagnac (Riscle's EPCI, Gers)."""
    return coordinator_of(RISCLE, email="coordination@cpts-adour.fr", name="CPTS Adour-Armagnac")


@pytest.fixture
def nurse(occitanie):
    return professional_user(email="infirmiere.riscle@exemple.fr", first_name="Claire", last_name="Lafitte")


@pytest.fixture
def ars_occitanie(occitanie):
    user = UserFactory(role=Role.ARS_STAFF, region_id="76", email="agent@ars-occitanie.fr")
    enrol_totp(user)
    return user


@pytest.fixture
def ars_paca(occitanie):
    user = UserFactory(role=Role.ARS_STAFF, region_id="93", email="agent@ars-paca.fr")
    enrol_totp(user)
    return user


@pytest.fixture
def administrator(occitanie):
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True, email="admin@gomask.fr")
    enrol_totp(user)
    return user
