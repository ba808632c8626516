"""POST /api/v1/events/: HMAC-signed Segment-style identify/track, all or nothing, then resolution queued."""

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone as dj_timezone

from accounts.api.events import EventSourceThrottle
from accounts.models import EventSource, ProductUser, WorkspaceMembership
from accounts.services.events import MAX_EVENTS, event_source_create
from accounts.tasks import resolve_product_users_task as real_resolution_task
from tests.factories import ProductUserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
SECRET = "s3cret-for-tests"


@pytest.fixture
def source():
    return EventSource.objects.create(name="Product (prod)", key="product-prod", secret=SECRET)


@pytest.fixture(autouse=True)
def resolution_task():
    with mock.patch("accounts.tasks.resolve_product_users_task", create=True) as task:
        yield task


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(payload, *, key="product-prod", secret=SECRET, signature=None, client=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"HTTP_X_REVOPS_SOURCE": key, "HTTP_X_REVOPS_SIGNATURE": signature or sign(body, secret)}
    # enforce_csrf_checks: the endpoint must not depend on a session or a CSRF token.
    return (client or Client(enforce_csrf_checks=True)).post(URL, body, content_type="application/json", **headers)


def identify(user_id="U-1", **traits):
    traits.setdefault("email", f"{user_id.lower()}@acme.example")
    return {"type": "identify", "userId": user_id, "traits": traits}


def track(user_id="U-1", when="2026-01-10T09:00:00Z", name="Report exported"):
    return {"type": "track", "userId": user_id, "event": name, "timestamp": when}


# --- good requests ---------------------------------------------------------------------------------


