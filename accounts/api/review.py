"""The review queue over the API: /api/v1/review/workspaces/ and /api/v1/review/users/.

- GET  …/                      the records in review, most valuable first (workspaces: MRR then
                               seats; users: Σ MRR then Σ seats of their workspaces); filters `q`,
                               `method`, `confidence_min`, `confidence_max` (0–1), `company`
                               (proposed company id); paginated.
- GET  …/{id}/                 one record, whatever its status (to see the outcome of a decision).
- POST …/{id}/confirm/         company = the proposed company, status confirmed.
- POST …/{id}/reject/          status rejected, no company.
- POST …/{id}/reassign/        {"company": id} or {"company_external_id": "…"}: status confirmed,
                               method manual.
- POST …/bulk/                 {"action": "confirm"|"reject", "ids": [..]} → decided and skipped ids.

Any authenticated user reads; RevOps admins and managers decide (403 otherwise). A bad request
is a 400 naming the field: `company` (unknown), `ids`, `action`; or a `detail` when the record is no
longer in review or has nothing left to confirm.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from accounts.models import Company, ProductUser, Workspace
from accounts.services import review as services
from revops.api import FilterBackend

RECORD_STATE = ("match_status", "suggested_company")  # errors about the record, not the request
VALIDATION_ERROR = OpenApiResponse(description="Invalid input; the body names each offending field.")
FORBIDDEN = OpenApiResponse(description="Only RevOps admins and managers decide matches.")


class CanDecideMatches(BasePermission):
    """Any logged-in user reads the queue; RevOps admins and managers decide."""

    message = "Only RevOps admins and managers decide matches."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or services.can_decide_matches(user)


class CompanyBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "external_id", "name"]
        read_only_fields = fields


class _MatchSerializer(serializers.ModelSerializer):
    company = CompanyBriefSerializer(read_only=True, allow_null=True)
    suggested_company = CompanyBriefSerializer(read_only=True, allow_null=True)
    matched_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    match_fields = [
        "match_status",
        "match_method",
        "match_confidence",
        "match_reason",
        "suggested_company",
        "company",
        "matched_by",
        "matched_at",
    ]


class ReviewWorkspaceSerializer(_MatchSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Workspace
        fields = [
            "id",
            "external_id",
            "name",
            "plan",
            "status",
            "seats",
            "mrr",
            "member_count",
            *_MatchSerializer.match_fields,
        ]
        read_only_fields = fields


class ReviewUserSerializer(_MatchSerializer):
    stake_mrr = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="Σ MRR of the user's workspaces."
    )
    stake_seats = serializers.IntegerField(read_only=True, help_text="Σ seats of the user's workspaces.")
    workspace_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ProductUser
        fields = [
            "id",
            "external_id",
            "email",
            "name",
            "company_name",
            "title",
            "workspace_count",
            "stake_mrr",
            "stake_seats",
            *_MatchSerializer.match_fields,
        ]
        read_only_fields = fields


class ReassignSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, help_text="The company's id…"
    )
    company_external_id = serializers.SlugRelatedField(
        source="company_by_external_id",
        slug_field="external_id",
        queryset=Company.objects.all(),
        required=False,
        help_text="…or its external (CRM) id.",
    )

    def validate(self, attrs):
        by_id, by_external_id = attrs.get("company"), attrs.get("company_by_external_id")
        if by_id is None and by_external_id is None:
            raise serializers.ValidationError({"company": "Give `company` (id) or `company_external_id`."})
        if by_id is not None and by_external_id is not None and by_id.pk != by_external_id.pk:
            raise serializers.ValidationError(
                {"company_external_id": "Refers to a different company than `company`; give only one."}
            )
        return {"company": by_id or by_external_id}


class BulkDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["confirm", "reject"])
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),  # ids are 64-bit in the database
        allow_empty=False, max_length=services.BULK_MAX
    )


class BulkOutcomeSerializer(serializers.Serializer):
    action = serializers.CharField()
    decided = serializers.ListField(child=serializers.IntegerField(), help_text="Ids now confirmed or rejected.")
    skipped = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids left alone: unknown, no longer in review, or (confirm) with no proposed company.",
    )


def _decision_schema(serializer, summary: str, request=None):
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: serializer,
            400: VALIDATION_ERROR,
            403: FORBIDDEN,
            404: OpenApiResponse(description="No such record."),
        },
    )


class _ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CanDecideMatches]
    # The queue's order (value at stake) is the point of it: no client-side ordering.
    filter_backends = [FilterBackend]
    kind: str = ""

    def get_queryset(self):
        # The list is the queue; a single record is found whatever its status, so a decision on an
        # already decided record answers 400 (not 404) and its outcome can be read back.
        selector = services.review_workspaces if self.kind == "workspaces" else services.review_users
        return selector(queue_only=self.action == "list")

    def _record(self, pk):
        return get_object_or_404(services.KINDS[self.kind], pk=pk)

    def _answer(self, pk) -> Response:
        return Response(self.get_serializer(services.review_record_get(kind=self.kind, pk=pk)).data)

    @staticmethod
    def _decide(decision, **kwargs) -> None:
        """A record no longer in review, or with nothing left to confirm, is the record's state, not a field
        of the request: `detail` says so."""
        try:
            decision(**kwargs)
        except DjangoValidationError as error:
            state = [m for key in RECORD_STATE for m in getattr(error, "message_dict", {}).get(key, [])]
            if not state:
                raise
            raise serializers.ValidationError({"detail": " ".join(state)}) from None

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        self._decide(services.match_confirm, record=self._record(pk), by=request.user)
        return self._answer(pk)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        self._decide(services.match_reject, record=self._record(pk), by=request.user)
        return self._answer(pk)

    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        record = self._record(pk)
        payload = ReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self._decide(services.match_reassign, record=record, company=payload.validated_data["company"], by=request.user)
        return self._answer(pk)

    @action(detail=False, methods=["post"])
    def bulk(self, request):
        payload = BulkDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        chosen = payload.validated_data["action"]
        decide = services.match_bulk_confirm if chosen == "confirm" else services.match_bulk_reject
        outcome = decide(model=services.KINDS[self.kind], ids=payload.validated_data["ids"], by=request.user)
        body = {"action": chosen, "decided": outcome.decided, "skipped": outcome.skipped}
        return Response(BulkOutcomeSerializer(body).data, status=status.HTTP_200_OK)


def _review_schema(serializer, noun: str):
    return extend_schema_view(
        list=extend_schema(
            summary=f"{noun.title()} in review",
            description=f"{noun.title()} waiting for a decision, most valuable first.",
        ),
        retrieve=extend_schema(summary=f"One {noun[:-1]} with its match outcome"),
        confirm=_decision_schema(serializer, "Confirm the proposed company", request=None),
        reject=_decision_schema(serializer, "Reject the proposed company", request=None),
        reassign=_decision_schema(serializer, "Assign another company", request=ReassignSerializer),
        bulk=extend_schema(
            summary=f"Confirm or reject several {noun} at once",
            request=BulkDecisionSerializer,
            responses={200: BulkOutcomeSerializer, 400: VALIDATION_ERROR, 403: FORBIDDEN},
        ),
    )


@_review_schema(ReviewWorkspaceSerializer, "workspaces")
class ReviewWorkspaceViewSet(_ReviewViewSet):
    """Workspaces whose company account resolution proposes but did not accept on its own."""

    kind = "workspaces"
    serializer_class = ReviewWorkspaceSerializer
    filterset_class = services.ReviewWorkspaceFilter


@_review_schema(ReviewUserSerializer, "users")
class ReviewUserViewSet(_ReviewViewSet):
    """Product users whose company account resolution proposes but did not accept on its own."""

    kind = "users"
    serializer_class = ReviewUserSerializer
    filterset_class = services.ReviewUserFilter
