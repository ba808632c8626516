"""REST endpoints for contracts, the expansion pipeline, commit burn-down and NRR/GRR.

* /api/v1/contracts/ — CRUD; any logged-in user reads, RevOps admins write. Filters: see ContractFilter.
* /api/v1/contracts/{id}/burndown/ — a commit contract's burn-down (``?today=`` to look from another day).
* /api/v1/opportunities/ — CRUD; any logged-in user reads; the account owner, the opportunity owner, their
  manager and RevOps admins write (403 otherwise). Probability and category default from the stage.
* /api/v1/retention/ — NRR/GRR per month with breakdowns and the cohort heat map.
Writes go through forecasting.services; a broken rule is a 400 naming the field.
"""
from datetime import date

from django.contrib.auth import get_user_model
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Company
from forecasting.models import Contract, Opportunity
from forecasting.selectors.contracts import ContractFilter, OpportunityFilter, contract_list, opportunity_list
from forecasting.selectors.retention import BASES, DIMENSIONS, Retention, retention_report
from forecasting.services.burndown import commit_burndown
from forecasting.services.contracts import contract_create, contract_delete, contract_update
from forecasting.services.opportunities import opportunity_create, opportunity_delete, opportunity_update
from revops.api import EmptyFormValuesRefused, FilterBackend, StrictModelSerializer
from revops.permissions import IsAuthenticatedReadAdminWrite

User = get_user_model()
VALIDATION_ERROR = OpenApiResponse(description="Invalid input; the body names each offending field.")


