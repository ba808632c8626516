"""Login throttling and API rate limits, counted in Django's cache (Redis when CACHE_URL is set).

Log-ins: every username/password check goes through `ThrottledModelBackend` — the login page, the
admin's login and the API browser's — so none of them is a way around the limit. LOGIN_FAILURE_LIMIT
failures for one username within LOGIN_FAILURE_WINDOW seconds lock that username for
LOGIN_LOCKOUT_SECONDS; LOGIN_FAILURE_LIMIT_PER_ADDRESS failures from one client address (whatever the
usernames) lock that address. While locked, even the right password is refused, so guessing cannot
continue. The counting window starts at the first failure; a successful log-in clears the username's
count (not the address's: an attacker could otherwise reset it with an account of their own).

API: DRF throttles whose rates are read from settings.API_THROTTLE_RATES on each request.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle

logger = logging.getLogger(__name__)


# --- log-ins ---------------------------------------------------------------------------------


def client_address(request) -> str | None:
    """The client's address, honouring settings.NUM_PROXIES (X-Forwarded-For) as DRF does."""
    if request is None or not hasattr(request, "META"):
        return None  # e.g. authenticate() from a shell or the test client's login()
    return BaseThrottle().get_ident(request) or None


def _subjects(*, username: str | None, address: str | None) -> list[tuple[str, int]]:
    """(cache key stem, failure limit) for the username and the address; a limit of 0 disables one."""
    subjects = []
    if username:
        # Usernames are hashed: cache keys stay short and safe whatever was typed, and case does not
        # give an attacker five more tries ("Admin", "ADMIN", ...).
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        subjects.append((f"login:user:{digest}", settings.LOGIN_FAILURE_LIMIT))
    if address:
        subjects.append((f"login:addr:{address}", settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS))
    return [(stem, limit) for stem, limit in subjects if limit > 0]


def login_lockout_seconds(*, username: str | None, address: str | None) -> int:
    """Seconds until log-ins for this username or from this address are allowed again (0: now)."""
    keys = [f"{stem}:locked" for stem, _ in _subjects(username=username, address=address)]
    if not keys:
        return 0
    until = max(cache.get_many(keys).values(), default=0)
    return max(0, math.ceil(until - time.time()))


def login_failure_record(*, username: str | None, address: str | None) -> None:
    """Count a failed log-in; lock the username / address that reached its limit."""
    now = time.time()
    for stem, limit in _subjects(username=username, address=address):
        failures_key = f"{stem}:failures"
        # add() starts the window only if no count exists; incr() keeps the key's expiry.
        cache.add(failures_key, 0, timeout=settings.LOGIN_FAILURE_WINDOW)
        try:
            failures = cache.incr(failures_key)
        except ValueError:  # the window ended between add() and incr()
            cache.set(failures_key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)
            failures = 1
        if failures >= limit:
            cache.set(f"{stem}:locked", now + settings.LOGIN_LOCKOUT_SECONDS, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            cache.delete(failures_key)
            logger.warning(
                "Log-in locked for %s s after %s failures (%s)",
                settings.LOGIN_LOCKOUT_SECONDS,
                failures,
                "address " + address if stem.startswith("login:addr:") else f"username {username!r}",
            )


def login_failures_clear(*, username: str) -> None:
    """After a successful log-in: the username's failures are forgotten (its lock cannot be active)."""
    for stem, _ in _subjects(username=username, address=None):
        cache.delete(f"{stem}:failures")


def login_unlock(*, username: str | None = None, address: str | None = None) -> None:
    """Lift a lock (and forget the failures) early, e.g. after an admin reset the password."""
    cache.delete_many(
        [f"{stem}:{suffix}" for stem, _ in _subjects(username=username, address=address) for suffix in ("failures", "locked")]
    )


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend, refusing locked usernames and addresses."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = client_address(request)
        if login_lockout_seconds(username=username, address=address):
            # Stops every backend; django.contrib.auth.authenticate() reports a failed log-in.
            raise PermissionDenied("Too many failed log-ins.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username, address=address)
        else:
            login_failures_clear(username=username)
        return user


# --- API ---------------------------------------------------------------------------------------


class _RateFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        # None (the rate switched off) makes DRF allow every request.
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonApiThrottle(_RateFromSettings, AnonRateThrottle):
    """Anonymous API requests, per client address."""

    scope = "anon"


class UserApiThrottle(_RateFromSettings, UserRateThrottle):
    """API requests per logged-in user (or token)."""

    scope = "user"


class ApiTokenCreationThrottle(_RateFromSettings, UserRateThrottle):
    """Creating or rotating an API token, per user, on the API and the API access page together."""

    scope = "api_token"
