"""POST /api/v1/events/ — product events (Segment-style identify / track) from the product itself.

Authentication (machine to machine; no session, no CSRF, no API token):

    X-Revops-Source: <the event source's key>           (admin → Event sources)
    X-Revops-Signature: sha256=<hex HMAC-SHA256 of the raw request body, keyed with the source's secret>

    e.g. python:  "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
         shell:   printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* /sha256=/'

Body (JSON, UTF-8, at most 1 MB): one event, or {"batch": [up to 1,000 events]}.

    {"type": "identify", "userId": "U-123",                    → ProductUser.external_id
     "traits": {"email": "ana@acme.com",                        → email (required to create a user)
                "name": "Ana Lima",                             → name (or firstName + lastName)
                "company": "Acme" | {"name": "Acme"},           → company_name (self-reported)
                "title": "CFO",                                 → title
                "createdAt": "2026-01-05T10:00:00Z",            → signed_up_at
                "workspace_id": "W-9"},                         → membership of that workspace
     "context": {"groupId": "W-9"}}                             → (same; either is fine)

    {"type": "track", "userId": "U-123", "event": "Report exported",
     "timestamp": "2026-02-01T09:30:00Z"}                       → last_active_at (only ever forward)

    "page" and "screen" count as activity like "track"; {"type": "group", "userId", "groupId"}
    adds a membership. A workspace must already exist (imported or created); an unknown one is
    reported in `ignored`, as is activity of a user nobody has identified yet.

Answers:
    200  {"received", "users_created", "users_updated", "memberships_created",
          "ignored": [{"index", "userId"|"groupId", "reason"}], "queued_for_resolution"}
    400  malformed JSON, or an event without type/userId, a bad email or date…:
         {"detail": "events[3].traits.email: 'x' is not a valid email address.", "index": 3,
          "field": "traits.email"} — and nothing of the request is stored (all or nothing)
    401  unknown or inactive source, missing or wrong signature — nothing stored
    409  another request created the same user at the same moment — retry
    413  body over 1 MB or more than 1,000 events
    429  over the source's rate limit (REVOPS_EVENTS_RATE, default 600 requests a minute)

The endpoint is idempotent: replaying a request sets the same traits and cannot move
last_active_at backwards. Users whose identity or workspaces changed are resolved to a company
incrementally after the request commits (activity alone does not change a match).
"""

from dataclasses import asdict

from django.conf import settings
from django.db import IntegrityError
from django.http.request import RawPostDataException
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.services import events as services


class EventSourceThrottle(SimpleRateThrottle):
    """Requests per authenticated source (not per IP: a product posts from many servers)."""

    scope = "product-events"
    rate = getattr(settings, "REVOPS_EVENTS_RATE", "600/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": view.event_source.pk}


class _Traits(serializers.Serializer):
    email = serializers.EmailField(required=False)
    name = serializers.CharField(required=False)
    company = serializers.CharField(required=False, help_text="A name, or an object with `name`.")
    title = serializers.CharField(required=False)
    createdAt = serializers.DateTimeField(required=False)
    workspace_id = serializers.CharField(required=False)


class _Context(serializers.Serializer):
    groupId = serializers.CharField(required=False, help_text="The workspace's external id.")


class SegmentEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=services.TYPES)
    userId = serializers.CharField(max_length=services.EXTERNAL_ID_MAX)
    event = serializers.CharField(required=False, help_text="track: the event's name (required).")
    traits = _Traits(required=False)
    context = _Context(required=False)
    groupId = serializers.CharField(required=False, help_text="group: the workspace's external id.")
    timestamp = serializers.DateTimeField(required=False, help_text="track/page/screen: when it happened.")


class EventBatchSerializer(serializers.Serializer):
    batch = SegmentEventSerializer(many=True, help_text="Up to 1,000 events. A single event object is accepted too.")


class EventOutcomeSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    users_created = serializers.IntegerField()
    users_updated = serializers.IntegerField()
    memberships_created = serializers.IntegerField()
    ignored = serializers.ListField(child=serializers.DictField())
    queued_for_resolution = serializers.IntegerField()


class EventErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField(allow_null=True)


def _error(message: str, code: int, **extra) -> Response:
    response = Response({"detail": message, **extra}, status=code)
    if code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'HMAC-SHA256 realm="revops-events", headers="X-Revops-Source X-Revops-Signature"'
    return response


class ProductEventsApi(APIView):
    """Segment-style identify/track events, HMAC-signed per event source. See the module docstring."""

    authentication_classes: list = []  # the HMAC signature is the authentication (no session → no CSRF)
    permission_classes = [AllowAny]
    throttle_classes: list = []  # applied after the signature check, per source (see post)
    event_source = None

    @extend_schema(
        operation_id="events_create",
        summary="Send product events (identify / track)",
        description=__doc__,
        auth=[],
        parameters=[
            OpenApiParameter(
                "X-Revops-Source", str, OpenApiParameter.HEADER, required=True, description="The event source's key."
            ),
            OpenApiParameter(
                "X-Revops-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the raw body, keyed with the source's secret>.",
            ),
        ],
        request=EventBatchSerializer,
        responses={
            200: EventOutcomeSerializer,
            400: EventErrorSerializer,
            401: OpenApiResponse(description="Unknown or inactive source, missing or wrong signature."),
            409: OpenApiResponse(description="A concurrent request created the same user; retry."),
            413: OpenApiResponse(description="Body over 1 MB or more than 1,000 events."),
            429: OpenApiResponse(description="Too many requests from this source."),
        },
        examples=[
            OpenApiExample(
                "Batch",
                value={
                    "batch": [
                        {
                            "type": "identify",
                            "userId": "U-123",
                            "traits": {"email": "ana@acme.com", "name": "Ana Lima", "company": "Acme"},
                            "context": {"groupId": "W-9"},
                        },
                        {
                            "type": "track",
                            "userId": "U-123",
                            "event": "Report exported",
                            "timestamp": "2026-02-01T09:30:00Z",
                        },
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > services.MAX_BODY_BYTES:
            return _error(f"The body is over {services.MAX_BODY_BYTES:,} bytes; send smaller batches.", 413)
        try:
            body = request.body
        except (RequestDataTooBig, RawPostDataException):
            return _error(f"The body is over {services.MAX_BODY_BYTES:,} bytes; send smaller batches.", 413)
        if len(body) > services.MAX_BODY_BYTES:
            return _error(f"The body is over {services.MAX_BODY_BYTES:,} bytes; send smaller batches.", 413)
        try:
            self.event_source = services.event_source_authenticate(
                key=request.headers.get("X-Revops-Source", ""),
                signature=request.headers.get("X-Revops-Signature", ""),
                body=body,
            )
        except services.EventAuthError as exc:
            return _error(str(exc), status.HTTP_401_UNAUTHORIZED)
        throttle = EventSourceThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        try:
            events = services.events_parse(body)
        except services.EventPayloadTooLarge as exc:
            return _error(str(exc), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        except services.EventPayloadError as exc:
            return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        try:
            outcome = services.events_ingest(source=self.event_source, events=events)
        except IntegrityError:
            return _error("Another request created one of these users at the same moment; retry.", 409)
        return Response(asdict(outcome), status=status.HTTP_200_OK)