def test_identify_creates_a_user_with_its_traits_and_workspace(
    source, resolution_task, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory(external_id="W-9")
    event = identify(
        "U-1",
        email="  Ana.Lima@ACME.example ",
        name="Ana Lima",
        company={"name": "Acme Corp"},
        title="CFO",
        createdAt="2025-11-02T08:00:00Z",
    )
    event["context"] = {"groupId": "W-9"}

    with django_capture_on_commit_callbacks(execute=True):
        response = post(event)

    assert response.status_code == 200, response.content
    assert response.json()["users_created"] == 1 and response.json()["memberships_created"] == 1
    user = ProductUser.objects.get(external_id="U-1")
    assert (user.email, user.name, user.company_name, user.title) == (
        "ana.lima@acme.example",
        "Ana Lima",
        "Acme Corp",
        "CFO",
    )
    assert user.signed_up_at == datetime(2025, 11, 2, 8, tzinfo=timezone.utc)
    assert WorkspaceMembership.objects.filter(user=user, workspace=workspace).exists()
    source.refresh_from_db()
    assert source.last_event_at is not None
    resolution_task.delay.assert_called_once_with([user.pk])


def test_a_batch_updates_existing_users_and_only_changed_ones_are_resolved(
    source, resolution_task, django_capture_on_commit_callbacks
):
    known = ProductUserFactory(external_id="U-1", email="old@acme.example", name="Old Name")
    same = ProductUserFactory(external_id="U-2", email="u-2@acme.example", name="Same")
    WorkspaceFactory(external_id="W-1")
    batch = {
        "batch": [
            identify("U-1", email="new@acme.example", name="New Name"),
            identify("U-2", name="Same"),
            identify("U-3", company="Globex", workspace_id="W-1"),
            track("U-2"),
        ]
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = post(batch)

    body = response.json()
    assert response.status_code == 200 and (body["received"], body["users_created"], body["users_updated"]) == (4, 1, 2)
    known.refresh_from_db()
    same.refresh_from_db()
    assert (known.email, known.name) == ("new@acme.example", "New Name")
    assert same.last_active_at == datetime(2026, 1, 10, 9, tzinfo=timezone.utc)
    newcomer = ProductUser.objects.get(external_id="U-3")
    assert newcomer.company_name == "Globex" and newcomer.workspaces.get().external_id == "W-1"
    # U-2 only got activity: nothing about its match changed, so it is not re-resolved.
    resolution_task.delay.assert_called_once_with(sorted([known.pk, newcomer.pk]))


def test_track_moves_last_active_forward_only(source):
    user = ProductUserFactory(external_id="U-1", last_active_at=datetime(2026, 1, 10, tzinfo=timezone.utc))

    assert post(track("U-1", when="2025-12-01T00:00:00Z")).status_code == 200
    user.refresh_from_db()
    assert user.last_active_at == datetime(2026, 1, 10, tzinfo=timezone.utc)

    assert (
        post(
            {"batch": [track("U-1", when="2026-02-01T10:00:00Z"), track("U-1", when="2026-01-20T00:00:00Z")]}
        ).status_code
        == 200
    )
    user.refresh_from_db()
    assert user.last_active_at == datetime(2026, 2, 1, 10, tzinfo=timezone.utc)


def test_activity_in_the_future_counts_as_now(source):
    user = ProductUserFactory(external_id="U-1", last_active_at=None)
    future = (dj_timezone.now() + timedelta(days=30)).isoformat()
    post(track("U-1", when=future))
    user.refresh_from_db()
    assert user.last_active_at <= dj_timezone.now()


def test_track_of_an_unknown_user_is_reported_not_stored(source):
    response = post(track("U-404"))
    assert response.status_code == 200
    assert response.json()["ignored"] == [
        {"index": 0, "userId": "U-404", "reason": "unknown user: identify them with traits.email first"}
    ]
    assert not ProductUser.objects.exists()


def test_unknown_workspace_is_reported_and_the_user_still_created(source):
    event = identify("U-1")
    event["context"] = {"groupId": "W-missing"}
    response = post(event)
    assert response.json()["ignored"] == [{"index": 0, "groupId": "W-missing", "reason": "unknown workspace"}]
    assert ProductUser.objects.filter(external_id="U-1").exists() and not WorkspaceMembership.objects.exists()


def test_replaying_a_request_changes_nothing_more(source):
    WorkspaceFactory(external_id="W-1")
    payload = {"batch": [identify("U-1", workspace_id="W-1"), track("U-1")]}
    assert post(payload).json()["users_created"] == 1
    again = post(payload).json()
    assert (again["users_created"], again["users_updated"], again["memberships_created"]) == (0, 0, 0)
    assert ProductUser.objects.count() == 1 and WorkspaceMembership.objects.count() == 1


def test_the_endpoint_needs_no_session_or_csrf_token(source, admin_client):
    # A logged-in browser session does not matter either way: the signature is what counts.
    assert post(identify(), client=admin_client).status_code == 200


# --- authentication --------------------------------------------------------------------------------


def test_bad_signature_is_401_and_nothing_is_stored(source):
    response = post(identify(), secret="not-the-secret")
    assert response.status_code == 401 and "Signature does not match" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("HMAC-SHA256")
    assert not ProductUser.objects.exists()
    source.refresh_from_db()
    assert source.last_event_at is None


def test_signature_of_another_body_is_401(source):
    signed_for = json.dumps(identify("U-1")).encode()
    response = post(identify("U-2"), signature=sign(signed_for))
    assert response.status_code == 401 and not ProductUser.objects.exists()


@pytest.mark.parametrize("signature", ["", "deadbeef", "sha256="])
def test_missing_or_malformed_signature_is_401(source, signature):
    body = json.dumps(identify()).encode()
    response = Client().post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_REVOPS_SOURCE="product-prod",
        HTTP_X_REVOPS_SIGNATURE=signature,
    )
    assert response.status_code == 401 and not ProductUser.objects.exists()


def test_unknown_source_is_401(source):
    assert post(identify(), key="someone-else").status_code == 401
    assert not ProductUser.objects.exists()


def test_inactive_source_is_401(source):
    EventSource.objects.filter(pk=source.pk).update(is_active=False)
    assert post(identify()).status_code == 401
    assert not ProductUser.objects.exists()


def test_signature_hex_is_case_insensitive(source):
    body = json.dumps(identify()).encode()
    assert post(body, signature=sign(body).upper().replace("SHA256=", "sha256=")).status_code == 200


# --- malformed requests: 400, with the place, and nothing stored -------------------------------------


@pytest.mark.parametrize(
    "payload, index, field, words",
    [
        (b"{not json", None, None, "not valid JSON"),
        (b"[1, 2]", None, None, "must be a JSON object"),
        ({"batch": []}, None, "batch", "non-empty list"),
        ({"userId": "U-1"}, 0, "type", "is required"),
        ({"type": "alias", "userId": "U-1"}, 0, "type", "not supported"),
        ({"type": "identify", "traits": {"email": "a@b.example"}}, 0, "userId", "is required"),
        (identify(email="not-an-email"), 0, "traits.email", "not a valid email"),
        (identify(createdAt="yesterday"), 0, "traits.createdAt", "ISO 8601"),
        ({"type": "track", "userId": "U-1"}, 0, "event", "required for a track"),
        ({"type": "identify", "userId": "U-1", "traits": "email"}, 0, "traits", "must be an object"),
        ({"type": "identify", "userId": "x" * 65, "traits": {"email": "a@b.example"}}, 0, "userId", "longer than 64"),
    ],
)
def test_malformed_request_is_400_naming_the_place(source, payload, index, field, words):
    response = post(payload)
    assert response.status_code == 400
    body = response.json()
    assert (body["index"], body["field"]) == (index, field) and words in body["detail"]
    assert not ProductUser.objects.exists()


def test_one_bad_event_rejects_the_whole_batch(source):
    existing = ProductUserFactory(external_id="U-1", name="Before")
    batch = {"batch": [identify("U-1", name="After"), identify("U-2"), identify("U-3", email="bad@@example")]}

    response = post(batch)

    assert response.status_code == 400
    assert response.json()["detail"] == "events[2].traits.email: 'bad@@example' is not a valid email address."
    existing.refresh_from_db()
    assert existing.name == "Before" and ProductUser.objects.count() == 1
    source.refresh_from_db()
    assert source.last_event_at is None


def test_too_many_events_is_413(source):
    response = post({"batch": [track(f"U-{i}") for i in range(MAX_EVENTS + 1)]})
    assert response.status_code == 413 and "at most 1,000" in response.json()["detail"]


def test_body_over_one_megabyte_is_413(source):
    response = post({"batch": [identify("U-1", name="x" * 250)] * 3, "padding": "y" * 1_000_001})
    assert response.status_code == 413 and not ProductUser.objects.exists()


def test_too_many_requests_from_one_source_is_429(source, monkeypatch):
    cache.clear()
    monkeypatch.setattr(EventSourceThrottle, "rate", "2/min")
    assert [post(track("U-0")).status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()


def test_get_is_not_allowed(source):
    assert Client().get(URL).status_code == 405


# --- sources ---------------------------------------------------------------------------------------


def test_created_source_signs_with_the_secret_it_returned(db):
    created, secret = event_source_create(name="Staging", key="staging")
    assert created.secret == secret and len(secret) >= 40
    assert post(identify(), key="staging", secret=secret).status_code == 200


@pytest.fixture
def su_client(client):
    # A superuser: the RevOps admin group gets the new models' permissions from a migration (lead).
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_admin_adds_a_source_and_sees_its_secret_once(su_client):
    admin_client = su_client
    response = admin_client.post(
        "/admin/accounts/eventsource/add/", {"name": "Mobile app", "key": "mobile", "is_active": "on"}
    )

    created = EventSource.objects.get(key="mobile")
    html = response.content.decode()
    assert response.status_code == 200 and created.secret in html and "not shown again" in html
    assert "no-store" in response["Cache-Control"]
    change = admin_client.get(f"/admin/accounts/eventsource/{created.pk}/change/").content.decode()
    assert created.secret not in change and "Set — shown only when created" in change


def test_admin_regenerates_a_secret_and_the_old_one_stops_working(su_client, source):
    admin_client = su_client
    response = admin_client.post(
        "/admin/accounts/eventsource/", {"action": "regenerate_secret", "_selected_action": [source.pk]}
    )

    source.refresh_from_db()
    assert response.status_code == 200 and source.secret != SECRET and source.secret in response.content.decode()
    assert post(identify()).status_code == 401
    assert post(identify(), secret=source.secret).status_code == 200


def test_admin_changelist_search_and_edit(su_client, source):
    admin_client = su_client
    assert "product-prod" in admin_client.get("/admin/accounts/eventsource/?q=prod").content.decode()
    response = admin_client.post(
        f"/admin/accounts/eventsource/{source.pk}/change/", {"name": "Product", "key": "product-prod"}
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.is_active, source.secret) == ("Product", False, SECRET)


def test_reps_cannot_open_the_source_admin(rep_client):
    assert rep_client.get("/admin/accounts/eventsource/").status_code == 302


# --- end to end with the real resolution task (eager Celery in tests) ---------------------------------


def test_identified_users_are_resolved_after_the_request(source, django_capture_on_commit_callbacks):
    from tests.factories import CompanyDomainFactory, CompanyFactory

    acme = CompanyFactory(name="Acme Corporation")
    CompanyDomainFactory(company=acme, domain="acme.co.uk")

    # The other tests patch the task; this one runs R's real one (eagerly, as Celery does in tests).
    with mock.patch("accounts.tasks.resolve_product_users_task", real_resolution_task):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(identify("U-1", email="ana@eu.mail.acme.co.uk", company="Acme"))

    assert response.status_code == 200 and response.json()["queued_for_resolution"] == 1
    user = ProductUser.objects.get(external_id="U-1")
    assert (user.company, user.match_method, user.match_status) == (acme, "domain", "auto")
