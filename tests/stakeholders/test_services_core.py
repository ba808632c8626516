"""Last contact through the services (checked in the database), and the key-rank shuffle."""
from datetime import timedelta

import pytest
from django.utils import timezone

from revops.errors import ApplicationError
from stakeholders.models import Stakeholder
from stakeholders.services import (
    interaction_delete,
    interaction_log,
    interaction_update,
    last_contact_refresh,
    stakeholder_create,
    stakeholder_delete,
)
from tests.factories import CompanyFactory

from .factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def last(person):
    return Stakeholder.objects.values_list("last_contacted_at", "last_contacted_by").get(pk=person.pk)


def test_last_contact_under_create_edit_backdate_and_delete(rep, rep2):
    company = CompanyFactory(owner=rep)
    ann, bob = StakeholderFactory(company=company), StakeholderFactory(company=company)
    now = timezone.now()
    old = interaction_log(company=company, by=rep, stakeholders=[ann, bob], occurred_at=now - timedelta(days=20))
    new = interaction_log(company=company, by=rep2, stakeholders=[ann], occurred_at=now - timedelta(days=1))
    assert last(ann) == (now - timedelta(days=1), rep2.pk)
    assert last(bob) == (now - timedelta(days=20), rep.pk)
    # Logging an older contact afterwards (back-dated entry) does not move last contact back.
    interaction_log(company=company, by=rep, stakeholders=[ann], occurred_at=now - timedelta(days=90))
    assert last(ann) == (now - timedelta(days=1), rep2.pk)
    # Back-dating the newest one: the 20-day-old contact is now the latest.
    interaction_update(interaction=new, by=rep2, occurred_at=now - timedelta(days=40))
    assert last(ann) == (now - timedelta(days=20), rep.pk)
    # Moving it forward again and adding Bob.
    interaction_update(interaction=new, by=rep2, occurred_at=now - timedelta(days=2), stakeholders=[ann, bob])
    assert last(bob) == (now - timedelta(days=2), rep2.pk)
    interaction_delete(interaction=new, by=rep2)
    assert last(ann) == (now - timedelta(days=20), rep.pk)
    assert last(bob) == (now - timedelta(days=20), rep.pk)
    interaction_delete(interaction=old, by=rep)
    assert last(bob) == (None, None)
    assert last(ann)[0] == now - timedelta(days=90)


def test_refresh_accepts_a_queryset_and_repairs_drift(rep):
    company = CompanyFactory(owner=rep)
    ann = StakeholderFactory(company=company)
    logged = interaction_log(company=company, by=rep, stakeholders=[ann], occurred_at=timezone.now() - timedelta(days=3))
    Stakeholder.objects.update(last_contacted_at=None, last_contacted_by=None)
    assert last_contact_refresh(stakeholder_ids=Stakeholder.objects.filter(company=company).values("pk")) == 1
    assert last(ann) == (logged.occurred_at, rep.pk)


def test_deleting_a_stakeholder_keeps_their_interactions(rep):
    company = CompanyFactory(owner=rep)
    ann = StakeholderFactory(company=company, name="Ann")
    logged = interaction_log(company=company, by=rep, stakeholders=[ann])
    stakeholder_delete(stakeholder=ann, by=rep)
    assert list(logged.participants.values_list("stakeholder", "stakeholder_name")) == [(None, "Ann")]


def test_taking_a_key_rank_moves_the_holders_down(rep):
    company = CompanyFactory(owner=rep)
    ranks = [StakeholderFactory(company=company, key_rank=r) for r in range(1, 6)]
    newcomer = stakeholder_create(company=company, by=rep, name="New", key_rank=2)
    assert Stakeholder.objects.get(pk=newcomer.pk).key_rank == 2
    assert [Stakeholder.objects.get(pk=p.pk).key_rank for p in ranks] == [1, 3, 4, 5, None]


def test_invalid_stakeholder_leaves_ranks_alone(rep):
    company = CompanyFactory(owner=rep)
    holder = StakeholderFactory(company=company, key_rank=1)
    with pytest.raises(ApplicationError):
        stakeholder_create(company=company, by=rep, name="Bad", key_rank=1, influence=9)
    assert Stakeholder.objects.get(pk=holder.pk).key_rank == 1
    assert Stakeholder.objects.count() == 1
