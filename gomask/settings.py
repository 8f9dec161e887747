"""Settings of the GO MASK portal, read from the environment.

Three modes, chosen by GOMASK_ENV:
- development (default): SQLite file, tasks run in-process, console e-mail;
- test: what `make test` uses (PostgreSQL and Redis from DATABASE_URL / REDIS_URL);
- production: refuses to start without SECRET_KEY, ALLOWED_HOSTS and REDIS_URL, HTTPS everywhere.
"""

import copy
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gomask.env import env_bool, env_choice, env_date, env_int, env_list, env_str, per_worker_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent

GOMASK_ENV = env_choice("GOMASK_ENV", "development", {"development", "test", "production"})
PRODUCTION = GOMASK_ENV == "production"

DEBUG = env_bool("DEBUG", default=GOMASK_ENV == "development")

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production (GOMASK_ENV=production).")
    SECRET_KEY = "insecure-development-key-only-for-local-use-never-in-production-0123456789"
# Previous keys, still accepted to check signatures (e-mailed confirmation and password reset
# links, sessions) so that rotating SECRET_KEY does not break the links already sent. New
# signatures use SECRET_KEY only; drop an old key once its links have expired.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Every e-mailed link starts with SITE_URL. Development derives it from the port `make run`
# serves (the Makefile passes PORT to runserver); production must say where it is reachable.
PORT = env_int("PORT", 8000, minimum=1)
SITE_URL = (env_str("SITE_URL") or "").strip().rstrip("/")
if not SITE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SITE_URL must be set in production: the portal's public address, e.g. "
            "https://gomask.example.org (every e-mailed link starts with it)."
        )
    SITE_URL = f"http://127.0.0.1:{PORT}"
elif not re.fullmatch(r"https?://[^/\s?#]+", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL must be a scheme and a host (and port), like https://gomask.example.org, got {SITE_URL!r}"
    )

# The accessibility statement (/accessibilite/, RGAA 4.1): whom to write to, when it was made.
ACCESSIBILITY_CONTACT_EMAIL = env_str("ACCESSIBILITY_CONTACT_EMAIL", "")
ACCESSIBILITY_STATEMENT_DATE = env_date("ACCESSIBILITY_STATEMENT_DATE", "2026-11-30")

INSTALLED_APPS = [
    "gomask.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "leaflet",
    "accounts",
    "territories",
    "pharmacies",
    "professionals",
    "distribution",
    "consultations",
    "notifications",
    "crisis",
    "observatory",
    "referrals",
    "specialists",
    "dashboards",
    "opendata",
    "planning",
    # The project package: composition above every app (sign-up form, seed_demo command).
    "gomask",
    # Sign-in with Pro Santé Connect (an allauth provider; links accounts to professionals).
    "prosanteconnect",
    # Change history of users, pharmacies, professionals, zones, sites, quota policies: after
    # the apps it tracks (audit/admin.py re-registers their admin with a history view).
    "simple_history",
    "audit",
]
# History is read-only: reverting from the admin would bypass the services' rules.
SIMPLE_HISTORY_REVERT_DISABLED = True

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Booking's waiting room in a rush (off unless WAITING_ROOM_ENABLED): a queued client is
    # answered before sessions and the database.
    "consultations.waiting_room.WaitingRoomMiddleware",
    # The open-data feeds answered from the cache before the stack (OPENDATA_FAST_PATH).
    "opendata.fast.FeedFastPathMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions: a cookie, path, query or form field holding a NUL never reaches PostgreSQL.
    "gomask.input_guard.RefuseControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the request's user as the author of every historical row (audit app).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireStaffMfaMiddleware",
    "accounts.middleware.AccountStatusGateMiddleware",
    # Last, so it sees the views' exceptions first: the one HTML error path (403/404/405/409...).
    "gomask.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "gomask.urls"
