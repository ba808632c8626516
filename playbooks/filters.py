"""FilterSets of the playbooks area, shared by the API and the pages."""
import django_filters
from django.db.models import Q

from accounts.filters import BooleanFilter, IntegerFilter
from playbooks.models import Play, Playbook, PlaybookRun


class PlaybookRefFilter(django_filters.CharFilter):
    """A playbook by id or by slug."""

    def filter(self, qs, value):
        if not value:
            return qs
        field = self.field_name
        return qs.filter(**{f"{field}_id": int(value)}) if value.isdigit() else qs.filter(**{f"{field}__slug": value})


class PlayFilter(django_filters.FilterSet):
    playbook = PlaybookRefFilter(field_name="playbook", help_text="Playbook id or slug.")
    status = django_filters.MultipleChoiceFilter(choices=Play.Status.choices)
    open = BooleanFilter(method="filter_open", label="Open or in progress")
    assignee = django_filters.CharFilter(method="filter_assignee", help_text="User id, or 'none' for unassigned.")
    company = IntegerFilter(field_name="company_id")
    run = IntegerFilter(field_name="run_id")
    surfaced_after = django_filters.DateTimeFilter(field_name="surfaced_at", lookup_expr="gte")

    class Meta:
        model = Play
        fields = ["playbook", "status", "assignee", "company", "run"]

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        condition = Q(status__in=Play.OPEN_STATES)
        return qs.filter(condition) if value else qs.exclude(condition)

    def filter_assignee(self, qs, name, value):
        if value in ("none", "null", "0"):
            return qs.filter(assignee__isnull=True)
        if value.isdigit():
            return qs.filter(assignee_id=int(value))
        return qs.filter(assignee__username=value)


class PlaybookRunFilter(django_filters.FilterSet):
    playbook = PlaybookRefFilter(field_name="playbook", help_text="Playbook id or slug.")
    status = django_filters.ChoiceFilter(choices=PlaybookRun.Status.choices)
    trigger = django_filters.ChoiceFilter(choices=PlaybookRun.Trigger.choices)

    class Meta:
        model = PlaybookRun
        fields = ["playbook", "status", "trigger"]


class PlaybookFilter(django_filters.FilterSet):
    is_active = BooleanFilter()
    goal_type = django_filters.ChoiceFilter(choices=Playbook.GoalType.choices)
    schedule = django_filters.ChoiceFilter(choices=Playbook.Schedule.choices)

    class Meta:
        model = Playbook
        fields = ["is_active", "goal_type", "schedule"]
