"""Product events (Segment-style `identify` / `track`) posted by the product: who signed up, who is active.

The HTTP side (accounts.api.events) checks the size and the signature, then hands the raw body
here: `events_parse` validates every event (all-or-nothing: one bad event rejects the request)
and `events_ingest` writes them set-based in one transaction, then queues incremental account
resolution for the users whose identity or workspaces changed.

Event sources (one per product or environment) sign each request with their own secret;
`event_source_create` / `event_source_rotate_secret` generate it and return it exactly once.
"""

import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from hashlib import sha256
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import EventSource, ProductUser, Workspace, WorkspaceMembership
from accounts.services.review import user_resolution_queue

MAX_BODY_BYTES = 1_000_000
MAX_EVENTS = 1000
SIGNATURE_PREFIX = "sha256="
TYPES = ("identify", "track", "page", "screen", "group")
# Activity events: they move last_active_at forward and nothing else.
ACTIVITY_TYPES = ("track", "page", "screen")
EXTERNAL_ID_MAX = ProductUser._meta.get_field("external_id").max_length
TEXT_MAX = 255
# The user fields `identify` may set (traits → columns).
IDENTITY_FIELDS = ("email", "name", "company_name", "title", "signed_up_at")


class EventAuthError(Exception):
    """Unknown or inactive source, or a missing or wrong signature (HTTP 401)."""


class EventPayloadError(Exception):
    """The body or one event is malformed (HTTP 400). `index`/`field` say where."""

    def __init__(self, message: str, *, index: int | None = None, field: str | None = None):
        self.message, self.index, self.field = message, index, field
        where = f"events[{index}]" if index is not None else "body"
        super().__init__(f"{where}{'.' + field if field else ''}: {message}")

    def as_dict(self) -> dict:
        return {"detail": str(self), "index": self.index, "field": self.field}


class EventPayloadTooLarge(Exception):
    """Over MAX_BODY_BYTES or MAX_EVENTS (HTTP 413)."""


@dataclass
class ParsedEvent:
    index: int
    type: str
    user_id: str
    traits: dict[str, Any] = field(default_factory=dict)  # identity fields already cleaned
    workspace_id: str | None = None
    timestamp: datetime | None = None


@dataclass
class EventOutcome:
    received: int = 0
    users_created: int = 0
    users_updated: int = 0
    memberships_created: int = 0
    # Valid events that could not be applied, e.g. activity of a user nobody identified yet.
    ignored: list[dict] = field(default_factory=list)
    queued_for_resolution: int = 0


# --- sources and signatures ------------------------------------------------------------------------