WSGI_APPLICATION = "gomask.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # `|phone`: stored E.164 numbers shown as people read them.
            "builtins": ["gomask.template_filters"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
if PRODUCTION and not env_str("DATABASE_URL"):
    # The SQLite fallback is for `make run`; a deployment that forgot its URL must not start on
    # an empty local file and lose every write at the next restart of its container.
    raise ImproperlyConfigured("DATABASE_URL must be set in production (postgres://...).")
DATABASES = {
    "default": dj_database_url.parse(
        # An empty value (a compose file's `DATABASE_URL: ${DATABASE_URL:-}`) means "not set".
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0),
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# "session": a direct connection (or session pooling); "transaction": through PgBouncer in
# transaction pooling mode (see gomask/pooled_postgresql/base.py).
DATABASE_POOL_MODE = env_choice("DATABASE_POOL_MODE", "session", {"session", "transaction"})
if USING_POSTGRES:
    # A short lock timeout turns a stuck lock into a clear "busy, try again" answer.
    LOCK_TIMEOUT_MS = env_int("DATABASE_LOCK_TIMEOUT_MS", 5000, minimum=100)
    if DATABASE_POOL_MODE == "transaction":
        # PgBouncer refuses startup options: the backend sets it per transaction instead.
        DATABASES["default"]["ENGINE"] = "gomask.pooled_postgresql"
        DATABASES["default"]["LOCK_TIMEOUT_MS"] = LOCK_TIMEOUT_MS
    else:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c lock_timeout={LOCK_TIMEOUT_MS}"
# A streaming replica for dashboards and exports (gomask/db_routing.py); stock, quotas and
# bookings never read from it. Reached directly, not through the transaction pooler. The
# test settings always declare the alias (a second connection to the test database), so a
# test can switch the reporting reads to it with DATABASE_REPLICA_URL.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL") or None
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0)
    )
elif GOMASK_ENV == "test":
    DATABASES["replica"] = copy.deepcopy(DATABASES["default"])
if "replica" in DATABASES:
    # The test runner points it at the test database instead of creating another one.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["gomask.db_routing.PrimaryReplicaRouter"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite (`make run`) cannot build two things the dashboards' roll-up tables declare for
    # PostgreSQL: covering indexes (W040: the INCLUDE columns only allow index-only scans) and
    # unique constraints where NULLs are not distinct (W047: rows without an EPCI). Neither is
    # needed for correct figures there: the refresh deletes a week's rows and inserts them
    # again in one transaction (dashboards/services.py), so no duplicate row can appear.
    SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker --------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if GOMASK_ENV == "test" and REDIS_URL and env_str("PYTEST_XDIST_WORKER"):
    # `make test` runs the suite in parallel (pytest-xdist): each worker gets its own test
    # database (pytest-django) and its own Redis database, because tests flush the cache
    # (cache.clear() is FLUSHDB), purge the Celery queue and count rate limits. A key prefix
    # would not survive FLUSHDB. Worker gwN uses database (base + 8 + N) mod 16 of REDIS_URL's
    # server: `make test` (base 0) uses 8, 9, ...; the environment is left alone, so a
    # subprocess started by a test derives the same database.
    REDIS_URL = per_worker_redis_url(REDIS_URL, env_str("PYTEST_XDIST_WORKER"))
if PRODUCTION and not REDIS_URL:
    # Without a shared cache every gunicorn worker keeps its own rate-limit counters (login,
    # booking) and geocode cache: limits multiply by the number of processes.
    raise ImproperlyConfigured("REDIS_URL must be set in production (shared cache and rate limits).")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "gomask"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Without a broker (make run), tasks run in-process right after the transaction commits.
# The test suite does the same by default; the delivery tests start a real worker on Redis.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL or GOMASK_ENV == "test"
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged message after this delay; tasks are idempotent.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE: dict = {}

