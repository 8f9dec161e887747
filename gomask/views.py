from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from notifications.selectors import public_bulletins

BROKER_TIMEOUT_SECONDS = 2
READINESS_CACHE_KEY = "gomask:readiness"


@require_GET
def home(request):
    """Public home page: who the portal is for; public ARS bulletins."""
    return render(request, "home.html", {"public_bulletins": public_bulletins()})


@require_GET
def accessibility_statement(request):
    """Public: the RGAA accessibility statement, linked from every page's footer."""
    context = {
        "site_url": settings.SITE_URL,
        "contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
        "statement_date": settings.ACCESSIBILITY_STATEMENT_DATE,
    }
    return render(request, "accessibility.html", context)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, none is raised
        return f"error: {exc.__class__.__name__}"


def _broker_status() -> str:
    """Through kombu, Celery's transport layer, so every broker URL the workers accept
    (redis://, rediss://, sentinel:// with its transport options) is checked the same way."""
    if not settings.CELERY_BROKER_URL:
        return "in-process"
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
        ) as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"


def _cache_status() -> str:
    # Rate limits and geocodes live in the cache; a write then a read proves it answers.
    try:
        cache.set(READINESS_CACHE_KEY, "ok", 10)
        return "ok" if cache.get(READINESS_CACHE_KEY) == "ok" else "error: not stored"
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"


@never_cache
@require_GET
def liveness(request):
    """Liveness probe, open to everyone: the process answers. It checks no dependency, so an
    orchestrator does not restart every replica because the database or Redis is down."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readiness(request):
    """Readiness probe, open to everyone (load balancers): database, broker and cache
    reachability, no details. 503 takes the replica out of rotation until they answer."""
    checks = {"database": _database_status(), "broker": _broker_status(), "cache": _cache_status()}
    ready = all(value in {"ok", "in-process"} for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "error", **checks}, status=200 if ready else 503)
