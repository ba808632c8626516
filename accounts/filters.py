"""FilterSets shared by the API and the pages."""
import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q

from accounts.models import Company, CompanyDomain, ProductUser, UsageRecord, Workspace


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering where empty values sort last in both directions, on SQLite and PostgreSQL alike,
    and ties break on the primary key so pages never repeat or skip rows."""

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        if value.startswith("-"):
            return F(value[1:]).desc(nulls_last=True)
        return F(value).asc(nulls_last=True)

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*(qs.query.order_by or qs.model._meta.ordering), "pk")


class StrictBooleanSelect(forms.NullBooleanSelect):
    """Passes the raw value on, so the field can refuse what is not a yes or a no."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.NullBooleanField):
    widget = StrictBooleanSelect
    default_error_messages = {"invalid": "Use true or false."}
    EMPTY = (None, "", "unknown")

    def to_python(self, value):
        if value in self.EMPTY:
            return None
        if value in (True, "True", "true"):
            return True
        if value in (False, "False", "false"):
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter (true or false) that refuses other values (the API answers 400 naming the parameter)
    instead of ignoring them, as django-filter's own does; empty and "unknown" (the select's "any") still
    mean unset."""

    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number, such as the id of a row (django-filter's NumberFilter takes 0.5 too), within what
    the database can compare (a larger one would be a 500, not a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63) + 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class CompanyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    tier = django_filters.ChoiceFilter(choices=Company.Tier.choices)
    country = django_filters.CharFilter(lookup_expr="iexact")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    owner = IntegerFilter(field_name="owner_id")
    parent = IntegerFilter(field_name="parent_id")
    is_root = BooleanFilter(field_name="parent", lookup_expr="isnull", label="Top-level only")
    has_workspaces = BooleanFilter(method="filter_has_workspaces", label="Has workspaces")
    small_deal = BooleanFilter(method="filter_small_deal", label="Small deal at a big company")
    external_id = django_filters.CharFilter()
    sort = StableOrderingFilter(
        fields=(
            ("name", "name"),
            ("mrr", "arr"),  # ARR is MRR × 12: the same order, without the multiplication per row
            ("potential_arr", "potential"),
            ("penetration", "penetration"),
            ("employee_count", "employees"),
            ("workspace_count", "workspaces"),
            ("user_count", "users"),
            ("country", "country"),
        ),
        label="Sort",
    )

    class Meta:
        model = Company
        fields = ["q", "tier", "country", "industry", "owner", "parent", "is_root", "has_workspaces", "external_id"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # One id set from three index lookups (migration 0008's trigram and expression indexes on
        # PostgreSQL): an OR across the name, the id and an EXISTS on domains read every company.
        matches = Company.objects.filter(name__icontains=value).order_by().values("pk").union(
            Company.objects.filter(external_id__iexact=value).order_by().values("pk"),
            CompanyDomain.objects.filter(domain__contains=value.lower()).order_by().values("company_id"),
        )
        return queryset.filter(pk__in=matches)

    def filter_small_deal(self, queryset, name, value):
        # Imported here: the selectors import this module. Set-based over every hierarchy.
        from accounts.selectors.hierarchy import company_filter_small_deal

        return company_filter_small_deal(queryset, value)

    def filter_has_workspaces(self, queryset, name, value):
        if value is None:
            return queryset
        has = Exists(Workspace.objects.filter(company=OuterRef("pk")))
        return queryset.filter(has if value else ~has)


class WorkspaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    company = IntegerFilter(field_name="company_id")
    company_external_id = django_filters.CharFilter(field_name="company__external_id")
    unmatched = BooleanFilter(field_name="company", lookup_expr="isnull")
    plan = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=Workspace.Status.choices)
    min_seats = IntegerFilter(field_name="seats", lookup_expr="gte")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Workspace
        fields = ["q", "company", "company_external_id", "unmatched", "plan", "status", "match_status"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(external_id__iexact=value)) if value else queryset


class ProductUserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    company = IntegerFilter(field_name="company_id")
    company_external_id = django_filters.CharFilter(field_name="company__external_id")
    workspace = IntegerFilter(field_name="workspaces__id")
    email_domain = django_filters.CharFilter(method="filter_domain")
    active_since = django_filters.IsoDateTimeFilter(field_name="last_active_at", lookup_expr="gte")

    class Meta:
        model = ProductUser
        fields = ["q", "company", "company_external_id", "workspace", "match_status", "match_method"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(email__icontains=value) | Q(name__icontains=value) | Q(external_id__iexact=value)
        )

    def filter_domain(self, queryset, name, value):
        return queryset.filter(email__iendswith="@" + value.strip().lower().lstrip("@")) if value else queryset


class UsageRecordFilter(django_filters.FilterSet):
    workspace = IntegerFilter(field_name="workspace_id")
    company = IntegerFilter(field_name="company_id")
    workspace_external_id = django_filters.CharFilter(field_name="workspace__external_id")
    company_external_id = django_filters.CharFilter(field_name="company__external_id")
    metric = django_filters.CharFilter()
    period_from = django_filters.DateFilter(field_name="period", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period", lookup_expr="lte")

    class Meta:
        model = UsageRecord
        fields = ["workspace", "company", "metric"]
