"""REST API of compensation (registered under /api/v1/compensation/…).

* plans — anyone logged in reads; RevOps admins create/update with nested components and tiers.
* assignments — admins read all and write; managers read their team's; reps their own.
* statements — read-only with components and lines, same visibility; admins POST calculate/lock.
* opportunities/<id>/splits/ — a deal's credit splits (admins replace them; splits must sum to 100 %).
Validation errors answer 400 with the offending field as the key (weight, tiers, quotas, percent, period …).
"""
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from forecasting.compensation import calculator as calc
from forecasting.compensation import selectors, services
from forecasting.models import (
    Assignment,
    AssignmentQuota,
    CompPlan,
    CreditSplit,
    Opportunity,
    PlanComponent,
    PlanTier,
    Statement,
    StatementComponent,
    StatementLine,
)
from revops.api import FilterBackend, SearchFilter
from revops.permissions import IsAuthenticatedReadAdminWrite
from revops.roles import is_revops_admin

User = get_user_model()


# --- plans --------------------------------------------------------------------------------------

class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanTier
        fields = ("lower", "upper", "rate")


class ComponentSerializer(serializers.ModelSerializer):
    tiers = TierSerializer(many=True)

    class Meta:
        model = PlanComponent
        fields = ("id", "name", "measure", "weight", "method", "mode", "decelerator_threshold", "decelerator_rate",
                  "retroactive_unlock", "cap_multiple", "tiers")
        read_only_fields = ("id",)


class PlanSerializer(serializers.ModelSerializer):
    components = ComponentSerializer(many=True)

    class Meta:
        model = CompPlan
        fields = ("id", "name", "description", "period_type", "effective_from", "effective_to", "credit_scope",
                  "cap_multiple", "components", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")

    def get_fields(self):
        fields = super().get_fields()
        # The name's uniqueness is checked by the model on save (so an update may keep its own name).
        fields["name"].validators = []
        return fields


def _component_specs(data: list[dict]) -> list[dict]:
    return [{**c, "tiers": [calc.Tier(t["lower"], t.get("upper"), t["rate"]) for t in c.get("tiers", [])]}
            for c in data]


class PlanViewSet(viewsets.ModelViewSet):
    serializer_class = PlanSerializer
    parser_classes = [JSONParser]  # components and their tiers are nested lists: no form can carry them
    permission_classes = [IsAuthenticatedReadAdminWrite]
    queryset = CompPlan.objects.prefetch_related("components__tiers").order_by("name")
    search_fields = ("name",)
    ordering_fields = ("name", "effective_from")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        components = _component_specs(data.pop("components"))
        serializer.instance = services.plan_save(data=data, components=components)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        components = data.pop("components", None)
        if components is None:  # PATCH without components keeps them
            components = [{**ComponentSerializer(c).data, "tiers": list(c.tiers.all().values("lower", "upper", "rate"))}
                          for c in serializer.instance.components.all()]
        serializer.instance = services.plan_save(plan=serializer.instance, data=data,
                                                 components=_component_specs(components))

    def perform_destroy(self, instance):
        if instance.assignments.exists():
            raise serializers.ValidationError({"plan": ["Reps are assigned to this plan; remove the assignments first."]})
        instance.delete()


# --- assignments --------------------------------------------------------------------------------

class QuotaSerializer(serializers.ModelSerializer):
    component = serializers.PrimaryKeyRelatedField(queryset=PlanComponent.objects.all())
    component_name = serializers.CharField(source="component.name", read_only=True)

    class Meta:
        model = AssignmentQuota
        fields = ("component", "component_name", "quota")
        extra_kwargs = {"quota": {"validators": []}}


class AssignmentSerializer(serializers.ModelSerializer):
    rep = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    rep_username = serializers.CharField(source="rep.get_username", read_only=True)
    plan = serializers.PrimaryKeyRelatedField(queryset=CompPlan.objects.all())
    quotas = QuotaSerializer(many=True)

    class Meta:
        model = Assignment
        fields = ("id", "rep", "rep_username", "plan", "period", "period_start", "period_end", "target_incentive",
                  "draw_type", "draw_amount", "quotas")
        read_only_fields = ("id", "period_start", "period_end")
        validators = []  # one plan per rep and period: checked by the service with a message naming "period"


class AssignmentViewSet(viewsets.ModelViewSet):
    serializer_class = AssignmentSerializer
    parser_classes = [JSONParser]  # quotas are a nested list
    permission_classes = [IsAuthenticatedReadAdminWrite]
    filterset_fields = ("period", "plan", "rep")
    filter_backends = [FilterBackend, OrderingFilter, SearchFilter]

    def get_queryset(self):
        return selectors.assignments_visible_to(self.request.user).order_by("-period_start", "rep_id")

    def _save(self, serializer, instance=None):
        data = serializer.validated_data
        quotas = data.get("quotas")
        if quotas is None and instance is not None:
            quotas = [{"component": q.component, "quota": q.quota} for q in instance.quotas.all()]
        serializer.instance = services.assignment_save(
            assignment=instance, rep=data.get("rep", getattr(instance, "rep", None)),
            plan=data.get("plan", getattr(instance, "plan", None)),
            period=data.get("period", getattr(instance, "period", "")),
            target_incentive=data.get("target_incentive", getattr(instance, "target_incentive", None)),
            draw_type=data.get("draw_type", getattr(instance, "draw_type", Assignment.DrawType.NONE)),
            draw_amount=data.get("draw_amount", getattr(instance, "draw_amount", 0)),
            quotas={q["component"].pk: q["quota"] for q in quotas or []},
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.assignment_delete(assignment=instance)


# --- statements ---------------------------------------------------------------------------------

class StatementComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementComponent
        fields = ("name", "measure", "weight", "target", "quota", "credited", "attainment", "factor",
                  "earnings_uncapped", "earnings", "breakdown", "notes")


class StatementLineSerializer(serializers.ModelSerializer):
    component = serializers.CharField(source="component.name", default=None, read_only=True)

    class Meta:
        model = StatementLine
        fields = ("kind", "component", "description", "opportunity", "company", "source_period", "on_date", "amount",
                  "share", "credited", "earnings")


class StatementSerializer(serializers.ModelSerializer):
    rep_username = serializers.CharField(source="rep.get_username", read_only=True)
    plan = serializers.CharField(source="assignment.plan.name", read_only=True)

    class Meta:
        model = Statement
        fields = ("id", "rep", "rep_username", "plan", "period", "period_start", "period_end", "status",
                  "target_incentive", "commission", "plan_cap_reduction", "clawbacks", "adjustments", "earned",
                  "draw_type", "draw_amount", "draw_topup", "recovered", "balance_start", "balance_end", "payable",
                  "ytd_payable", "ytd_earned", "calculated_at", "locked_at")


class StatementDetailSerializer(StatementSerializer):
    components = StatementComponentSerializer(many=True, read_only=True)
    lines = StatementLineSerializer(many=True, read_only=True)

    class Meta(StatementSerializer.Meta):
        fields = (*StatementSerializer.Meta.fields, "components", "lines")


class PeriodSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=7)


class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticatedReadAdminWrite]
    filterset_fields = ("period", "rep", "status")
    filter_backends = [FilterBackend, OrderingFilter, SearchFilter]
    ordering_fields = ("period_start", "payable")

    def get_queryset(self):
        qs = selectors.statements_visible_to(self.request.user).order_by("-period_start", "rep_id")
        if self.action == "retrieve":
            qs = qs.prefetch_related("components", "lines__component")
        return qs

    def get_serializer_class(self):
        return StatementDetailSerializer if self.action == "retrieve" else StatementSerializer

    @extend_schema(request=PeriodSerializer, responses=inline_serializer(
        "CalculationResult", {"period": serializers.CharField(), "calculated": serializers.IntegerField(),
                              "skipped": serializers.ListField(child=serializers.CharField())}))
    @action(detail=False, methods=["post"])
    def calculate(self, request):
        """Recalculate a period's open statements now (idempotent)."""
        body = PeriodSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.statements_calculate(period=body.validated_data["period"])
        return Response({"period": report.period, "calculated": report.calculated, "skipped": report.skipped})

    @extend_schema(request=PeriodSerializer, responses={201: PeriodSerializer})
    @action(detail=False, methods=["post"])
    def lock(self, request):
        """Lock a period: its statements never change again."""
        body = PeriodSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lock = services.period_lock(period=body.validated_data["period"], by=request.user)
        return Response({"period": lock.period}, status=status.HTTP_201_CREATED)