def _person(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


class ContractSerializer(StrictModelSerializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    company_name = serializers.CharField(source="company.name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                               required=False)
    owner_name = serializers.SerializerMethodField()
    renewal_of = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Contract
        fields = ["id", "external_id", "name", "company", "company_name", "kind", "status", "start_date", "end_date",
                  "committed_amount", "billing", "included_units", "overage_price", "rollover_fraction", "renewal_of",
                  "owner", "owner_name", "booked_on", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_owner_name(self, obj) -> str | None:
        return _person(obj.owner)


class OpportunitySerializer(StrictModelSerializer):
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all())
    company_name = serializers.CharField(source="company.name", read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), allow_null=True,
                                               required=False)
    owner_name = serializers.SerializerMethodField()
    probability = serializers.DecimalField(max_digits=5, decimal_places=4, required=False, allow_null=True,
                                           help_text="0–1; the stage's default when left out.")
    forecast_category = serializers.ChoiceField(choices=Opportunity.Category.choices, required=False, allow_blank=True,
                                                help_text="The owner's call; the stage's default when left out.")
    weighted_amount = serializers.SerializerMethodField()

    class Meta:
        model = Opportunity
        fields = ["id", "external_id", "name", "company", "company_name", "type", "use_case", "use_case_category",
                  "amount", "close_date", "stage", "probability", "forecast_category", "category_overridden",
                  "weighted_amount", "owner", "owner_name", "created_at", "updated_at"]
        read_only_fields = ["category_overridden", "created_at", "updated_at"]

    def get_owner_name(self, obj) -> str | None:
        return _person(obj.owner)

    def get_weighted_amount(self, obj) -> str:
        return f"{obj.amount * obj.probability:.2f}"


class _ServiceViewSet(viewsets.ModelViewSet):
    """Reads through get_queryset; writes hand the serializer's validated data to a service."""

    filter_backends = [FilterBackend]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _validated(self, instance=None, partial: bool = False) -> dict:
        serializer = self.get_serializer(instance, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _respond(self, pk: int, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        return self._respond(self._create(self._validated()).pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        self._update(instance, self._validated(instance, partial=kwargs.pop("partial", False)))
        return self._respond(instance.pk)


@extend_schema_view(
    list=extend_schema(summary="List contracts", description="Filter with the query parameters; sort with `sort`."),
    create=extend_schema(summary="Create a contract", responses={201: ContractSerializer, 400: VALIDATION_ERROR}),
    update=extend_schema(responses={200: ContractSerializer, 400: VALIDATION_ERROR}),
    partial_update=extend_schema(responses={200: ContractSerializer, 400: VALIDATION_ERROR}),
    destroy=extend_schema(description="Refused (400) while a renewal points at the contract: cancel it instead."),
)
class ContractViewSet(_ServiceViewSet):
    """Contracts: subscription, consumption, commit (drawn down by usage) and hybrid."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    permission_classes = [IsAuthenticatedReadAdminWrite]

    def get_queryset(self):
        return contract_list()

    def _create(self, data):
        return contract_create(**data)

    def _update(self, instance, data):
        return contract_update(contract=instance, data=data)

    def perform_destroy(self, instance):
        contract_delete(contract=instance)

    @extend_schema(summary="Commit burn-down", responses={200: dict, 400: VALIDATION_ERROR})
    @action(detail=True, methods=["get"])
    def burndown(self, request, pk=None):
        contract = self.get_object()
        day = request.query_params.get("today")
        try:
            today = date.fromisoformat(day) if day else None
        except ValueError:
            raise serializers.ValidationError({"today": ["Enter a date as YYYY-MM-DD."]}) from None
        return Response(burndown_json(commit_burndown(contract=contract, today=today)))


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def burndown_json(burn) -> dict:
    return {
        "contract": burn.contract.pk,
        "external_id": burn.contract.external_id,
        "today": burn.today.isoformat(),
        "status": burn.status,
        "status_label": burn.status_label,
        "committed": _money(burn.committed),
        "rollover_in": _money(burn.rollover_in),
        "available": _money(burn.available),
        "consumed": _money(burn.consumed),
        "remaining": _money(burn.remaining),
        "run_rate_monthly": _money(burn.run_rate_monthly),
        "projected_consumption": _money(burn.projected_consumption),
        "projected_exhaustion": burn.projected_exhaustion.isoformat() if burn.projected_exhaustion else None,
        "projected_overage": _money(burn.projected_overage),
        "projected_shortfall": _money(burn.projected_shortfall),
        "true_up": _money(burn.true_up),
        "rollover_amount": _money(burn.rollover_amount),
        "burn_ratio": None if burn.burn_ratio is None else round(burn.burn_ratio, 4),
        "elapsed_share": round(burn.elapsed_share, 4),
        "series": [
            {"month": point.month.isoformat(), "consumed": _money(point.consumed),
             "projected": _money(point.projected), "expected": _money(point.expected),
             "available": _money(point.available)}
            for point in burn.series
        ],
    }


@extend_schema_view(
    list=extend_schema(summary="List opportunities", description="Filter with the query parameters; sort with `sort`."),
    create=extend_schema(summary="Create an opportunity",
                         responses={201: OpportunitySerializer, 400: VALIDATION_ERROR, 403: None}),
    update=extend_schema(responses={200: OpportunitySerializer, 400: VALIDATION_ERROR, 403: None}),
    partial_update=extend_schema(responses={200: OpportunitySerializer, 400: VALIDATION_ERROR, 403: None}),
)
class OpportunityViewSet(_ServiceViewSet):
    """The expansion pipeline: land, expansion, cross-sell and renewal opportunities."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return opportunity_list()

    def _create(self, data):
        data["forecast_category"] = data.get("forecast_category") or None
        return opportunity_create(**data, by=self.request.user)

    def _update(self, instance, data):
        return opportunity_update(opportunity=instance, data=data, by=self.request.user)

    def perform_destroy(self, instance):
        opportunity_delete(opportunity=instance, by=self.request.user)


class RetentionQuery(EmptyFormValuesRefused, serializers.Serializer):
    basis = serializers.ChoiceField(choices=list(BASES), default="total")
    months = serializers.IntegerField(min_value=1, max_value=36, default=12)
    as_of = serializers.RegexField(r"^\d{4}-\d{2}$", required=False,
                                   error_messages={"invalid": "Enter a month as YYYY-MM."})

    def validate_as_of(self, value: str) -> date:
        year, month = (int(part) for part in value.split("-"))
        if not 1 <= month <= 12:
            raise serializers.ValidationError("Enter a month as YYYY-MM.")
        return date(year, month, 1)


def retention_json(figures: Retention | None) -> dict | None:
    if figures is None:
        return None
    return {
        "customers": figures.customers, "start": _money(figures.start), "now": _money(figures.now),
        "expansion": _money(figures.expansion), "contraction": _money(figures.contraction),
        "churn": _money(figures.churn), "churned_customers": figures.churned_customers,
        "nrr": None if figures.nrr is None else round(figures.nrr, 4),
        "grr": None if figures.grr is None else round(figures.grr, 4),
    }


class RetentionApi(APIView):
    """NRR and GRR for each month (cohort: customers with revenue twelve months earlier), with breakdowns
    by segment, rep and signup cohort at the last month and NRR by signup cohort and month."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[RetentionQuery], responses={200: dict, 400: VALIDATION_ERROR})
    def get(self, request):
        query = RetentionQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = retention_report(basis=query.validated_data["basis"], months=query.validated_data["months"],
                                  as_of=query.validated_data.get("as_of"))
        return Response({
            "basis": report.basis,
            "basis_label": BASES[report.basis],
            "as_of": report.as_of.isoformat() if report.as_of else None,
            "latest": retention_json(report.latest),
            "series": [{"month": month.isoformat(), **retention_json(figures)} for month, figures in report.series],
            "breakdowns": {
                dimension: [{"key": row.key, "label": row.label, **retention_json(row.figures)} for row in rows]
                for dimension, rows in report.breakdowns.items()
            },
            "dimensions": DIMENSIONS,
            "heatmap": [
                {"cohort": cohort, "month": month.isoformat(), "nrr": retention_json(figures)["nrr"],
                 "grr": retention_json(figures)["grr"], "customers": figures.customers}
                for (cohort, month), figures in sorted(report.heatmap.items())
            ],
        })


ROUTES: list = [
    ("contracts", ContractViewSet, "contract"),
    ("opportunities", OpportunityViewSet, "opportunity"),
]
URLS: list = [
    path("retention/", RetentionApi.as_view(), name="forecasting-retention"),
]