def event_signature(*, secret: str, body: bytes) -> str:
    """The X-Revops-Signature header value for `body`: "sha256=" + hex HMAC-SHA256."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, sha256).hexdigest()


def event_source_authenticate(*, key: str, signature: str, body: bytes) -> EventSource:
    key, signature = (key or "").strip(), (signature or "").strip()
    if not key:
        raise EventAuthError("Missing X-Revops-Source header.")
    source = EventSource.objects.filter(key=key, is_active=True).first()
    if source is None:
        raise EventAuthError("Unknown or inactive event source.")
    if not signature.lower().startswith(SIGNATURE_PREFIX):
        raise EventAuthError("Missing X-Revops-Signature header (sha256=<hex HMAC-SHA256 of the body>).")
    expected = event_signature(secret=source.secret, body=body)
    given = SIGNATURE_PREFIX + signature[len(SIGNATURE_PREFIX) :].lower()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise EventAuthError("Signature does not match the body.")
    return source


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def event_source_create(*, name: str, key: str, is_active: bool = True) -> tuple[EventSource, str]:
    """A new source with a generated secret; the secret is returned once, to hand to the product."""
    secret = _new_secret()
    source = EventSource(name=name.strip(), key=key.strip(), is_active=is_active, secret=secret)
    source.full_clean()
    source.save()
    return source, secret


@transaction.atomic
def event_source_rotate_secret(*, source: EventSource) -> str:
    """Replace the secret (e.g. after a leak); requests signed with the old one fail from now on."""
    secret = _new_secret()
    EventSource.objects.filter(pk=source.pk).update(secret=secret)
    source.secret = secret
    return secret


# --- parsing ---------------------------------------------------------------------------------------


def _text(value, *, index: int, name: str, max_length: int = TEXT_MAX) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise EventPayloadError("must be a string.", index=index, field=name)
    value = value.strip()
    if len(value) > max_length:
        raise EventPayloadError(f"longer than {max_length} characters.", index=index, field=name)
    return value


def _when(value, *, index: int, name: str) -> datetime:
    if not isinstance(value, str) or (parsed := parse_datetime(value.strip())) is None:
        raise EventPayloadError(f"{value!r} is not an ISO 8601 date-time.", index=index, field=name)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt_timezone.utc)
    return parsed


def _object(value, *, index: int, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EventPayloadError("must be an object.", index=index, field=name)
    return value


def _identity(traits: dict, *, index: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if traits.get("email") not in (None, ""):
        email = _text(traits["email"], index=index, name="traits.email", max_length=254).lower()
        try:
            validate_email(email)
        except ValidationError:
            raise EventPayloadError(
                f"{email!r} is not a valid email address.", index=index, field="traits.email"
            ) from None
        found["email"] = email
    name = traits.get("name")
    if name in (None, "") and (traits.get("firstName") or traits.get("lastName")):
        first = _text(traits.get("firstName") or "", index=index, name="traits.firstName")
        last = _text(traits.get("lastName") or "", index=index, name="traits.lastName")
        name = f"{first} {last}".strip()
    if name not in (None, ""):
        found["name"] = _text(name, index=index, name="traits.name")
    company = traits.get("company")
    if isinstance(company, dict):
        company = company.get("name")
        if company not in (None, ""):
            found["company_name"] = _text(company, index=index, name="traits.company.name")
    elif company not in (None, ""):
        found["company_name"] = _text(company, index=index, name="traits.company")
    if traits.get("title") not in (None, ""):
        found["title"] = _text(traits["title"], index=index, name="traits.title")
    if traits.get("createdAt") not in (None, ""):
        found["signed_up_at"] = _when(traits["createdAt"], index=index, name="traits.createdAt")
    return found


def _event(raw, *, index: int, now: datetime) -> ParsedEvent:
    if not isinstance(raw, dict):
        raise EventPayloadError("an event must be a JSON object.", index=index)
    kind = raw.get("type")
    if kind in (None, ""):
        raise EventPayloadError("is required (identify, track, page, screen or group).", index=index, field="type")
    if kind not in TYPES:
        raise EventPayloadError(
            f"{kind!r} is not supported (identify, track, page, screen or group).", index=index, field="type"
        )
    if raw.get("userId") in (None, ""):
        raise EventPayloadError("is required: the product's id of the user.", index=index, field="userId")
    user_id = _text(raw["userId"], index=index, name="userId", max_length=EXTERNAL_ID_MAX)
    if not user_id:
        raise EventPayloadError("is required: the product's id of the user.", index=index, field="userId")
    event = ParsedEvent(index=index, type=kind, user_id=user_id)
    context = _object(raw.get("context"), index=index, name="context")
    traits = _object(raw.get("traits"), index=index, name="traits")

    if kind == "identify":
        event.traits = _identity(traits, index=index)
    if kind in ("identify", "group"):
        workspace = raw.get("groupId") if kind == "group" else None
        workspace = workspace or context.get("groupId") or traits.get("workspace_id")
        if kind == "group" and workspace in (None, ""):
            raise EventPayloadError("is required for a group event.", index=index, field="groupId")
        if workspace not in (None, ""):
            event.workspace_id = _text(workspace, index=index, name="groupId", max_length=EXTERNAL_ID_MAX)
    if kind in ACTIVITY_TYPES:
        if kind == "track" and raw.get("event") in (None, ""):
            raise EventPayloadError("is required for a track event (the event's name).", index=index, field="event")
        if kind == "track":
            _text(raw["event"], index=index, name="event")
        stamp = raw.get("timestamp") or raw.get("originalTimestamp")
        name = "timestamp" if raw.get("timestamp") else "originalTimestamp"
        # A product clock running ahead must not make a user "active" in the future.
        event.timestamp = min(_when(stamp, index=index, name=name), now) if stamp else now
    return event


def events_parse(body: bytes) -> list[ParsedEvent]:
    """Validate a request body: one event, or {"batch": [events]}. Raises on the first bad event."""
    if len(body) > MAX_BODY_BYTES:
        raise EventPayloadTooLarge(f"The body is over {MAX_BODY_BYTES:,} bytes; send smaller batches.")
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise EventPayloadError("is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise EventPayloadError(f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}).") from None
    if not isinstance(payload, dict):
        raise EventPayloadError('must be a JSON object: one event, or {"batch": [events]}.')
    if "batch" in payload:
        raw_events = payload["batch"]
        if not isinstance(raw_events, list) or not raw_events:
            raise EventPayloadError("must be a non-empty list of events.", field="batch")
        if len(raw_events) > MAX_EVENTS:
            raise EventPayloadTooLarge(f"{len(raw_events):,} events in one batch; at most {MAX_EVENTS:,}.")
    else:
        raw_events = [payload]
    now = timezone.now()
    return [_event(raw, index=index, now=now) for index, raw in enumerate(raw_events)]


# --- ingesting -------------------------------------------------------------------------------------


@dataclass
class _UserState:
    first_index: int
    identity: dict[str, Any] = field(default_factory=dict)
    workspaces: list[tuple[int, str]] = field(default_factory=list)  # (event index, workspace external id)
    active_at: datetime | None = None


def _merge(events: list[ParsedEvent]) -> dict[str, _UserState]:
    """Fold the events per user in order: later traits win, activity keeps the latest time."""
    users: dict[str, _UserState] = {}
    for event in events:
        state = users.setdefault(event.user_id, _UserState(first_index=event.index))
        state.identity.update(event.traits)
        if event.workspace_id:
            state.workspaces.append((event.index, event.workspace_id))
        if event.timestamp is not None and (state.active_at is None or event.timestamp > state.active_at):
            state.active_at = event.timestamp
    return users


@transaction.atomic
def events_ingest(*, source: EventSource, events: list[ParsedEvent]) -> EventOutcome:
    """Apply validated events in one transaction, set-based.

    1. Fold the events per user; lock the users that exist (concurrent requests for the same
       user apply one after the other, so last_active_at only ever moves forward).
    2. Create the users an identify introduces (an email is needed to create one); update the
       others where a value changed; move last_active_at forward, never back.
    3. Add workspace memberships (context.groupId / traits.workspace_id / group) for workspaces
       that exist; an unknown workspace is reported, not created.
    4. Stamp the source's last_event_at; after commit, queue incremental resolution for users
       whose identity or workspaces changed (activity alone does not change a match).
    """
    outcome = EventOutcome(received=len(events))
    states = _merge(events)
    now = timezone.now()
    existing = {
        user.external_id: user
        for user in ProductUser.objects.select_for_update().filter(external_id__in=list(states)).order_by("pk")
    }

    to_create: list[ProductUser] = []
    to_update: list[ProductUser] = []
    update_fields: set[str] = set()
    changed_identity: set[str] = set()
    for external_id, state in states.items():
        user = existing.get(external_id)
        if user is None:
            if "email" not in state.identity:
                reason = (
                    "unknown user: identify them with traits.email first"
                    if not state.identity
                    else ("unknown user: traits.email is needed to create them")
                )
                outcome.ignored.append({"index": state.first_index, "userId": external_id, "reason": reason})
                continue
            to_create.append(ProductUser(external_id=external_id, last_active_at=state.active_at, **state.identity))
            changed_identity.add(external_id)
            continue
        dirty = False
        for name, value in state.identity.items():
            if getattr(user, name) != value:
                setattr(user, name, value)
                update_fields.add(name)
                changed_identity.add(external_id)
                dirty = True
        if state.active_at is not None and (user.last_active_at is None or state.active_at > user.last_active_at):
            user.last_active_at = state.active_at
            update_fields.add("last_active_at")
            dirty = True
        if dirty:
            user.updated_at = now
            to_update.append(user)

    if to_create:
        ProductUser.objects.bulk_create(to_create, batch_size=500)
        created = ProductUser.objects.filter(external_id__in=[user.external_id for user in to_create])
        existing.update({user.external_id: user for user in created})
    if to_update:
        ProductUser.objects.bulk_update(to_update, [*sorted(update_fields), "updated_at"], batch_size=500)
    outcome.users_created, outcome.users_updated = len(to_create), len(to_update)

    new_members = _memberships_add(states=states, users=existing, outcome=outcome)
    EventSource.objects.filter(pk=source.pk).update(last_event_at=now)

    affected = {existing[external_id].pk for external_id in changed_identity} | new_members
    outcome.queued_for_resolution = len(affected)
    user_resolution_queue(user_ids=affected)
    return outcome


def _memberships_add(
    *, states: dict[str, _UserState], users: dict[str, ProductUser], outcome: EventOutcome
) -> set[int]:
    wanted = {
        (users[external_id].pk, workspace_key, index)
        for external_id, state in states.items()
        if external_id in users
        for index, workspace_key in state.workspaces
    }
    if not wanted:
        return set()
    workspace_ids = dict(
        Workspace.objects.filter(external_id__in={key for _, key, _ in wanted}).values_list("external_id", "pk")
    )
    for _, key, index in sorted(wanted, key=lambda item: item[2]):
        if key not in workspace_ids:
            outcome.ignored.append({"index": index, "groupId": key, "reason": "unknown workspace"})
    pairs = {(user_pk, workspace_ids[key]) for user_pk, key, _ in wanted if key in workspace_ids}
    if not pairs:
        return set()
    present = set(
        WorkspaceMembership.objects.filter(
            user_id__in={user for user, _ in pairs}, workspace_id__in={ws for _, ws in pairs}
        ).values_list("user_id", "workspace_id")
    )
    new = sorted(pairs - present)
    WorkspaceMembership.objects.bulk_create(
        [WorkspaceMembership(user_id=user, workspace_id=ws) for user, ws in new], ignore_conflicts=True
    )
    outcome.memberships_created = len(new)
    return {user for user, _ in new}
