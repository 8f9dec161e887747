"""The Kubernetes manifests under deploy/kubernetes/ are valid offline, and the validator fails
on the mistakes it exists to catch (each case a broken copy of a real manifest)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
VALIDATOR = ROOT / "scripts" / "validate_manifests.py"


def validate(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VALIDATOR), str(directory)], capture_output=True, text=True)


def manifest(name: str) -> dict:
    return yaml.safe_load((MANIFESTS / "base" / name).read_text(encoding="utf-8"))


@pytest.fixture
def broken_copy(tmp_path):
    """A copy of deploy/kubernetes (without node_modules) to break one thing in."""
    target = tmp_path / "kubernetes"
    shutil.copytree(MANIFESTS, target, ignore=shutil.ignore_patterns("node_modules", "validation"))
    return target


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_manifest_of_the_repository_is_valid():
    result = validate(MANIFESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problem(s)" in result.stdout


def test_a_misspelt_field_of_a_deployment_fails(broken_copy):
    rewrite(broken_copy / "base" / "web-deployment.yaml", "  replicas: 3", "  replica: 3")
    result = validate(broken_copy)
    assert result.returncode == 1
    assert "web-deployment.yaml" in result.stdout and "replica" in result.stdout


def test_a_wrong_type_in_a_probe_fails(broken_copy):
    rewrite(broken_copy / "base" / "web-deployment.yaml", "periodSeconds: 15", "periodSeconds: often")
    assert validate(broken_copy).returncode == 1


def test_a_wrong_pool_mode_of_the_operator_pooler_fails(broken_copy):
    rewrite(broken_copy / "base" / "postgres-pooler.yaml", "poolMode: transaction", "poolMode: transactions")
    result = validate(broken_copy)
    assert result.returncode == 1
    assert "postgres-pooler.yaml" in result.stdout and "poolMode" in result.stdout


def test_a_kustomization_listing_a_missing_file_or_an_unknown_deployment_fails(broken_copy):
    rewrite(broken_copy / "base" / "kustomization.yaml", "  - ingress.yaml", "  - ingres.yaml")
    rewrite(
        broken_copy / "overlays" / "france" / "kustomization.yaml",
        "name: gomask-worker",
        "name: gomask-workers",
    )
    output = validate(broken_copy).stdout
    assert "resource ingres.yaml does not exist" in output
    assert "ingress.yaml is in the directory but not listed" in output


def test_an_overlay_scaling_an_unknown_deployment_fails(broken_copy):
    rewrite(
        broken_copy / "overlays" / "france" / "kustomization.yaml",
        "name: gomask-worker",
        "name: gomask-workers",
    )
    output = validate(broken_copy).stdout
    assert "replicas names gomask-workers, which is no Deployment" in output


def test_probes_call_the_portals_health_endpoints():
    container = manifest("web-deployment.yaml")["spec"]["template"]["spec"]["containers"][0]
    assert resolve(container["livenessProbe"]["httpGet"]["path"]).url_name == "liveness"
    assert resolve(container["readinessProbe"]["httpGet"]["path"]).url_name == "readiness"


def test_exactly_one_beat_and_migrations_through_a_session_not_the_pooler():
    beat = manifest("beat-deployment.yaml")["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"
    job_env = manifest("migrate-job.yaml")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "DATABASE_POOL_MODE", "value": "session"} in job_env


def test_every_configured_variable_is_one_the_settings_read():
    settings_source = (ROOT / "gomask" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', settings_source))
    configured = set(manifest("configmap.yaml")["data"])
    secret = yaml.safe_load((MANIFESTS / "secret.example.yaml").read_text(encoding="utf-8"))
    configured |= set(secret["stringData"]) - {"DATABASE_DIRECT_URL"}  # read by the migrate Job only
    assert configured - read == set()
    assert manifest("configmap.yaml")["data"]["TRUSTED_PROXY_COUNT"] == "1"
