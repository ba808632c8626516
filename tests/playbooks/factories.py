"""Factories of the playbooks area (shared by the playbooks tests; tests/factories.py is not ours)."""
from datetime import datetime, timezone

import factory

from playbooks.models import Play, Playbook, PlaybookStep
from tests.factories import CompanyFactory

WORKSPACES_GTE_2 = {"match": "all", "conditions": [{"metric": "workspace_count", "operator": "gte", "value": 2}]}


class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Playbook

    name = factory.Sequence(lambda n: f"Playbook {n}")
    slug = factory.Sequence(lambda n: f"playbook-{n}")
    goal_type = Playbook.GoalType.EXPANSION
    signal = factory.LazyFunction(lambda: dict(WORKSPACES_GTE_2))
    cooldown_days = 30


class PlaybookStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaybookStep

    playbook = factory.SubFactory(PlaybookFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Step {n}")
    due_after_days = 7


class PlayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Play

    playbook = factory.SubFactory(PlaybookFactory)
    company = factory.SubFactory(CompanyFactory)
    status = Play.Status.OPEN
    surfaced_at = factory.LazyFunction(lambda: datetime(2026, 1, 5, 9, tzinfo=timezone.utc))
