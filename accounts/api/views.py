"""Viewsets of the accounts API. Reads are set-based querysets; writes call the services.

Permissions (revops.permissions): any logged-in user reads, RevOps admins write.
Deletes: usage records, product users and workspaces (with their memberships and usage) may be
deleted; a company only when nothing hangs off it (subsidiaries, workspaces, users, usage) —
otherwise 400 saying what to move first, so a delete never silently orphans product data.
"""
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from accounts.api.serializers import (
    CompanySerializer,
    ProductUserSerializer,
    UsageRecordSerializer,
    WorkspaceSerializer,
)
from accounts.filters import CompanyFilter, ProductUserFilter, UsageRecordFilter, WorkspaceFilter
from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace, WorkspaceMembership
from accounts.pagination import CompanyPagination
from accounts.selectors import company_with_metrics
from accounts.services.companies import (
    company_create,
    company_delete,
    company_update,
    product_user_create,
    product_user_delete,
    product_user_update,
    usage_record_delete,
    usage_record_update,
    usage_record_upsert,
    workspace_create,
    workspace_delete,
    workspace_update,
)
from revops.api import FilterBackend, own_columns
from revops.permissions import IsAuthenticatedReadAdminWrite

VALIDATION_ERROR = OpenApiResponse(description="Invalid input; the body names each offending field.")


def _member_count():
    members = (
        WorkspaceMembership.objects.filter(workspace=OuterRef("pk"))
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(members, output_field=IntegerField()), Value(0))


def companies_for_api() -> QuerySet[Company]:
    # Of the related rows CompanySerializer shows the owner's e-mail, the parent's external id and each
    # domain's name. Whole rows (the owner's password hash, the parent's every column, each domain's
    # timestamps) cost a quarter of the list's query time.
    qs = Company.objects.select_related("owner", "parent").only(
        *own_columns(Company), "owner__email", "parent__external_id"
    )
    domains = CompanyDomain.objects.only("id", "company_id", "domain")
    return company_with_metrics(qs).prefetch_related(Prefetch("domains", queryset=domains)).order_by("name", "id")


def workspaces_for_api() -> QuerySet[Workspace]:
    return Workspace.objects.select_related("company").annotate(member_count=_member_count()).order_by("name", "id")


def product_users_for_api() -> QuerySet[ProductUser]:
    memberships = WorkspaceMembership.objects.select_related("workspace").order_by("workspace__name", "pk")
    return (
        ProductUser.objects.select_related("company")
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by("email", "id")
    )


def usage_records_for_api() -> QuerySet[UsageRecord]:
    return UsageRecord.objects.select_related("workspace", "company").order_by("-period", "metric", "id")