# --- Authentication -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
if GOMASK_ENV == "test":
    # Factories set a password on every user: PBKDF2's million rounds each time made up a
    # large share of the suite's time. Tests do not depend on the hashing algorithm.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:landing"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env_choice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", {"mandatory", "optional", "none"}
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "gomask.signup.SignupForm"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_RATE_LIMIT", "5/5m/ip,5/5m/key"),
    "signup": "20/h/ip",
    "reset_password": "20/h/ip,5/h/key",
}
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: clients connect
# directly). Every per-client limit (failed logins, bookings) counts by gomask.client_ip.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The TOTP step says when a code was already used (allauth only says "incorrect").
MFA_FORMS = {
    "authenticate": "accounts.forms.TotpAuthenticateForm",
    "reauthenticate": "accounts.forms.TotpReauthenticateForm",
}
MFA_TOTP_ISSUER = "GO MASK"
# Roles that must have TOTP enrolled before they can use the portal.
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", ["ars_staff", "admin"])

# --- Pro Santé Connect (national OpenID Connect sign-in of health professionals) ---------
# Enabled when the discovery URL and the client id are set (else no button, no route answers).
# The service's discovery document names its endpoints and keys; the client is registered with
# the ANS with the redirect URL <SITE_URL>/accounts/psc/pro-sante-connect/login/callback/.
PSC_DISCOVERY_URL = (env_str("PSC_DISCOVERY_URL") or "").strip()
PSC_CLIENT_ID = (env_str("PSC_CLIENT_ID") or "").strip()
PSC_CLIENT_SECRET = env_str("PSC_CLIENT_SECRET") or ""
PSC_SCOPES = (env_str("PSC_SCOPES") or "openid scope_all").split()
# Sent as `acr_values` and required of the returned `acr` ("eidas1": CPS card or e-CPS).
PSC_ACR_VALUES = (env_str("PSC_ACR_VALUES", "eidas1") or "").split()
PSC_ENABLED = bool(PSC_DISCOVERY_URL and PSC_CLIENT_ID)
if PSC_ENABLED and not PSC_CLIENT_SECRET:
    raise ImproperlyConfigured("PSC_CLIENT_SECRET must be set when PSC_CLIENT_ID is.")
if PSC_ENABLED and "openid" not in PSC_SCOPES:
    raise ImproperlyConfigured(f"PSC_SCOPES must include openid, got {' '.join(PSC_SCOPES)!r}")


def pro_sante_connect_app(*, discovery_url: str, client_id: str, secret: str, scopes, acr_values) -> dict:
    """The allauth app of Pro Santé Connect (SOCIALACCOUNT_PROVIDERS; tests build their own)."""
    return {
        "provider_id": "pro-sante-connect",
        "name": "Pro Santé Connect",
        "client_id": client_id,
        "secret": secret,
        "settings": {
            "server_url": discovery_url,
            "scope": list(scopes),
            "acr_values": list(acr_values),
            # The national identifier, not the service's opaque `sub`.
            "uid_field": "SubjectNameID",
        },
    }


