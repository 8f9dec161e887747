"""SITE_URL (the start of every e-mailed link) follows the served port in development and is
required in production; `make run`'s SQLite configuration passes the system checks silently."""

import os
import subprocess
import sys
from pathlib import Path

# One file per pytest-xdist worker: two workers must not share a scratch database.
SCRATCH_SQLITE = (
    f"sqlite:////tmp/gomask-site-url-check-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.sqlite3"
)

ROOT = Path(__file__).resolve().parents[2]
PRINT_SITE_URL = "from django.conf import settings; print(settings.SITE_URL)"


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "GOMASK_ENV", "SITE_URL", "PORT", "DATABASE_URL", "REDIS_URL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": SCRATCH_SQLITE, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_development_links_point_at_the_port_make_run_serves():
    result = _manage(
        "shell", "--no-imports", "-c", PRINT_SITE_URL, env={"GOMASK_ENV": "development", "PORT": "8105"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8105"


def test_an_explicit_site_url_wins_without_its_trailing_slash():
    env = {"GOMASK_ENV": "development", "PORT": "8105", "SITE_URL": "https://gomask.example.org/"}
    result = _manage("shell", "--no-imports", "-c", PRINT_SITE_URL, env=env)
    assert result.stdout.strip() == "https://gomask.example.org"


def test_make_run_passes_its_port_to_the_settings():
    result = subprocess.run(
        ["make", "-n", "--always-make", "run", "PORT=8105"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "PORT=8105 .venv/bin/python manage.py runserver 127.0.0.1:8105" in result.stdout


def test_production_refuses_to_start_without_site_url():
    env = {
        "GOMASK_ENV": "production",
        "SECRET_KEY": "x7!kq2-production-like-secret-key-for-the-deploy-check-only-4f9a1c",
        "ALLOWED_HOSTS": "gomask.example.org",
    }
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SITE_URL must be set in production" in result.stderr


def test_a_site_url_with_a_path_or_without_scheme_stops_the_process_with_its_name():
    for value in ("gomask.example.org", "https://gomask.example.org/portail"):
        result = _manage("check", env={"GOMASK_ENV": "development", "SITE_URL": value})
        assert result.returncode != 0
        assert "SITE_URL must be a scheme and a host" in result.stderr


def test_the_make_run_configuration_passes_the_system_checks_without_a_warning():
    result = _manage("check", "--fail-level", "WARNING", env={"GOMASK_ENV": "development"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
