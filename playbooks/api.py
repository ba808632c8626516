"""REST endpoints of the playbooks area, registered on /api/v1/ through ROUTES and URLS.

* ``playbooks`` — definitions (any logged-in user reads; RevOps admins write); ``POST
  playbooks/{id}/run/`` queues a run (admins).
* ``playbook-runs`` — runs, read-only; filters playbook (id or slug), status, trigger.
* ``plays`` — plays the caller may see (own; a manager's team; all for admins); filters playbook,
  status, open, assignee, company, run; ``POST plays/{id}/status/`` changes the status (start, done,
  disqualify, convert, reopen) for the assignee, their manager or an admin.
* ``playbooks/signal-preview/`` — POST a signal, get the number of accounts matching now, or a 400
  naming each broken condition; ``playbooks/metrics/`` — the metric registry.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company, Team
from playbooks.filters import PlaybookFilter, PlaybookRunFilter, PlayFilter
from playbooks.models import Play, Playbook, PlaybookRun, PlaybookStep, PlayStep
from playbooks.selectors import plays_visible_to
from playbooks.services import playbook_run_request, play_set_status
from playbooks.services.definitions import playbook_create, playbook_update
from playbooks.signals import registry_for_builder, signal_evaluate, signal_text, signal_validate
from revops.api import FilterBackend
from revops.permissions import IsAuthenticatedReadAdminWrite
from revops.roles import is_revops_admin

VALIDATION_ERROR = OpenApiResponse(description="Invalid input; the body names each offending field or condition.")


class SignalField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return signal_validate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class PlaybookStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaybookStep
        fields = ["position", "title", "guidance", "due_after_days", "role"]
        read_only_fields = ["position"]


class PlaybookSerializer(serializers.ModelSerializer):
    signal = SignalField()
    signal_text = serializers.SerializerMethodField()
    steps = PlaybookStepSerializer(many=True, required=False)
    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True, required=False)
    supporting_teams = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), many=True, required=False)
    target_personas = serializers.ListField(child=serializers.ChoiceField(choices=Playbook.Persona.choices), required=False)
    kpis = serializers.ListField(child=serializers.ChoiceField(choices=Playbook.Kpi.choices), required=False)

    class Meta:
        model = Playbook
        fields = [
            "id", "name", "slug", "description", "maturity", "goal_type", "goal", "when_to_run", "target_personas",
            "owner_team", "supporting_teams", "kpis", "pitfalls", "is_active", "schedule", "schedule_hour",
            "schedule_weekday", "cooldown_days", "assignment", "max_open_plays_per_rep", "signal", "signal_text",
            "context_metrics", "steps", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The playbook_schedule_*_0_* constraints, so a refusal names the field.
        extra_kwargs = {"schedule_hour": {"min_value": 0, "max_value": 23},
                        "schedule_weekday": {"min_value": 0, "max_value": 6}}

    def get_signal_text(self, obj) -> str:
        try:
            return signal_text(signal_validate(obj.signal))
        except DjangoValidationError:
            return ""


class PlaybookRunSerializer(serializers.ModelSerializer):
    playbook_slug = serializers.CharField(source="playbook.slug", read_only=True)

    class Meta:
        model = PlaybookRun
        fields = ["id", "playbook", "playbook_slug", "trigger", "status", "matched", "new_plays", "skipped_open",
                  "skipped_cooldown", "unassigned", "queries", "seconds", "error", "created_by", "created_at",
                  "started_at", "finished_at"]
        read_only_fields = fields


class PlayStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlayStep
        fields = ["id", "position", "title", "role", "due_date", "done_at", "done_by"]
        read_only_fields = fields


class PlaySerializer(serializers.ModelSerializer):
    company_name = serializers.CharField(source="company.name", read_only=True)
    playbook_slug = serializers.CharField(source="playbook.slug", read_only=True)
    steps = PlayStepSerializer(many=True, read_only=True)

    class Meta:
        model = Play
        fields = ["id", "playbook", "playbook_slug", "company", "company_name", "run", "assignee", "status",
                  "disqualify_reason", "why", "value", "notes", "opportunity", "outcome_amount", "surfaced_at",
                  "first_action_at", "closed_at", "closed_by", "steps"]
        read_only_fields = fields


class PlayStatusSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["start", "done", "disqualify", "convert", "reopen"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    opportunity = serializers.IntegerField(required=False, allow_null=True)


@extend_schema_view(
    create=extend_schema(responses={201: PlaybookSerializer, 400: VALIDATION_ERROR}),
    update=extend_schema(responses={200: PlaybookSerializer, 400: VALIDATION_ERROR}),
    partial_update=extend_schema(responses={200: PlaybookSerializer, 400: VALIDATION_ERROR}),
)
class PlaybookViewSet(viewsets.ModelViewSet):
    """Playbook definitions with their steps and signal."""

    serializer_class = PlaybookSerializer
    permission_classes = [IsAuthenticatedReadAdminWrite]
    filter_backends = [FilterBackend]
    filterset_class = PlaybookFilter

    def get_queryset(self):
        return Playbook.objects.select_related("owner_team").prefetch_related(
            "supporting_teams", Prefetch("steps", queryset=PlaybookStep.objects.order_by("position"))
        ).order_by("name", "id")

    def _data(self, instance=None, partial=False) -> dict:
        serializer = self.get_serializer(instance, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "steps" in data:
            data["steps"] = [dict(step) for step in data["steps"]]
        return data

    def create(self, request, *args, **kwargs):
        playbook = playbook_create(data=self._data())
        return Response(self.get_serializer(self.get_queryset().get(pk=playbook.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        playbook_update(playbook=instance, data=self._data(instance, partial=kwargs.pop("partial", False)))
        return Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data)

    @extend_schema(request=None, responses={202: PlaybookRunSerializer, 400: VALIDATION_ERROR},
                   summary="Queue a run of the playbook now")
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        playbook = self.get_object()
        run = playbook_run_request(playbook=playbook, trigger=PlaybookRun.Trigger.API, by=request.user)
        return Response(PlaybookRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PlaybookRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Runs of every playbook, newest first."""

    serializer_class = PlaybookRunSerializer
    permission_classes = [IsAuthenticatedReadAdminWrite]
    filter_backends = [FilterBackend]
    filterset_class = PlaybookRunFilter
    queryset = PlaybookRun.objects.select_related("playbook").order_by("-created_at", "-id")