SOCIALACCOUNT_PROVIDERS = {
    "prosanteconnect": {
        "APPS": [
            pro_sante_connect_app(
                discovery_url=PSC_DISCOVERY_URL,
                client_id=PSC_CLIENT_ID,
                secret=PSC_CLIENT_SECRET,
                scopes=PSC_SCOPES,
                acr_values=PSC_ACR_VALUES,
            )
        ]
        if PSC_ENABLED
        else [],
        "OAUTH_PKCE_ENABLED": True,
    }
}
SOCIALACCOUNT_ADAPTER = "prosanteconnect.adapter.SocialAccountAdapter"
SOCIALACCOUNT_FORMS = {"signup": "prosanteconnect.forms.SocialSignupForm"}
SOCIALACCOUNT_AUTO_SIGNUP = True
# Never link a sign-in to an account because the e-mail addresses match: linking is done by the
# person, signed in, from their account page.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# The identity is proven by the CPS card or e-CPS; the e-mail address is for contact, and gets a
# confirmation link without holding the sign-in back.
SOCIALACCOUNT_EMAIL_VERIFICATION = "optional"
SOCIALACCOUNT_STORE_TOKENS = False
# Sign-ins that count as the second factor of MFA_REQUIRED_ROLES (accounts.access): a
# Pro Santé Connect sign-in whose `acr` was checked (CPS and e-CPS are two-factor themselves).
SECOND_FACTOR_SOCIAL_PROVIDERS = ["pro-sante-connect"] if PSC_ACR_VALUES else []

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic is for production; elsewhere WhiteNoise serves straight from the finders.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail -------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "GO MASK <ne-pas-repondre@gomask.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Maps and geocoding -------------------------------------------------------------
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© contributeurs OpenStreetMap")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (43.9, 2.2),
    "DEFAULT_ZOOM": 7,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    "TILES": [] if not MAP_TILE_URL else [("OSM", MAP_TILE_URL, {"attribution": MAP_TILE_ATTRIBUTION})],
    "RESET_VIEW": False,
}
# "ban": the French Base Adresse Nationale through geopy; "none": commune positions only.
GEOCODER_BACKEND = env_choice("GEOCODER_BACKEND", "ban", {"ban", "none"})
# The BAN answers on the IGN's Géoplateforme since api-adresse.data.gouv.fr closed (January
# 2026); geopy appends /search to this domain-and-path.
GEOCODER_BAN_DOMAIN = env_str("GEOCODER_BAN_DOMAIN", "data.geopf.fr/geocodage")
GEOCODER_BAN_SCHEME = env_choice("GEOCODER_BAN_SCHEME", "https", {"http", "https"})
GEOCODER_TIMEOUT = env_int("GEOCODER_TIMEOUT", 3, minimum=1)
GEOCODER_CACHE_SECONDS = env_int("GEOCODER_CACHE_SECONDS", 30 * 24 * 3600, minimum=0)

# --- Domain defaults ----------------------------------------------------------------
RESERVATION_HOLD = timedelta(hours=env_int("RESERVATION_HOLD_HOURS", 48, minimum=1))
# Options past their expiry release their stock (distribution app), every 5 minutes.
# One-time form tokens (double-submit guard of the stock pages) are forgotten after a week.
CELERY_BEAT_SCHEDULE["kernel-purge-idempotency-keys"] = {
    "task": "gomask.tasks.purge_idempotency_keys",
    "schedule": timedelta(hours=6),
}
CELERY_BEAT_SCHEDULE["distribution-expire-reservations"] = {
    "task": "distribution.tasks.expire_reservations_task",
    "schedule": timedelta(minutes=5),
}

# CPTS crisis console (crisis app): a request for reinforcement asks the available
# professionals within the first radius, then each next radius after the delay.
CRISIS_ESCALATION_MINUTES = env_int("CRISIS_ESCALATION_MINUTES", 15, minimum=1)
CRISIS_REINFORCEMENT_RADII_KM = [
    int(value) for value in env_list("CRISIS_REINFORCEMENT_RADII_KM", ["10", "25", "50"])
]
if (
    not CRISIS_REINFORCEMENT_RADII_KM
    or sorted(set(CRISIS_REINFORCEMENT_RADII_KM)) != CRISIS_REINFORCEMENT_RADII_KM
):
    raise ImproperlyConfigured("CRISIS_REINFORCEMENT_RADII_KM: increasing distances in km, e.g. 10,25,50")
CELERY_BEAT_SCHEDULE["crisis-escalate-requests"] = {
    "task": "crisis.tasks.escalate_reinforcement_requests",
    "schedule": timedelta(minutes=1),
}

