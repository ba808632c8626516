"""Shared fixtures: a few named users reused everywhere, and the service gates.

Tests that need PostgreSQL, Redis or Chromium skip with a clear reason when those are not
there — unless REQUIRE_SERVICES=1 (as in CI), which turns every such skip into a failure.
"""
import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection

from revops import roles
from tests.factories import ProfileFactory, TeamFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        _unavailable("this test needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")


@pytest.fixture
def require_redis():
    url = urlparse(redis_url())
    if url.scheme != "redis" or not _reachable(url.hostname or "127.0.0.1", url.port or 6379):
        _unavailable(f"this test needs a Redis server at {redis_url()} (set CELERY_BROKER_URL)")
    return redis_url()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _unavailable(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- named people -------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada.admin", role=roles.REVOPS_ADMIN)


@pytest.fixture
def manager(db):
    return UserFactory(username="maria.manager", role=roles.MANAGER)


@pytest.fixture
def team(manager):
    team = TeamFactory(name="Enterprise East", manager=manager)
    ProfileFactory(user=manager, team=team)
    return team


@pytest.fixture
def rep(team):
    user = UserFactory(username="ravi.rep", role=roles.REP)
    ProfileFactory(user=user, team=team)
    return user


@pytest.fixture
def rep2(team):
    user = UserFactory(username="rosa.rep", role=roles.REP)
    ProfileFactory(user=user, team=team)
    return user


@pytest.fixture
def other_rep(db):
    other_team = TeamFactory(name="Mid-market West", manager=UserFactory(username="otto.manager", role=roles.MANAGER))
    user = UserFactory(username="oscar.rep", role=roles.REP)
    ProfileFactory(user=user, team=other_team)
    return user


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


@pytest.fixture
def manager_client(client, manager, team):
    client.force_login(manager)
    return client
