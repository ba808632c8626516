"""FilterSets of the stakeholders area, shared by the API (and any page that lists stakeholders)."""
from datetime import datetime, time

import django_filters
from django.db.models import Q
from django.utils import timezone

from accounts.filters import BooleanFilter, IntegerFilter
from stakeholders.models import Interaction, Stakeholder


def _start_of(day) -> datetime:
    """Midnight of ``day`` in the active zone (the viewer's), as an aware instant."""
    return datetime.combine(day, time.min).replace(tzinfo=timezone.get_current_timezone())


class StakeholderFilter(django_filters.FilterSet):
    company = IntegerFilter(field_name="company_id")
    owner = IntegerFilter(field_name="company__owner_id", label="Account owner")
    role = django_filters.MultipleChoiceFilter(choices=Stakeholder.Role.choices)
    is_active = BooleanFilter()
    key = BooleanFilter(field_name="key_rank", lookup_expr="isnull", exclude=True,
                                       label="Key stakeholders only")
    stale_since = django_filters.DateFilter(
        method="filter_stale_since", label="Not contacted since (never contacted included)"
    )
    q = django_filters.CharFilter(method="filter_q", label="Search")
    external_id = django_filters.CharFilter()

    class Meta:
        model = Stakeholder
        fields = ["company", "owner", "role", "is_active", "stale_since", "q", "external_id"]

    def filter_stale_since(self, queryset, name, value):
        return queryset.filter(Q(last_contacted_at__lt=_start_of(value)) | Q(last_contacted_at__isnull=True))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(email__iexact=value) | Q(title__icontains=value))


class InteractionFilter(django_filters.FilterSet):
    company = IntegerFilter(field_name="company_id")
    owner = IntegerFilter(field_name="company__owner_id", label="Account owner")
    logged_by = IntegerFilter(field_name="logged_by_id")
    stakeholder = IntegerFilter(method="filter_stakeholder")
    role = django_filters.MultipleChoiceFilter(method="filter_role", choices=Stakeholder.Role.choices,
                                               label="A participant has this role")
    channel = django_filters.MultipleChoiceFilter(choices=Interaction.Channel.choices)
    since = django_filters.DateFilter(method="filter_since", label="On or after")
    until = django_filters.DateFilter(method="filter_until", label="Before")
    next_step_open = BooleanFilter(method="filter_next_step_open", label="Open next step")
    external_id = django_filters.CharFilter()

    class Meta:
        model = Interaction
        fields = ["company", "owner", "logged_by", "stakeholder", "role", "channel", "since", "until", "external_id"]

    def filter_stakeholder(self, queryset, name, value):
        return queryset.filter(participants__stakeholder_id=value)

    def filter_role(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(participants__stakeholder__role__in=value).distinct()

    def filter_since(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_start_of(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_start_of(value))

    def filter_next_step_open(self, queryset, name, value):
        open_q = Q(next_step_done_at__isnull=True) & ~Q(next_step="")
        return queryset.filter(open_q) if value else queryset.exclude(open_q)
