"""Typed access to environment variables that fails loudly on bad values.

A misspelt boolean or a non-numeric port must stop the process at start-up with a
message naming the variable, not surface later as an odd behaviour.
"""

import os
from datetime import date
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def env_date(name: str, default: str) -> date:
    value = os.environ.get(name, default)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from exc


def per_worker_redis_url(url: str, worker: str) -> str:
    """REDIS_URL for the pytest-xdist worker `worker` ("gw0", "gw1", ...): the same server,
    database (base + 8 + N) mod 16, so that parallel workers never share a database and stay
    clear of the base databases 0-7 that other local runs may use."""
    index = int(worker.removeprefix("gw") or 0)
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 8 + index) % 16}"))
