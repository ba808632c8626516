"""Factories of the stakeholders area (helpers of this area import them; tests/factories.py stays untouched)."""
from datetime import timedelta

import factory
from django.utils import timezone

from stakeholders.models import (
    AccountReviewNote,
    ActionItem,
    Interaction,
    InteractionParticipant,
    ReviewSession,
    Stakeholder,
)
from tests.factories import CompanyFactory, TeamFactory


class StakeholderFactory(factory.django.DjangoModelFactory):
    """A stakeholder row as stored; use the services (or ``log_contact``) to give it contacts."""

    class Meta:
        model = Stakeholder

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@customer.example")
    title = "Director"
    role = Stakeholder.Role.INFLUENCER
    influence = 3


class InteractionFactory(factory.django.DjangoModelFactory):
    """A bare interaction row; it does not refresh last contact — prefer ``log_contact``."""

    class Meta:
        model = Interaction

    company = factory.SubFactory(CompanyFactory)
    channel = Interaction.Channel.VIDEO
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    summary = "Catch-up"


class InteractionParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionParticipant

    interaction = factory.SubFactory(InteractionFactory)
    stakeholder = factory.SubFactory(StakeholderFactory)
    stakeholder_name = factory.LazyAttribute(lambda o: o.stakeholder.name if o.stakeholder else "Someone")


class ReviewSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewSession

    team = factory.SubFactory(TeamFactory)
    week_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=timezone.localdate().weekday()))


class AccountReviewNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountReviewNote

    session = factory.SubFactory(ReviewSessionFactory)
    company = factory.SubFactory(CompanyFactory)
    notes = "Discussed"


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    session = factory.SubFactory(ReviewSessionFactory)
    company = factory.SubFactory(CompanyFactory)
    description = factory.Sequence(lambda n: f"Action {n}")


def log_contact(stakeholders, *, by=None, days_ago: float = 1, **fields) -> Interaction:
    """Log an interaction through the service (so last contact is refreshed), ``days_ago`` days back."""
    from stakeholders.services import interaction_log

    people = list(stakeholders) if isinstance(stakeholders, (list, tuple)) else [stakeholders]
    return interaction_log(
        company=people[0].company, by=by, stakeholders=people,
        occurred_at=fields.pop("occurred_at", timezone.now() - timedelta(days=days_ago)), **fields,
    )
