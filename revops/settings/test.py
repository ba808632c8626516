"""Settings for the test suite: the base settings with fast, local, deterministic pieces.

DATABASE_URL still decides the database (SQLite when unset, PostgreSQL in CI).
"""
import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run tasks in-process; the Celery integration tests switch to the real broker themselves.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
DEBUG = False
# Serve static files straight from the app directories (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# API rate limits off for the suite (tests that check them set API_THROTTLE_RATES themselves);
# login throttling stays on, as in production.
API_THROTTLE_RATES = {"anon": None, "user": None, "api_token": None}
# A private name-ranking cache per test run, so tests neither reuse a developer's (or a benchmark's)
# cached rankings nor push them out of the shared cache directory.
import tempfile  # noqa: E402

RESOLUTION_CACHE_DIR = tempfile.mkdtemp(prefix="revops-test-resolution-cache-")
