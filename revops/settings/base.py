"""Settings, read from the environment.

Every value that differs between a laptop and production comes from an environment
variable. The embedded default (nothing set) is a SQLite file in the project directory
with Celery tasks run eagerly in-process, so a first run needs no services.
A malformed or missing production value raises ImproperlyConfigured at start-up.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A DRF rate ("100/min"); "off" disables that limit."""
    raw = (os.environ.get(name) or default).strip().lower()
    if raw in {"off", "none", "0"}:
        return None
    count, _, period = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate (e.g. 100/min, 10/hour, or off).")
    return raw


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (production), "
            "or DEBUG=1 for a development run with the built-in development key."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "revops",
    "accounts",
    "playbooks",
    "stakeholders",
    "forecasting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # the signed-in user of a request becomes the author of the history rows its saves write
    "simple_history.middleware.HistoryRequestMiddleware",
    "revops.middleware.SessionExpiryMiddleware",
    "revops.middleware.LoginRequiredMiddleware",
    "revops.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "revops.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "revops.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "revops.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'revops.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a competing writer (e.g. an import running in another process) instead of
    # failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a query when its *estimated* cost is high. Recursive CTEs (hierarchy
    # roll-ups) and per-row subqueries are estimated far above their real cost, so JIT would spend
    # seconds compiling queries that run in milliseconds (measured: account list 16 s → 1.6 s).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Log-ins go through the throttled backend: repeated failures lock the username and the client
# address for a while (revops/throttling.py), on every login form (pages, admin, API browser).
AUTHENTICATION_BACKENDS = ["revops.throttling.ThrottledModelBackend"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves files straight from the app directories.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
# Uploaded CSV files can be large exports; the import job streams them from disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Without a broker the app is self-contained: tasks run in-process, right away.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A Celery worker keeps the resolution context (company names, domains, the name index: a few hundred
# MB per pool process at 100k companies) between runs, checked against the database before each run.
RESOLUTION_KEEP_CONTEXT = env_bool("RESOLUTION_KEEP_CONTEXT", True)
# Account resolution nightly, in full: about a minute for a million users, and it also catches what
# leaves no timestamp for an incremental run (a removed workspace membership). Imports and product
# events queue incremental runs in between.
CELERY_BEAT_SCHEDULE = {
    "account-resolution-nightly": {
        "task": "accounts.tasks.resolution_nightly_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "stakeholders-weekly-digest": {
        "task": "stakeholders.tasks.weekly_digest_task",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "playbooks-schedule-check": {
        "task": "playbooks.tasks.playbooks_schedule_check_task",
        "schedule": crontab(minute="*/5"),
    },
    "forecast-run-weekly": {
        "task": "forecasting.tasks.forecast_run_scheduled_task",
        "schedule": crontab(hour=4, minute=0, day_of_week="mon"),
    },
    "forecast-snapshot-weekly": {
        "task": "forecasting.tasks.forecast_snapshot_task",
        "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
    },
    "compensation-nightly": {
        "task": "forecasting.compensation.tasks.comp_calculate_open_task",
        "schedule": crontab(hour=3, minute=15),
    },
}
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"

# --- Cache: login throttling and API rate limits -------------------------------------------
# One shared Redis for every web process in production (CACHE_URL, or REDIS_URL); without it each
# process keeps its own counters in memory, which is right for one process and too lenient for many.
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or ""
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r} is not a Redis URL (redis://host:6379/1).")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "revops",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "revops"}}

# Proxies in front of the app that append to X-Forwarded-For (0: use the connection's address).
# The client address keys the per-address login lock and the anonymous API rate.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous request gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["revops.permissions.IsAuthenticatedReadAdminWrite"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "revops.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "revops.api.exception_handler",
    # Rates come from API_THROTTLE_RATES (below), read per request so they can be changed in tests.
    "DEFAULT_THROTTLE_CLASSES": ["revops.throttling.AnonApiThrottle", "revops.throttling.UserApiThrottle"],
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "revops API",
    "DESCRIPTION": "Accounts, product data, playbooks, stakeholders, forecasts and compensation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status" or "role" field with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "WorkspaceStatusEnum": "accounts.models.Workspace.Status",
        "StatementStatusEnum": "forecasting.models.Statement.Status",
        "ForecastRunStatusEnum": "forecasting.models.ForecastRun.Status",
        "PlaybookStepRoleEnum": "playbooks.models.PlaybookStep.Role",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "revops.api.document_error_responses",
    ],
}

# --- Audit history (django-simple-history) -----------------------------------------------------
# Read-only: history is shown, never "reverted" from the admin (a revert would bypass the services'
# validation and side effects, e.g. recalculating statements).
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "revops@localhost")

# --- Security (production: DEBUG off) ------------------------------------------------------
# Idle expiry: a session unused this long ends (revops.middleware.SessionExpiryMiddleware keeps
# an active one alive). SESSION_MAX_AGE ends any session that long after log-in, active or not.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8)
SESSION_MAX_AGE = env_int("SESSION_MAX_AGE", 60 * 60 * 24 * 7)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if SESSION_COOKIE_AGE < 60 or SESSION_MAX_AGE < SESSION_COOKIE_AGE:
    raise ImproperlyConfigured("SESSION_COOKIE_AGE must be ≥ 60 seconds and SESSION_MAX_AGE ≥ SESSION_COOKIE_AGE.")

# Login throttling (revops/throttling.py): LOGIN_FAILURE_LIMIT failed log-ins for one username, or
# LOGIN_FAILURE_LIMIT_PER_ADDRESS from one client address (offices share an address, hence higher),
# within LOGIN_FAILURE_WINDOW seconds lock that username / address for LOGIN_LOCKOUT_SECONDS.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", 20)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)


# API rate limits (revops/throttling.py): per client address for anonymous requests, per user for
# authenticated ones, and for creating API tokens (pages and API together).
API_THROTTLE_RATES = {
    "anon": env_rate("API_THROTTLE_ANON", "60/min"),
    "user": env_rate("API_THROTTLE_USER", "3000/min"),
    "api_token": env_rate("API_THROTTLE_TOKEN", "10/hour"),
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters with at least 5 distinct ones.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Demo data of the other areas, seeded after the accounts data by `seed_demo` (module paths with
# demo_seed() and demo_summary(); see accounts/services/demo/__init__.py).
REVOPS_DEMO_EXTENSIONS: list[str] = [
    "stakeholders.services.demo",
    "forecasting.services.demo",
    "forecasting.services.forecast_demo",  # the consumption forecast over the demo usage and contracts
    "forecasting.compensation.demo",  # after "forecasting.services.demo": it credits that module's deals
    "playbooks.services.demo",  # its signals read the stakeholder and forecasting demo data
    "revops.history_demo",  # last: changes by the demo people, recorded in the audit history
]