class PlayViewSet(viewsets.ReadOnlyModelViewSet):
    """Plays the caller may see: their own; a manager's team too; every play for RevOps admins."""

    serializer_class = PlaySerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [FilterBackend]
    filterset_class = PlayFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return Play.objects.none()
        user = self.request.user
        if is_revops_admin(user):
            qs = Play.objects.all()
        else:
            qs = plays_visible_to(user, scope="mine") | plays_visible_to(user, scope="team")
        steps = PlayStep.objects.order_by("position")
        return qs.select_related("company", "playbook").prefetch_related(Prefetch("steps", queryset=steps)).order_by(
            "-value", "surfaced_at", "id").distinct()

    @extend_schema(request=PlayStatusSerializer, responses={200: PlaySerializer, 400: VALIDATION_ERROR},
                   summary="Change the status of a play")
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        play = self.get_object()
        body = PlayStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        opportunity = None
        if data.get("opportunity"):
            from forecasting.models import Opportunity

            opportunity = get_object_or_404(Opportunity, pk=data["opportunity"])
        play_set_status(play=play, by=request.user, action=data["action"], reason=data.get("reason", ""),
                        amount=data.get("amount"), opportunity=opportunity)
        return Response(self.get_serializer(self.get_queryset().get(pk=play.pk)).data)


class SignalPreviewSerializer(serializers.Serializer):
    signal = serializers.JSONField()


class SignalPreviewApi(APIView):
    """How many accounts a signal matches now, before it is saved."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SignalPreviewSerializer, responses={200: OpenApiResponse(description="{count, total, sample, text}"),
                                                              400: VALIDATION_ERROR})
    def post(self, request):
        body = SignalPreviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            signal = signal_validate(body.validated_data["signal"])
        except DjangoValidationError as exc:
            return Response({"signal": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        evaluation = signal_evaluate(signal)
        sample = list(evaluation.queryset.order_by("-m_value", "name").values("id", "name")[:10])
        return Response({"count": evaluation.count(), "total": Company.objects.count(), "sample": sample,
                         "text": signal_text(signal), "signal": signal})


class MetricRegistryApi(APIView):
    """The metrics a signal may use, with their operators, parameters and choices."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiResponse(description="[{key, label, type, operators, params, choices}]")})
    def get(self, request):
        return Response(registry_for_builder())


ROUTES: list = [
    ("playbooks", PlaybookViewSet, "playbook"),
    ("playbook-runs", PlaybookRunViewSet, "playbook-run"),
    ("plays", PlayViewSet, "play"),
]
URLS: list = [
    path("playbooks/signal-preview/", SignalPreviewApi.as_view(), name="api-playbook-signal-preview"),
    path("playbooks/metrics/", MetricRegistryApi.as_view(), name="api-playbook-metrics"),
]