# Solidarity consultations (consultations app).
CONSULTATION_SLOT_MINUTES = env_int("CONSULTATION_SLOT_MINUTES", 20, minimum=5)
PRIORITY_WINDOW_HOURS = env_int("PRIORITY_WINDOW_HOURS", 48, minimum=0)
# A slot's priority window closes at the latest this long before the slot starts, so that a
# slot no priority patient took can still be booked by anyone.
PRIORITY_RELEASE_BEFORE_SLOT_HOURS = env_int("PRIORITY_RELEASE_BEFORE_SLOT_HOURS", 24, minimum=1)
MAX_FUTURE_BOOKINGS = env_int("MAX_FUTURE_BOOKINGS", 2, minimum=1)
PATIENT_DATA_RETENTION_DAYS = env_int("PATIENT_DATA_RETENTION_DAYS", 365, minimum=1)
VOLUNTEER_MAX_DAYS_PER_MONTH = env_int("VOLUNTEER_MAX_DAYS_PER_MONTH", 2, minimum=1)
# Booking attempts that could take a slot (valid forms) per client IP per window (fixed window
# counter in the cache); 0 turns it off.
BOOKING_RATE_LIMIT = env_int("BOOKING_RATE_LIMIT", 10, minimum=0)
BOOKING_RATE_WINDOW_SECONDS = env_int("BOOKING_RATE_WINDOW_SECONDS", 600, minimum=1)
# "Tell me when a slot opens" (consultations/alerts.py): alerts per client address per window,
# pending alerts per e-mail or mobile number, and the reach of an alert left for a commune.
SLOT_ALERT_RATE_LIMIT = env_int("SLOT_ALERT_RATE_LIMIT", 5, minimum=0)
SLOT_ALERT_RATE_WINDOW_SECONDS = env_int("SLOT_ALERT_RATE_WINDOW_SECONDS", 3600, minimum=1)
SLOT_ALERT_MAX_PER_CONTACT = env_int("SLOT_ALERT_MAX_PER_CONTACT", 5, minimum=1)
SLOT_ALERT_RADIUS_KM = env_int("SLOT_ALERT_RADIUS_KM", 30, minimum=1)
# The waiting room in front of booking (consultations/waiting_room.py): first come, first
# served, WAITING_ROOM_RATE admissions per second, WAITING_ROOM_BURST straight through while
# nobody waits, and none while WAITING_ROOM_CONCURRENCY admitted requests are in progress
# (all web nodes together: set it below their total workers, so that some are free to answer
# the crowd with its place); an admitted ticket may book for WAITING_ROOM_ADMISSION_SECONDS.
# Needs Redis.
WAITING_ROOM_ENABLED = env_bool("WAITING_ROOM_ENABLED", False)
WAITING_ROOM_RATE = env_int("WAITING_ROOM_RATE", 50, minimum=1)
WAITING_ROOM_BURST = env_int("WAITING_ROOM_BURST", WAITING_ROOM_RATE, minimum=0)
WAITING_ROOM_ADMISSION_SECONDS = env_int("WAITING_ROOM_ADMISSION_SECONDS", 600, minimum=30)
WAITING_ROOM_CONCURRENCY = env_int("WAITING_ROOM_CONCURRENCY", 8, minimum=1)
if WAITING_ROOM_ENABLED and not REDIS_URL:
    raise ImproperlyConfigured("WAITING_ROOM_ENABLED needs REDIS_URL (the queue lives in Redis).")
CELERY_BEAT_SCHEDULE.update(
    {
        "consultations-reminders": {
            "task": "consultations.tasks.send_due_reminders",
            "schedule": timedelta(minutes=30),
        },
        "consultations-purge": {
            "task": "consultations.tasks.purge_patient_data",
            "schedule": timedelta(hours=24),
        },
    }
)

# Second-line specialists (specialists app): requests for advice, encrypted at rest.
# SPECIALISTS_ENCRYPTION_KEY is a Fernet key (`python -c "from cryptography.fernet import
# Fernet; print(Fernet.generate_key().decode())"`); required in production. Old keys still
# decrypt while `manage.py rotate_specialists_key` re-encrypts with the new one.
SPECIALISTS_ENCRYPTION_KEY = env_str("SPECIALISTS_ENCRYPTION_KEY")
if not SPECIALISTS_ENCRYPTION_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SPECIALISTS_ENCRYPTION_KEY must be set in production (a Fernet key: 32 url-safe base64 bytes)."
        )
    SPECIALISTS_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZHVjdGk="
SPECIALISTS_ENCRYPTION_OLD_KEYS = env_list("SPECIALISTS_ENCRYPTION_OLD_KEYS", [])


def _fernet_keys_or_fail(keys: list[str]) -> None:
    from cryptography.fernet import Fernet

    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                "SPECIALISTS_ENCRYPTION_KEY and SPECIALISTS_ENCRYPTION_OLD_KEYS must be Fernet keys "
                "(32 url-safe base64-encoded bytes)."
            ) from exc


