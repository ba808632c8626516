"""Shapes of the accounts API: field types, read-only parts and references by id or external id.

No business rules here: views hand validated data to accounts.services.companies.
"""
import re
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Company, ProductUser, UsageRecord, Workspace, WorkspaceMembership

User = get_user_model()
ZERO = Decimal("0")
MONEY_READ = {"max_digits": 16, "decimal_places": 2, "read_only": True}
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@extend_schema_field(OpenApiTypes.EMAIL)
class UserByEmailField(serializers.RelatedField):
    """A login referred to by e-mail address (case-insensitive); the address must be unambiguous."""

    default_error_messages = {
        "does_not_exist": "No active user has the e-mail address {value}.",
        "ambiguous": "Several users share the e-mail address {value}; use `owner` (the user id) instead.",
        "invalid": "Enter an e-mail address.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or "@" not in data:
            self.fail("invalid")
        matches = list(self.get_queryset().filter(email__iexact=data.strip())[:2])
        if not matches:
            self.fail("does_not_exist", value=data)
        if len(matches) > 1:
            self.fail("ambiguous", value=data)
        return matches[0]

    def to_representation(self, value):
        return value.email


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}(-\d{2})?$",
        "example": "2026-01-01",
        "description": "Month of the usage. Accepts YYYY-MM or a date (stored as the first of its month); "
        "returned as the first day of the month.",
    }
)
class PeriodField(serializers.Field):
    default_error_messages = {"invalid": "Enter a month as YYYY-MM or a date as YYYY-MM-DD."}

    def to_internal_value(self, data):
        match = PERIOD_RE.match(str(data).strip()) if isinstance(data, str) else None
        if not match:
            self.fail("invalid")
        year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
        try:
            date(year, month, day)
        except ValueError:
            self.fail("invalid")
        return date(year, month, 1)

    def to_representation(self, value):
        return value.isoformat()


class DomainListField(serializers.ListField):
    """The company's registered domains; on write, what the user typed (normalised by the service)."""

    child = serializers.CharField(max_length=253)

    def to_representation(self, data):
        if hasattr(data, "all"):
            return [row.domain for row in data.all()]
        return super().to_representation(data)


class ExternalIdRelatedField(serializers.SlugRelatedField):
    """A related row by its external id. DRF reads "" as null for related fields, quietly clearing the
    reference; an empty external id is refused instead (400 naming the field; null clears)."""

    default_error_messages = {"blank": "Empty: give an external id, or null to clear."}

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("blank")
        return super().run_validation(data)


# A reference given both by id and by external id must point at the same row. (A comment, not a
# docstring: drf-spectacular would publish a docstring as every serializer's description.)
class AliasCheckMixin:

    aliases: tuple[tuple[str, str], ...] = ()

    def validate(self, attrs):
        initial = getattr(self, "initial_data", None)
        if isinstance(initial, dict):
            for by_id, by_external_id in self.aliases:
                if by_id in initial and by_external_id in initial:
                    given_id = initial.get(by_id)
                    referenced = attrs.get(self.fields[by_id].source)
                    referenced_id = None if referenced is None else str(referenced.pk)
                    if referenced_id != (None if given_id in (None, "") else str(given_id)):
                        raise serializers.ValidationError(
                            {by_external_id: f"Refers to a different record than `{by_id}`; give only one."}
                        )
        return super().validate(attrs)


def _money(**extra):
    return {"min_value": ZERO, **extra}