class AccountsViewSet(viewsets.ModelViewSet):
    """Reads through get_queryset; create/update/destroy hand validated data to a service."""

    permission_classes = [IsAuthenticatedReadAdminWrite]
    filter_backends = [FilterBackend, OrderingFilter]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _validated(self, instance=None, partial: bool = False) -> dict:
        serializer = self.get_serializer(instance, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _respond(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(instance).data, status=status_code)

    def _create(self, data: dict):
        raise NotImplementedError

    def _update(self, instance, data: dict):
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        created = self._create(self._validated())
        return self._respond(created.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self._validated(instance, partial=kwargs.pop("partial", False))
        self._update(instance, data)
        return self._respond(instance.pk)


@extend_schema_view(
    list=extend_schema(summary="List companies", description="Filter with the query parameters; sort with `sort`."),
    create=extend_schema(summary="Create a company", responses={201: CompanySerializer, 400: VALIDATION_ERROR}),
    update=extend_schema(responses={200: CompanySerializer, 400: VALIDATION_ERROR}),
    partial_update=extend_schema(responses={200: CompanySerializer, 400: VALIDATION_ERROR}),
    destroy=extend_schema(
        summary="Delete a company",
        description="Refused (400) while subsidiaries, workspaces, product users or usage still point at it.",
        responses={204: None, 400: VALIDATION_ERROR},
    ),
)
class CompanyViewSet(AccountsViewSet):
    """CRM companies with their product footprint (MRR, ARR, seats, workspaces, users)."""

    serializer_class = CompanySerializer
    filterset_class = CompanyFilter
    pagination_class = CompanyPagination  # each row's figures are subqueries: never for rows OFFSET skips
    # CompanyFilter's `sort` parameter orders the list (the same one the pages use).
    filter_backends = [FilterBackend]

    def get_queryset(self):
        return companies_for_api()

    def _create(self, data):
        return company_create(**data)

    def _update(self, instance, data):
        return company_update(company=instance, data=data)

    def perform_destroy(self, instance):
        company_delete(company=instance)


@extend_schema_view(
    create=extend_schema(responses={201: WorkspaceSerializer, 400: VALIDATION_ERROR}),
    update=extend_schema(responses={200: WorkspaceSerializer, 400: VALIDATION_ERROR}),
    partial_update=extend_schema(responses={200: WorkspaceSerializer, 400: VALIDATION_ERROR}),
    destroy=extend_schema(description="Deletes the workspace with its memberships and usage records."),
)
class WorkspaceViewSet(AccountsViewSet):
    """Self-serve product workspaces. Setting `company` records a manual, confirmed match."""

    serializer_class = WorkspaceSerializer
    filterset_class = WorkspaceFilter
    ordering_fields = ["name", "mrr", "seats", "created_at", "external_id"]

    def get_queryset(self):
        return workspaces_for_api()

    def _create(self, data):
        return workspace_create(**data, by=self.request.user)

    def _update(self, instance, data):
        return workspace_update(workspace=instance, data=data, by=self.request.user)

    def perform_destroy(self, instance):
        workspace_delete(workspace=instance)


def _memberships(data: dict) -> dict:
    if "memberships" in data:
        data["memberships"] = [(row["workspace"], row["role"]) for row in data["memberships"]]
    return data


@extend_schema_view(
    create=extend_schema(responses={201: ProductUserSerializer, 400: VALIDATION_ERROR}),
    update=extend_schema(responses={200: ProductUserSerializer, 400: VALIDATION_ERROR}),
    partial_update=extend_schema(responses={200: ProductUserSerializer, 400: VALIDATION_ERROR}),
    destroy=extend_schema(description="Deletes the product user and their workspace memberships."),
)
class ProductUserViewSet(AccountsViewSet):
    """People with a product login, with their workspaces and roles."""

    serializer_class = ProductUserSerializer
    filterset_class = ProductUserFilter
    ordering_fields = ["email", "name", "last_active_at", "signed_up_at"]

    def get_queryset(self):
        return product_users_for_api()

    def _create(self, data):
        return product_user_create(**_memberships(data), by=self.request.user)

    def _update(self, instance, data):
        return product_user_update(user=instance, data=_memberships(data), by=self.request.user)

    def perform_destroy(self, instance):
        product_user_delete(user=instance)


@extend_schema_view(
    create=extend_schema(
        summary="Record usage (upsert)",
        description="Sets quantity and amount of `metric` in the month of `period` for one workspace or one "
        "company. Resending the same target, month and metric updates it (200) instead of creating (201).",
        responses={201: UsageRecordSerializer, 200: UsageRecordSerializer, 400: VALIDATION_ERROR},
    ),
    update=extend_schema(responses={200: UsageRecordSerializer, 400: VALIDATION_ERROR}),
    partial_update=extend_schema(responses={200: UsageRecordSerializer, 400: VALIDATION_ERROR}),
)
class UsageRecordViewSet(AccountsViewSet):
    """Monthly usage per metric, for a workspace or (unattributed) a company."""

    serializer_class = UsageRecordSerializer
    filterset_class = UsageRecordFilter
    ordering_fields = ["period", "metric", "quantity", "amount"]

    def get_queryset(self):
        return usage_records_for_api()

    def create(self, request, *args, **kwargs):
        record, created = usage_record_upsert(**self._validated())
        return self._respond(record.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _update(self, instance, data):
        return usage_record_update(record=instance, data=data)

    def perform_destroy(self, instance):
        usage_record_delete(record=instance)
