"""Security settings and behaviour: production settings, login throttling, CSRF, session expiry and
API rate limits — through real URLs, checking the session and the database afterwards."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from revops.middleware import SESSION_REFRESHED_KEY, SESSION_STARTED_KEY
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-for-tests-only"  # the factory's password
LOGIN = "/login/"
PAGE = "/accounts/"
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x7" * 40 + "abcdefghij", "ALLOWED_HOSTS": "revops.example.com"}


@pytest.fixture(autouse=True)
def _empty_cache():
    # Locks and counters live in the (process-wide) cache: every test starts and ends without any.
    cache.clear()
    yield
    cache.clear()


def _env(overrides: dict) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "CACHE_URL", "REDIS_URL"}
        and not k.startswith(("SESSION_", "API_THROTTLE_", "LOGIN_"))
    }
    return {**env, **overrides}


def _settings_under(env: dict, *names: str) -> subprocess.CompletedProcess:
    """Load revops.settings.base in a fresh interpreter with this environment; print the named settings."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env({"DJANGO_SETTINGS_MODULE": "revops.settings.base", **env}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


# --- production settings ------------------------------------------------------------------


def test_production_settings_use_https_only_cookies_hsts_and_no_debug():
    result = _settings_under(
        PRODUCTION,
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS",
        "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "CACHES",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SESSION_COOKIE_AGE"] == 8 * 3600 and values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is False
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_security_deploy_checks_are_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"],
        cwd=ROOT, env=_env(PRODUCTION), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_session_expiry_cache_and_rates_come_from_the_environment():
    result = _settings_under(
        {**PRODUCTION, "SESSION_COOKIE_AGE": "900", "SESSION_EXPIRE_AT_BROWSER_CLOSE": "1", "SESSION_MAX_AGE": "3600",
         "CACHE_URL": "redis://cache.internal:6379/3", "API_THROTTLE_USER": "100/min", "API_THROTTLE_TOKEN": "off"},
        "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "SESSION_MAX_AGE", "CACHES", "API_THROTTLE_RATES",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)

    assert values["SESSION_COOKIE_AGE"] == 900
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["SESSION_MAX_AGE"] == 3600
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/3"
    assert values["API_THROTTLE_RATES"] == {"anon": "60/min", "user": "100/min", "api_token": None}


def test_secrets_are_read_from_the_environment_only():
    secret = "s3cr3t-" * 10
    result = _settings_under(
        {**PRODUCTION, "SECRET_KEY": secret, "DATABASE_URL": "postgres://revops:db-pass-from-env@db.internal:5432/revops"},
        "SECRET_KEY", "DATABASES",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["SECRET_KEY"] == secret
    assert values["DATABASES"]["default"]["PASSWORD"] == "db-pass-from-env"
    # The only literal key in the settings is the development one, used only with DEBUG on.
    source = (ROOT / "revops/settings/base.py").read_text()
    literals = re.findall(r'SECRET_KEY = "([^"]*)"', source)
    assert literals == ["django-insecure-development-only-key-do-not-use-in-production"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be at least 50 characters"),
        ({"CACHE_URL": "memcached://127.0.0.1:11211"}, "is not a Redis URL"),
        ({"API_THROTTLE_USER": "lots"}, "API_THROTTLE_USER='lots' is not a rate"),
        ({"SESSION_COOKIE_AGE": "soon"}, "SESSION_COOKIE_AGE='soon' is not an integer"),
        ({"SESSION_COOKIE_AGE": "7200", "SESSION_MAX_AGE": "3600"}, "SESSION_MAX_AGE ≥ SESSION_COOKIE_AGE"),
    ],
)
def test_malformed_security_settings_stop_the_start(overrides, message):
    result = _settings_under({**PRODUCTION, **overrides}, "DEBUG")
    assert result.returncode != 0
    assert message in result.stderr


# --- login throttling -----------------------------------------------------------------------


@pytest.mark.django_db
def test_five_failed_logins_lock_the_username_even_for_the_right_password(client, rep):
    for _ in range(4):
        response = _login(client, "ravi.rep", "wrong")
        assert response.status_code == 200
        assert "didn&#x27;t match" in response.content.decode() or "correct username" in response.content.decode()

    fifth = _login(client, "ravi.rep", "wrong")
    right_password = _login(client, "ravi.rep", PASSWORD)

    assert fifth.status_code == 429
    assert "Too many failed log-ins" in fifth.content.decode()
    assert right_password.status_code == 429
    assert "Log-in is locked for 15 more minute(s)" in right_password.content.decode()
    assert _logged_in_as(client) is None


@pytest.mark.django_db
def test_the_lock_ends_after_the_lockout_period(client, rep, settings):
    settings.LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(5):
        _login(client, "ravi.rep", "wrong")
    assert _login(client, "ravi.rep", PASSWORD).status_code == 429

    time.sleep(1.2)
    response = _login(client, "ravi.rep", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == str(rep.pk)


@pytest.mark.django_db
def test_a_successful_login_forgets_earlier_failures_of_that_username(client, rep):
    for _ in range(4):
        _login(client, "ravi.rep", "wrong")
    assert _login(client, "ravi.rep", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "ravi.rep", "wrong")

    assert _login(client, "ravi.rep", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_changing_the_case_of_the_username_gives_no_extra_attempts(client, rep):
    for username in ("ravi.rep", "Ravi.Rep", "RAVI.REP", "ravi.REP", "Ravi.rep"):
        _login(client, username, "wrong")

    assert _login(client, "ravi.rep", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_failures_from_one_address_lock_that_address_for_every_username(rep, rep2, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for username in ("nobody", "someone", "admin"):
        _login(attacker, username, "guess")

    same_address = _login(attacker, "rosa.rep", PASSWORD)
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    other_address = _login(elsewhere, "rosa.rep", PASSWORD)

    assert same_address.status_code == 429
    assert _logged_in_as(attacker) is None
    assert other_address.status_code == 302
    assert _logged_in_as(elsewhere) == str(rep2.pk)


@pytest.mark.django_db
def test_x_forwarded_for_is_trusted_only_behind_configured_proxies(rep, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 2
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    # No proxy configured: a forged header does not give each attempt a fresh address.
    for forged in ("192.0.2.1", "192.0.2.2"):
        _login(proxy, "nobody", "guess", HTTP_X_FORWARDED_FOR=forged)
    assert _login(proxy, "ravi.rep", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.3").status_code == 429

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # Behind one proxy: the address it appended is the client's, so one client's failures do not lock others.
    for _ in range(2):
        _login(proxy, "nobody", "guess", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert _login(proxy, "ravi.rep", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert _login(proxy, "ravi.rep", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.9").status_code == 302


@pytest.mark.django_db
def test_a_locked_username_cannot_log_in_through_the_admin_or_the_api_browser(client, admin_user):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    for _ in range(5):
        _login(client, "ada.admin", "wrong")

    admin = client.post("/admin/login/?next=/admin/", {"username": "ada.admin", "password": PASSWORD})
    api_browser = client.post("/api/v1/auth/login/", {"username": "ada.admin", "password": PASSWORD})

    assert admin.status_code == 200  # the form again, not the redirect of a log-in
    assert api_browser.status_code == 200
    assert _logged_in_as(client) is None


@pytest.mark.django_db
def test_failed_admin_logins_count_towards_the_lock(client, rep):
    for _ in range(5):
        client.post("/admin/login/", {"username": "ravi.rep", "password": "wrong"})

    assert _login(client, "ravi.rep", PASSWORD).status_code == 429


@pytest.mark.redis
@pytest.mark.django_db
def test_locks_are_shared_through_redis_when_configured(require_redis, settings, rep):
    import redis

    url = urlparse(require_redis)
    location = f"redis://{url.hostname or '127.0.0.1'}:{url.port or 6379}/13"  # a database of its own
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "revops-test-security",
        }
    }
    cache.clear()
    try:
        for _ in range(5):
            _login(Client(), "ravi.rep", "wrong")

        # Another client is refused too, and the lock is in Redis, where every web process sees it.
        assert _login(Client(), "ravi.rep", PASSWORD).status_code == 429
        keys = [key.decode() for key in redis.Redis.from_url(location).keys("revops-test-security*")]
        assert any(key.endswith(":locked") and ":login:user:" in key for key in keys)
    finally:
        cache.clear()


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_post_without_the_csrf_token_is_refused(rep):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)

    response = browser.post("/settings/api-access/", {"action": "rotate"})

    assert response.status_code == 403
    assert not Token.objects.filter(user=rep).exists()


@pytest.mark.django_db
def test_the_login_form_needs_the_csrf_token(rep):
    browser = Client(enforce_csrf_checks=True)

    response = _login(browser, "ravi.rep", PASSWORD)

    assert response.status_code == 403
    assert _logged_in_as(browser) is None


@pytest.mark.django_db
def test_htmx_requests_send_the_token_from_the_page(rep):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)
    page = browser.get("/settings/api-access/").content.decode()
    token = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", page).group(1)

    refused = browser.post("/settings/api-access/", {"action": "rotate"}, HTTP_HX_REQUEST="true")
    accepted = browser.post("/settings/api-access/", {"action": "rotate"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Token.objects.filter(user=rep).count() == 1


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    missing = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            opening = match.group(0)[: match.group(0).index(">") + 1]
            if re.search(r"""method=["']?post""", opening, flags=re.I) and "{% csrf_token %}" not in match.group(1):
                missing.append(f"{template.relative_to(ROOT)}: {opening[:80]}")
    assert missing == []
    base = (ROOT / "templates/base.html").read_text()
    assert """hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base  # every hx-post/hx-delete sends it


# --- session expiry ---------------------------------------------------------------------------


def _session(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
def test_an_idle_session_expires_after_session_cookie_age(rep_client):
    assert rep_client.get(PAGE).status_code == 200
    Session.objects.filter(pk=_session(rep_client).pk).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))

    response = rep_client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_an_active_session_is_kept_alive(rep_client, settings):
    rep_client.get(PAGE)
    session = rep_client.session
    session[SESSION_REFRESHED_KEY] = time.time() - 301  # last refreshed more than 5 minutes ago
    session.save()
    Session.objects.filter(pk=session.session_key).update(expire_date=timezone.now() + timezone.timedelta(seconds=60))

    assert rep_client.get(PAGE).status_code == 200

    remaining = (_session(rep_client).expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 30 < remaining <= settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_a_recently_refreshed_session_is_not_written_on_every_request(rep_client):
    rep_client.get(PAGE)
    before = _session(rep_client).expire_date

    rep_client.get(PAGE)

    assert _session(rep_client).expire_date == before


@pytest.mark.django_db
def test_a_session_ends_at_its_maximum_age_even_when_active(rep_client, settings):
    rep_client.get(PAGE)
    session = rep_client.session
    session[SESSION_STARTED_KEY] = time.time() - settings.SESSION_MAX_AGE - 1
    session.save()

    response = rep_client.get(PAGE)

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Session.objects.filter(session_key=session.session_key).exists()


# --- API rate limits --------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_requests_are_limited_per_user(rep, rep2, settings):
    settings.API_THROTTLE_RATES = {"anon": None, "user": "3/min", "api_token": None}
    key = Token.objects.create(user=rep).key
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")

    statuses = [api.get("/api/v1/companies/").status_code for _ in range(4)]
    other = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=rep2).key}").get("/api/v1/companies/")

    assert statuses == [200, 200, 200, 429]
    assert int(api.get("/api/v1/companies/")["Retry-After"]) > 0
    assert other.status_code == 200


@pytest.mark.django_db
def test_anonymous_api_requests_are_limited_per_address(settings):
    settings.API_THROTTLE_RATES = {"anon": "1/min", "user": None, "api_token": None}

    first = Client(REMOTE_ADDR="192.0.2.50").get("/api/schema/")
    second = Client(REMOTE_ADDR="192.0.2.50").get("/api/schema/")

    assert first.status_code == 200
    assert second.status_code == 429


@pytest.mark.django_db
def test_an_admin_can_lift_a_lock_early(client, rep):
    from io import StringIO

    from django.core.management import call_command

    for _ in range(5):
        _login(client, "ravi.rep", "wrong")
    assert _login(client, "ravi.rep", PASSWORD).status_code == 429
    out = StringIO()

    call_command("login_unlock", "--username", "Ravi.Rep", stdout=out)

    assert "Unlocked username 'Ravi.Rep'" in out.getvalue()
    assert _login(client, "ravi.rep", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_first_page_after_log_in_does_not_write_the_session(client, rep):
    assert _login(client, "ravi.rep", PASSWORD).status_code == 302
    saved = _session(client).expire_date
    assert SESSION_STARTED_KEY in client.session  # the clocks were saved with the log-in

    assert client.get(PAGE).status_code == 200

    assert _session(client).expire_date == saved