class CompanySerializer(AliasCheckMixin, serializers.ModelSerializer):
    aliases = (("parent", "parent_external_id"), ("owner", "owner_email"))

    parent = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), allow_null=True, required=False)
    parent_external_id = ExternalIdRelatedField(
        source="parent",
        slug_field="external_id",
        queryset=Company.objects.all(),
        allow_null=True,
        required=False,
        help_text="The parent company by its CRM id; alternative to `parent`.",
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    owner_email = UserByEmailField(
        source="owner", allow_null=True, required=False, help_text="The owner by e-mail; alternative to `owner`."
    )
    domains = DomainListField(
        required=False,
        help_text="Registered domains. On write, URLs and sub-domains are reduced to the registered domain "
        "(https://www.acme.co.uk/x → acme.co.uk) and the list replaces the company's domains.",
    )
    mrr = serializers.DecimalField(**MONEY_READ, help_text="Σ MRR of the company's own workspaces.")
    arr = serializers.DecimalField(**MONEY_READ, help_text="MRR × 12.")
    seats = serializers.IntegerField(read_only=True)
    workspace_count = serializers.IntegerField(read_only=True)
    user_count = serializers.IntegerField(read_only=True)
    penetration = serializers.FloatField(
        read_only=True, allow_null=True, help_text="ARR ÷ potential ARR; null when the potential is unknown."
    )

    class Meta:
        model = Company
        fields = [
            "id",
            "external_id",
            "name",
            "parent",
            "parent_external_id",
            "industry",
            "employee_count",
            "annual_revenue",
            "potential_arr",
            "owner",
            "owner_email",
            "tier",
            "country",
            "domains",
            "mrr",
            "arr",
            "seats",
            "workspace_count",
            "user_count",
            "penetration",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"annual_revenue": _money(), "potential_arr": _money()}


# How resolution tied the record to a company: read-only here, written by resolution and review.
MATCH_FIELDS = (
    "match_method",
    "match_status",
    "match_confidence",
    "match_reason",
    "matched_at",
    "suggested_company",
)


class WorkspaceSerializer(AliasCheckMixin, serializers.ModelSerializer):
    aliases = (("company", "company_external_id"),)

    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), allow_null=True, required=False)
    company_external_id = ExternalIdRelatedField(
        source="company", slug_field="external_id", queryset=Company.objects.all(), allow_null=True, required=False
    )
    company_name = serializers.CharField(source="company.name", read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Workspace
        fields = [
            "id",
            "external_id",
            "name",
            "plan",
            "seats",
            "mrr",
            "status",
            "created_at",
            "company",
            "company_external_id",
            "company_name",
            "member_count",
            *MATCH_FIELDS,
            "imported_at",
            "updated_at",
        ]
        read_only_fields = ["id", *MATCH_FIELDS, "imported_at", "updated_at"]
        extra_kwargs = {"mrr": _money()}


class MembershipSerializer(serializers.ModelSerializer):
    workspace = serializers.PrimaryKeyRelatedField(queryset=Workspace.objects.all(), required=False)
    workspace_external_id = ExternalIdRelatedField(
        source="workspace", slug_field="external_id", queryset=Workspace.objects.all(), required=False
    )
    workspace_name = serializers.CharField(source="workspace.name", read_only=True)

    class Meta:
        model = WorkspaceMembership
        fields = ["workspace", "workspace_external_id", "workspace_name", "role"]
        extra_kwargs = {"role": {"required": False}}

    def validate(self, attrs):
        if "workspace" not in attrs:
            raise serializers.ValidationError({"workspace_external_id": "Give the workspace (or its id)."})
        attrs.setdefault("role", WorkspaceMembership.Role.MEMBER)
        return attrs


class ProductUserSerializer(AliasCheckMixin, serializers.ModelSerializer):
    aliases = (("company", "company_external_id"),)

    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), allow_null=True, required=False)
    company_external_id = ExternalIdRelatedField(
        source="company", slug_field="external_id", queryset=Company.objects.all(), allow_null=True, required=False
    )
    workspaces = MembershipSerializer(
        source="memberships",
        many=True,
        required=False,
        help_text="Workspaces with the user's role. On write, the list replaces all memberships.",
    )

    class Meta:
        model = ProductUser
        fields = [
            "id",
            "external_id",
            "email",
            "name",
            "company_name",
            "title",
            "signed_up_at",
            "last_active_at",
            "company",
            "company_external_id",
            "workspaces",
            *MATCH_FIELDS,
            "imported_at",
            "updated_at",
        ]
        read_only_fields = ["id", *MATCH_FIELDS, "imported_at", "updated_at"]
        extra_kwargs = {"company_name": {"help_text": "Company name the person gave at sign-up."}}


class UsageRecordSerializer(AliasCheckMixin, serializers.ModelSerializer):
    aliases = (("workspace", "workspace_external_id"), ("company", "company_external_id"))

    workspace = serializers.PrimaryKeyRelatedField(queryset=Workspace.objects.all(), allow_null=True, required=False)
    workspace_external_id = ExternalIdRelatedField(
        source="workspace", slug_field="external_id", queryset=Workspace.objects.all(), allow_null=True, required=False
    )
    company = serializers.PrimaryKeyRelatedField(queryset=Company.objects.all(), allow_null=True, required=False)
    company_external_id = ExternalIdRelatedField(
        source="company", slug_field="external_id", queryset=Company.objects.all(), allow_null=True, required=False
    )
    period = PeriodField()

    class Meta:
        model = UsageRecord
        fields = [
            "id",
            "workspace",
            "workspace_external_id",
            "company",
            "company_external_id",
            "period",
            "metric",
            "quantity",
            "amount",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"quantity": _money(), "amount": _money()}
        # Uniqueness per target, month and metric is the service's job (POST upserts).
        validators: list = []


class ApiTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send as `Authorization: Token <token>`.")
    created = serializers.DateTimeField(read_only=True)


class ApiTokenStatusSerializer(serializers.Serializer):
    has_token = serializers.BooleanField(read_only=True)
    created = serializers.DateTimeField(read_only=True, allow_null=True)