# --- credit splits ------------------------------------------------------------------------------

class SplitSerializer(serializers.ModelSerializer):
    rep = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())

    class Meta:
        model = CreditSplit
        fields = ("rep", "kind", "percent")
        extra_kwargs = {"percent": {"validators": []}}


class SplitSetSerializer(serializers.Serializer):
    splits = SplitSerializer(many=True)


class OpportunitySplitsApi(APIView):
    """GET a deal's credit splits; PUT replaces them (RevOps admins)."""

    permission_classes = [IsAuthenticatedReadAdminWrite]
    parser_classes = [JSONParser]  # splits are a nested list

    @extend_schema(responses=SplitSetSerializer)
    def get(self, request, pk: int):
        opportunity = get_object_or_404(Opportunity, pk=pk)
        return Response({"splits": SplitSerializer(opportunity.credit_splits.all(), many=True).data})

    @extend_schema(request=SplitSetSerializer, responses=SplitSetSerializer)
    def put(self, request, pk: int):
        if not is_revops_admin(request.user):
            raise PermissionDenied("Only RevOps admins change credit splits.")
        opportunity = get_object_or_404(Opportunity, pk=pk)
        body = SplitSetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = services.credit_splits_set(opportunity=opportunity, splits=[
            (s["rep"], s["kind"], s["percent"]) for s in body.validated_data["splits"]])
        return Response({"splits": SplitSerializer(rows, many=True).data})


ROUTES = [
    ("compensation/plans", PlanViewSet, "comp-plan"),
    ("compensation/assignments", AssignmentViewSet, "comp-assignment"),
    ("compensation/statements", StatementViewSet, "comp-statement"),
]
URLS = [
    path("compensation/opportunities/<int:pk>/splits/", OpportunitySplitsApi.as_view(), name="comp-opportunity-splits"),
]
