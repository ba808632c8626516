"""Contract and opportunity lists with their FilterSets, shared by the API and the pages."""
from datetime import date

import django_filters
from django.db.models import Q, QuerySet

from accounts.filters import BooleanFilter, IntegerFilter, StableOrderingFilter
from forecasting.models import Contract, Opportunity
from forecasting.services.opportunities import CLOSED_STAGES


class ContractFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    company = IntegerFilter(field_name="company_id")
    company_external_id = django_filters.CharFilter(field_name="company__external_id")
    kind = django_filters.ChoiceFilter(choices=Contract.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices)
    billing = django_filters.ChoiceFilter(choices=Contract.Billing.choices)
    owner = IntegerFilter(field_name="owner_id")
    active_on = django_filters.DateFilter(method="filter_active_on", label="In force on (YYYY-MM-DD)")
    ends_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")
    external_id = django_filters.CharFilter()
    sort = StableOrderingFilter(fields=(
        ("company__name", "company"), ("start_date", "start"), ("end_date", "end"),
        ("committed_amount", "amount"), ("kind", "kind"), ("status", "status"), ("external_id", "external_id"),
    ))

    class Meta:
        model = Contract
        fields: list = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(external_id__icontains=value) | Q(name__icontains=value) | Q(company__name__icontains=value))

    def filter_active_on(self, qs, name, value: date):
        return qs.filter(status=Contract.Status.ACTIVE, start_date__lte=value, end_date__gte=value)


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    company = IntegerFilter(field_name="company_id")
    company_external_id = django_filters.CharFilter(field_name="company__external_id")
    stage = django_filters.ChoiceFilter(choices=Opportunity.Stage.choices)
    type = django_filters.ChoiceFilter(choices=Opportunity.Type.choices)
    forecast_category = django_filters.ChoiceFilter(choices=Opportunity.Category.choices)
    use_case_category = django_filters.ChoiceFilter(choices=Opportunity.UseCase.choices)
    owner = IntegerFilter(field_name="owner_id")
    is_open = BooleanFilter(method="filter_open", label="Open only")
    close_after = django_filters.DateFilter(field_name="close_date", lookup_expr="gte")
    close_before = django_filters.DateFilter(field_name="close_date", lookup_expr="lte")
    external_id = django_filters.CharFilter()
    sort = StableOrderingFilter(fields=(
        ("close_date", "close"), ("amount", "amount"), ("probability", "probability"), ("stage", "stage"),
        ("company__name", "company"), ("name", "name"),
    ))

    class Meta:
        model = Opportunity
        fields: list = []

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(external_id__icontains=value) | Q(company__name__icontains=value))

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        return qs.exclude(stage__in=CLOSED_STAGES) if value else qs.filter(stage__in=CLOSED_STAGES)


def contract_list(*, filters: dict | None = None) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("company", "owner", "renewal_of").order_by("company__name", "-start_date", "pk")
    return ContractFilter(filters or {}, queryset=qs).qs


def opportunity_list(*, filters: dict | None = None) -> QuerySet[Opportunity]:
    qs = Opportunity.objects.select_related("company", "owner").order_by("close_date", "pk")
    return OpportunityFilter(filters or {}, queryset=qs).qs
