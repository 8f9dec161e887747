import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

# One file per pytest-xdist worker: two workers must not share a scratch database.
SCRATCH_SQLITE = f"sqlite:////tmp/gomask-deploy-check-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.sqlite3"

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "GOMASK_ENV": "production",
    "SECRET_KEY": "x7!kq2-production-like-secret-key-for-the-deploy-check-only-4f9a1c",
    "ALLOWED_HOSTS": "gomask.example.org",
    "DATABASE_URL": SCRATCH_SQLITE,
    "SITE_URL": "https://gomask.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SPECIALISTS_ENCRYPTION_KEY": "cHJvZHVjdGlvbi1saWtlLWtleS1mb3ItY2hlY2tzISE=",
}


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "GOMASK_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_check_deploy_without_any_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_refuses_to_start_without_redis_for_shared_rate_limits():
    env = {**PRODUCTION_ENV, "REDIS_URL": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "REDIS_URL must be set in production" in result.stderr


@pytest.mark.parametrize("value", [None, ""])
def test_production_mode_refuses_to_start_without_a_database_url(value):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_URL"}
    if value is not None:
        env["DATABASE_URL"] = value
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env, "GOMASK_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be set in production" in result.stderr


def test_an_empty_database_url_outside_production_means_the_local_sqlite_file():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        env={"GOMASK_ENV": "development", "DATABASE_URL": "", "REDIS_URL": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("sqlite3")


def test_production_mode_refuses_to_start_without_the_specialists_encryption_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SPECIALISTS_ENCRYPTION_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SPECIALISTS_ENCRYPTION_KEY must be set in production" in result.stderr


def test_a_malformed_specialists_encryption_key_is_refused_at_start():
    result = _manage("check", env={**PRODUCTION_ENV, "SPECIALISTS_ENCRYPTION_KEY": "not-a-fernet-key"})
    assert result.returncode != 0
    assert "must be Fernet keys" in result.stderr


# Signs with whatever SECRET_KEY is set, or checks the given signatures against it.
_SIGNATURE_SCRIPT = """
import sys
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from accounts.models import User

user = User(pk=42, email="claire@exemple.fr", password="pbkdf2_sha256$1$salt$hash")
if sys.argv[-1] == "sign":
    print(signing.dumps(42, salt="account"), default_token_generator.make_token(user))
else:
    signed, token = sys.argv[-2:]
    print(signing.loads(signed, salt="account"), default_token_generator.check_token(user, token))
"""


def _run_signature_script(*args, env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + _SIGNATURE_SCRIPT, *args],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "SECRET_KEY"}, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_links_signed_with_the_previous_secret_key_still_work_after_a_rotation():
    old_key = "old-key-k3j4h5g6f7d8s9a0-rotation-test-only-qwertyuiopasdfghjklzx"
    new_key = "new-key-z9x8c7v6b5n4m3l2-rotation-test-only-mnbvcxzlkjhgfdsapoiuy"
    settings_env = {"DJANGO_SETTINGS_MODULE": "gomask.settings"}
    signed = _run_signature_script("sign", env={**settings_env, "SECRET_KEY": old_key})
    assert signed.returncode == 0, signed.stderr
    link_signature, reset_token = signed.stdout.split()

    rotated = {**settings_env, "SECRET_KEY": new_key, "SECRET_KEY_FALLBACKS": old_key}
    checked = _run_signature_script("check", link_signature, reset_token, env=rotated)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.split() == ["42", "True"]

    forgotten = _run_signature_script(
        "check", link_signature, reset_token, env={**settings_env, "SECRET_KEY": new_key}
    )
    assert "BadSignature" in forgotten.stderr


def test_a_malformed_boolean_setting_stops_the_process_with_its_name():
    result = _manage("check", env={"DEBUG": "peut-etre"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_make_test_stops_with_a_clear_message_when_postgresql_is_down():
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/gomask"}
    result = subprocess.run(
        [sys.executable, "scripts/check_services.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "PostgreSQL is not reachable" in result.stderr
    assert "docker compose up -d db redis" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_pages_are_in_french_by_default(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


@pytest.mark.django_db
def test_unknown_pages_get_the_french_404(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "introuvable" in response.content.decode().lower()
