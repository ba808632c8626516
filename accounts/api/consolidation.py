"""Consolidation candidates over the API: /api/v1/consolidation/.

- GET …/       every candidate (an ultimate parent whose group has two or more live workspaces),
               best opportunity first; filters `q` (name), `more_than_typical`, `owner` (user id),
               `tier`, `min_workspaces` (2 or more), `sort` (uplift, workspaces, seats, saving,
               arr, name; `-` for descending; default `-uplift`); paginated.
- GET …/{id}/  the candidate of one company (its id): 404 naming the ultimate parent when the
               company is a subsidiary, 404 when its group has fewer than two live workspaces.

Read-only; any logged-in user. Money per year unless the field says monthly. Definitions: see
accounts.selectors.consolidation.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.models import Company
from accounts.selectors.consolidation import (
    ConsolidationFilterForm,
    ConsolidationFilters,
    consolidation_candidate_get,
    consolidation_candidates,
)
from accounts.selectors.hierarchy import company_ancestors
from revops.pagination import StandardPagination
from revops.permissions import IsAuthenticatedReadAdminWrite

MONEY = {"max_digits": 16, "decimal_places": 2}


class AdminSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class CandidateWorkspaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="workspace.pk")
    external_id = serializers.CharField(source="workspace.external_id")
    name = serializers.CharField(source="workspace.name")
    company_id = serializers.IntegerField(source="workspace.company_id")
    company_name = serializers.CharField(source="workspace.company.name")
    plan = serializers.CharField(source="workspace.plan")
    status = serializers.CharField(source="workspace.status")
    seats = serializers.IntegerField(source="workspace.seats")
    mrr = serializers.DecimalField(source="workspace.mrr", **MONEY)
    active_users = serializers.IntegerField(help_text="Members active in the last 30 days.")
    admins = AdminSerializer(many=True, help_text="Up to three workspace admins.")
    admins_not_shown = serializers.IntegerField(source="admins_hidden")


class QuoteSerializer(serializers.Serializer):
    plan = serializers.CharField(source="plan_name")
    seats = serializers.IntegerField()
    tier_min_seats = serializers.IntegerField(source="tier", allow_null=True, help_text="null: list price.")
    list_price_per_seat = serializers.DecimalField(**MONEY, help_text="Per month.")
    price_per_seat = serializers.DecimalField(source="tier_price_per_seat", **MONEY, help_text="Per month.")
    monthly = serializers.DecimalField(**MONEY)
    annual = serializers.DecimalField(**MONEY)


class CandidateSerializer(serializers.Serializer):
    company_id = serializers.IntegerField(source="company.pk")
    external_id = serializers.CharField(source="company.external_id")
    name = serializers.CharField(source="company.name")
    owner_email = serializers.EmailField(source="company.owner.email", allow_null=True, default=None)
    tier = serializers.CharField(source="company.tier")
    employee_count = serializers.IntegerField(source="company.employee_count", allow_null=True)
    size_band = serializers.CharField(source="band")
    companies_with_workspaces = serializers.IntegerField(source="company_count")
    workspace_count = serializers.IntegerField()
    typical_workspace_count = serializers.FloatField(source="typical", allow_null=True)
    percentile = serializers.IntegerField()
    more_than_typical = serializers.BooleanField()
    seats = serializers.IntegerField()
    active_users = serializers.IntegerField(help_text="Distinct members active in the last 30 days.")
    current_mrr = serializers.DecimalField(source="mrr", **MONEY)
    current_arr = serializers.DecimalField(**MONEY)
    committed_arr = serializers.DecimalField(**MONEY, help_text="Spend on the enterprise plan, under contract today.")
    agreement = QuoteSerializer(source="quote")
    customer_saving = serializers.DecimalField(source="saving", **MONEY, help_text="Negative: they would pay more.")
    committed_uplift = serializers.DecimalField(**MONEY)
    needs_incentive = serializers.BooleanField()
    margin_at_risk = serializers.BooleanField()
    workspaces = CandidateWorkspaceSerializer(many=True)


YES_NO = {"true", "false"}  # what the form's checkbox reads as a yes or a no (any case)


def _filters(request) -> ConsolidationFilters:
    form = ConsolidationFilterForm(request.query_params)
    errors = {field: [str(e) for e in errors] for field, errors in form.errors.items()}
    params = request.query_params
    # The page's form reads a checkbox (any value is "on") and an empty field as "any": the API refuses both.
    if "more_than_typical" in params and params["more_than_typical"].lower() not in YES_NO:
        errors["more_than_typical"] = ["Use true or false."]
    for name in ("owner", "min_workspaces", "tier", "sort"):
        if params.get(name) == "":
            errors[name] = ["Empty: give a value or leave the parameter out."]
    if errors:
        raise ValidationError(errors)
    return ConsolidationFilters.from_form(form)


FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Part of the group's name."),
    OpenApiParameter("more_than_typical", OpenApiTypes.BOOL),
    OpenApiParameter("owner", OpenApiTypes.INT, description="The group owner's user id."),
    OpenApiParameter("tier", OpenApiTypes.STR, enum=[c for c in Company.Tier.values if c]),
    OpenApiParameter("min_workspaces", OpenApiTypes.INT, description="2 or more."),
    OpenApiParameter("sort", OpenApiTypes.STR, description="uplift, workspaces, seats, saving, arr, name; '-' first."),
]


@extend_schema_view(
    list=extend_schema(
        summary="List consolidation candidates",
        parameters=FILTER_PARAMETERS,
        responses={200: CandidateSerializer(many=True), 400: OpenApiResponse(description="A bad filter, named.")},
    ),
    retrieve=extend_schema(
        summary="One company's consolidation case",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The company's id.")],
        responses={200: CandidateSerializer, 404: OpenApiResponse(description="Not an ultimate parent, or not a candidate.")},
    ),
)
class ConsolidationViewSet(viewsets.ViewSet):
    """Groups whose self-serve usage one enterprise agreement could bring together."""

    permission_classes = [IsAuthenticatedReadAdminWrite]
    pagination_class = StandardPagination
    serializer_class = CandidateSerializer

    def list(self, request):
        candidates = consolidation_candidates(filters=_filters(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(candidates, request, view=self)
        return paginator.get_paginated_response(CandidateSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        company = get_object_or_404(Company.objects.only("id", "name", "parent_id"), pk=pk)
        if company.parent_id is not None:
            root = company_ancestors(company=company)[0]
            raise NotFound(
                f"{company.name} is part of {root.name} (id {root.pk}); consolidation is evaluated at the ultimate parent."
            )
        candidate = consolidation_candidate_get(company=company)
        if candidate is None:
            raise NotFound(f"{company.name}'s group has fewer than two live workspaces: not a consolidation candidate.")
        return Response(CandidateSerializer(candidate).data)
