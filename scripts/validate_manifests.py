"""Validate every Kubernetes manifest under deploy/kubernetes/, offline.

- Built-in kinds (Deployment, Job, Ingress, HorizontalPodAutoscaler...) against the
  Kubernetes OpenAPI schemas shipped by the PyPI package kubernetes-validate, strictly: an
  unknown or misspelt field fails.
- CloudNativePG kinds (Cluster, Pooler) against the operator's CRD schemas, compiled in the npm
  package @kubernetes-models/cloudnative-pg (deploy/kubernetes/validation/, run with node).
- Kustomizations: every listed resource exists, every `replicas` and `images` entry names a
  Deployment or container image of the base, and every manifest of a directory is listed.

Usage: python scripts/validate_manifests.py [DIRECTORY] (default deploy/kubernetes).
Exit status 1 with one line per problem.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES_VERSION = "1.31"
CNPG_GROUP = "postgresql.cnpg.io/"
VALIDATION_PACKAGE = ROOT / "deploy" / "kubernetes" / "validation"


def documents(directory: Path):
    for path in sorted(directory.rglob("*.yaml")):
        if "node_modules" in path.parts:
            continue
        for index, document in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if document:
                yield f"{path.relative_to(directory)}#{index}", path, document


def check_builtin(source: str, document: dict) -> list[str]:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{source}: {error.message} (at {'/'.join(map(str, error.path)) or 'top'})"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{source}: no Kubernetes schema for {document.get('apiVersion')}/{document.get('kind')}"]
    return []


def install_validation_packages() -> None:
    """npm packages of deploy/kubernetes/validation/ (schemas), installed from their lock once, and
    again when the lock changed (a package added since the last install)."""
    installed = VALIDATION_PACKAGE / "node_modules" / ".package-lock.json"
    locked = VALIDATION_PACKAGE / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < locked.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=VALIDATION_PACKAGE,
            check=True,
        )


def check_cnpg(resources: list[tuple[str, dict]]) -> list[str]:
    if not resources:
        return []
    install_validation_packages()
    payload = json.dumps([{"source": source, "document": document} for source, document in resources])
    result = subprocess.run(
        [shutil.which("node") or "node", "validate_cnpg.js"],
        cwd=VALIDATION_PACKAGE,
        input=payload,
        capture_output=True,
        text=True,
    )
    lines = result.stdout.splitlines()
    problems = [line.removeprefix("error ") for line in lines if line.startswith("error ")]
    if result.returncode and not problems:
        problems.append(f"CloudNativePG validation failed: {result.stderr.strip()}")
    return problems


def base_names(kustomization_dir: Path, seen=None) -> tuple[set[str], set[str]]:
    """Deployment names and container images defined under a kustomization, bases included."""
    seen = seen or set()
    deployments, images = set(), set()
    kustomization = yaml.safe_load((kustomization_dir / "kustomization.yaml").read_text(encoding="utf-8"))
    for entry in kustomization.get("resources", []):
        target = (kustomization_dir / entry).resolve()
        if target in seen:
            continue
        seen.add(target)
        if target.is_dir():
            more_deployments, more_images = base_names(target, seen)
            deployments |= more_deployments
            images |= more_images
        elif target.exists():
            for document in yaml.safe_load_all(target.read_text(encoding="utf-8")):
                if not document:
                    continue
                if document.get("kind") == "Deployment":
                    deployments.add(document["metadata"]["name"])
                spec = document.get("spec", {}).get("template", {}).get("spec", {})
                images |= {container["image"] for container in spec.get("containers", [])}
    return deployments, images


def check_kustomization(source: str, path: Path, document: dict) -> list[str]:
    directory = path.parent
    problems = []
    listed = set()
    for entry in document.get("resources", []):
        target = (directory / entry).resolve()
        listed.add(target)
        if not target.exists():
            problems.append(f"{source}: resource {entry} does not exist")
    for manifest in directory.glob("*.yaml"):
        if manifest.name != "kustomization.yaml" and manifest.resolve() not in listed:
            problems.append(f"{source}: {manifest.name} is in the directory but not listed")
    if problems:
        return problems
    deployments, images = base_names(directory)
    for replica in document.get("replicas", []):
        if replica["name"] not in deployments:
            problems.append(f"{source}: replicas names {replica['name']}, which is no Deployment")
    for image in document.get("images", []):
        if image["name"] not in images:
            problems.append(f"{source}: images names {image['name']}, which no container uses")
    return problems


def validate(directory: Path) -> tuple[int, list[str]]:
    problems, cnpg, count = [], [], 0
    for source, path, document in documents(directory):
        count += 1
        if document.get("kind") == "Kustomization":
            problems += check_kustomization(source, path, document)
        elif str(document.get("apiVersion", "")).startswith(CNPG_GROUP):
            cnpg.append((source, document))
        else:
            problems += check_builtin(source, document)
    problems += check_cnpg(cnpg)
    return count, problems


def main(argv: list[str]) -> int:
    directory = Path(argv[1]) if len(argv) > 1 else ROOT / "deploy" / "kubernetes"
    count, problems = validate(directory.resolve())
    for problem in problems:
        print(problem)
    print(
        f"{count} manifests checked against Kubernetes {KUBERNETES_VERSION} and CloudNativePG schemas: "
        f"{len(problems)} problem(s)."
    )
    return 1 if problems or not count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