_fernet_keys_or_fail([SPECIALISTS_ENCRYPTION_KEY, *SPECIALISTS_ENCRYPTION_OLD_KEYS])


def _circles(value: list[str]) -> list[int]:
    try:
        rings = [int(item) for item in value]
    except ValueError as exc:
        raise ImproperlyConfigured("SPECIALISTS_CIRCLES_KM must be kilometres, e.g. 30,60,120.") from exc
    if not rings or any(b <= a for a, b in zip(rings, rings[1:], strict=False)) or rings[0] < 1:
        raise ImproperlyConfigured(
            "SPECIALISTS_CIRCLES_KM must be increasing positive kilometres, e.g. 30,60,120."
        )
    return rings


SPECIALISTS_CIRCLES_KM = _circles(env_list("SPECIALISTS_CIRCLES_KM", ["30", "60", "120"]))
SPECIALISTS_WIDEN_AFTER_MINUTES = env_int("SPECIALISTS_WIDEN_AFTER_MINUTES", 60, minimum=1)
SPECIALISTS_RETENTION_DAYS = env_int("SPECIALISTS_RETENTION_DAYS", 90, minimum=1)
SPECIALISTS_ATTACHMENT_MAX_BYTES = env_int("SPECIALISTS_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
SPECIALISTS_MAX_ATTACHMENTS = env_int("SPECIALISTS_MAX_ATTACHMENTS", 3, minimum=0)
CELERY_BEAT_SCHEDULE.update(
    {
        "specialists-widen": {"task": "specialists.tasks.widen_requests", "schedule": timedelta(minutes=5)},
        "specialists-purge": {"task": "specialists.tasks.purge_content", "schedule": timedelta(hours=24)},
    }
)

# Notifications (notifications app): outbox relay, arrival window, SMS backend, beat.
NOTIFICATIONS_ARRIVAL_WINDOW = timedelta(hours=env_int("NOTIFICATIONS_ARRIVAL_WINDOW_HOURS", 12, minimum=0))
NOTIFICATIONS_BATCH_SIZE = env_int("NOTIFICATIONS_BATCH_SIZE", 1000, minimum=1)
# A claimed row not marked sent after this long (worker killed mid-send) may be claimed again.
NOTIFICATIONS_CLAIM_TIMEOUT = timedelta(
    seconds=env_int("NOTIFICATIONS_CLAIM_TIMEOUT_SECONDS", 300, minimum=1)
)
# The relay republishes pending rows whose task message was published longer ago than this.
NOTIFICATIONS_REQUEUE_AFTER = timedelta(
    seconds=env_int("NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 120, minimum=0)
)
NOTIFICATIONS_RELAY_SECONDS = env_int("NOTIFICATIONS_RELAY_SECONDS", 30, minimum=1)
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 6, minimum=1)
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 30, minimum=0)
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.sms.ConsoleSmsBackend")
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-relay": {
            "task": "notifications.tasks.relay_outbox",
            "schedule": timedelta(seconds=NOTIFICATIONS_RELAY_SECONDS),
        },
        "notifications-option-reminders": {
            "task": "notifications.tasks.remind_expiring_options",
            "schedule": timedelta(hours=1),
        },
        "notifications-stockout-summary": {
            "task": "notifications.tasks.send_stockout_summaries",
            "schedule": crontab(hour=7, minute=0),
        },
    }
)

# Care sites and referrals (referrals app): a status older than this is shown as stale; a
# site silent for longer is flagged to its CPTS and ARS (once per silence); referral slips are
# deleted after the retention period.
REFERRAL_STALE_HOURS = env_int("REFERRAL_STALE_HOURS", 24, minimum=1)
REFERRAL_SILENT_HOURS = env_int("REFERRAL_SILENT_HOURS", 48, minimum=1)
REFERRAL_RETENTION_DAYS = env_int("REFERRAL_RETENTION_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE.update(
    {
        "referrals-flag-silent-sites": {
            "task": "referrals.tasks.flag_silent_sites",
            "schedule": timedelta(hours=1),
        },
        "referrals-purge-slips": {
            "task": "referrals.tasks.purge_referrals",
            "schedule": timedelta(hours=24),
        },
    }
)

# Regional dashboards (dashboards app): roll-ups refreshed by Celery beat.
DASHBOARD_REFRESH_MINUTES = env_int("DASHBOARD_REFRESH_MINUTES", 10, minimum=1)
CELERY_BEAT_SCHEDULE.update(
    {
        "dashboards-refresh-rollups": {
            "task": "dashboards.tasks.refresh_rollups",
            "schedule": timedelta(minutes=DASHBOARD_REFRESH_MINUTES),
        },
    }
)

# Observatory of access to care (observatory app): recomputed every N hours (nightly by default).
OBSERVATORY_COMPUTE_HOURS = env_int("OBSERVATORY_COMPUTE_HOURS", 24, minimum=1)
CELERY_BEAT_SCHEDULE["observatory-compute-access"] = {
    "task": "observatory.tasks.compute_access",
    "schedule": timedelta(hours=OBSERVATORY_COMPUTE_HOURS),
}

# Planning (planning app): the stock-out forecast and the rebalancing proposals, nightly.
CELERY_BEAT_SCHEDULE["planning-refresh-forecast"] = {
    "task": "planning.tasks.refresh_forecast_task",
    "schedule": crontab(hour=2, minute=30),
}

# Open-data feeds (opendata app): checked for changes at most every N seconds, rate limit per
# client address (requests per window; 0 turns it off).
OPENDATA_REFRESH_SECONDS = env_int("OPENDATA_REFRESH_SECONDS", 30, minimum=1)
OPENDATA_FULL_REFRESH_SECONDS = env_int("OPENDATA_FULL_REFRESH_SECONDS", 600, minimum=1)
OPENDATA_RATE_LIMIT = env_int("OPENDATA_RATE_LIMIT", 120, minimum=0)
OPENDATA_RATE_WINDOW_SECONDS = env_int("OPENDATA_RATE_WINDOW_SECONDS", 60, minimum=1)
# Answer GET requests on the feeds before the middleware stack (opendata/fast.py).
OPENDATA_FAST_PATH = env_bool("OPENDATA_FAST_PATH", True)

# --- REST API -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous call gets 401 with a WWW-Authenticate header.
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "gomask.api.exception_handler",
    # Bounded size and depth, control characters refused (gomask/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "gomask.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Request bodies (forms and the API's JSON) beyond this are refused with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
SPECTACULAR_SETTINGS = {
    "TITLE": "GO MASK API",
    "DESCRIPTION": "API du portail de coordination des soins ambulatoires (stocks, options, délivrances).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files (the sidecar package), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two "status" choice sets (an option's, a request for advice's): one name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ReservationStatusEnum": "distribution.models.ReservationStatus",
        "AdviceRequestStatusEnum": "specialists.models.RequestStatus",
        "ArrivalSourceEnum": "pharmacies.models.ArrivalSource",
        "ShipmentSourceEnum": "distribution.models.ShipmentSource",
    },
}

# --- Security -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"


# Content-Security-Policy (django-csp): scripts and styles from our own static files only, no
# inline script, style element or style attribute; images also from the map tile server.
def _tile_origin(url: str) -> list[str]:
    from urllib.parse import urlsplit

    if not url:
        return []
    parts = urlsplit(url.replace("{s}.", "*."))
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the TOTP QR code and Leaflet's/Swagger UI's inline icons.
        "img-src": [SELF, "data:", *_tile_origin(MAP_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # The Pro Santé Connect button posts to the portal, which redirects to the service's
        # authorization page: browsers check that redirect against form-action too.
        "form-action": [SELF, *(_tile_origin(PSC_DISCOVERY_URL) if PSC_ENABLED else [])],
        "frame-ancestors": [NONE],
        "report-uri": env_list("CSP_REPORT_URI", []) or None,
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
