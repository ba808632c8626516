"""Admin of the stakeholders area: one smoke test per ModelAdmin, and saves that go through the services."""
from datetime import timedelta

import pytest
from django.utils import timezone

from stakeholders.models import ActionItem, Interaction, ReviewSession, Stakeholder, WeeklyDigest
from tests.factories import CompanyFactory

from .factories import ActionItemFactory, ReviewSessionFactory, StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(rep, team):
    company = CompanyFactory(owner=rep, name="Acme")
    carla = StakeholderFactory(company=company, name="Carla", key_rank=1)
    call = log_contact(carla, by=rep, days_ago=3, next_step="Send deck", next_step_due=timezone.localdate())
    session = ReviewSessionFactory(team=team)
    item = ActionItemFactory(session=session, company=company)
    WeeklyDigest.objects.create(week_start=timezone.localdate())
    return company, carla, call, session, item


@pytest.mark.parametrize("model", ["stakeholder", "interaction", "interactionparticipant", "reviewsession",
                                   "actionitem", "weeklydigest"])
def test_changelist_search_and_change_pages(admin_client, data, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        assert admin_client.get(f"/admin/stakeholders/{model}/").status_code == 200
    assert admin_client.get(f"/admin/stakeholders/{model}/?q=Acme").status_code == 200
    pk = {"stakeholder": data[1].pk, "interaction": data[2].pk, "reviewsession": data[3].pk,
          "actionitem": data[4].pk, "weeklydigest": WeeklyDigest.objects.get().pk,
          "interactionparticipant": data[2].participants.get().pk}[model]
    assert admin_client.get(f"/admin/stakeholders/{model}/{pk}/change/").status_code == 200


def test_add_stakeholder_goes_through_the_service(admin_client, data):
    company = data[0]
    response = admin_client.post("/admin/stakeholders/stakeholder/add/", {
        "company": company.pk, "name": "New Key", "email": "", "title": "", "department": "",
        "role": "champion", "influence": 4, "sentiment": "unknown", "key_rank": 1, "is_active": "on",
        "external_id": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Stakeholder.objects.get(name="New Key").key_rank == 1
    assert Stakeholder.objects.get(name="Carla").key_rank == 2  # moved down by the service


def test_deleting_an_interaction_in_the_admin_refreshes_last_contact(admin_client, data):
    _company, carla, call, _session, _item = data
    response = admin_client.post(f"/admin/stakeholders/interaction/{call.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Interaction.objects.exists()
    carla.refresh_from_db()
    assert carla.last_contacted_at is None


def test_actions_call_the_services(admin_client, data):
    _company, carla, call, session, item = data
    admin_client.post("/admin/stakeholders/interaction/", {"action": "complete_next_steps",
                                                           "_selected_action": [call.pk]})
    call.refresh_from_db()
    assert call.next_step_done_at is not None
    admin_client.post("/admin/stakeholders/actionitem/", {"action": "mark_done", "_selected_action": [item.pk]})
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.completed_at is not None
    admin_client.post("/admin/stakeholders/reviewsession/", {"action": "close_sessions",
                                                             "_selected_action": [session.pk]})
    assert ReviewSession.objects.get(pk=session.pk).status == "closed"
    Stakeholder.objects.filter(pk=carla.pk).update(last_contacted_at=timezone.now() - timedelta(days=400))
    admin_client.post("/admin/stakeholders/stakeholder/", {"action": "refresh_last_contact",
                                                           "_selected_action": [carla.pk]})
    carla.refresh_from_db()
    assert carla.last_contacted_at == call.occurred_at
    admin_client.post("/admin/stakeholders/stakeholder/", {"action": "mark_left", "_selected_action": [carla.pk]})
    carla.refresh_from_db()
    assert carla.is_active is False and carla.key_rank is None
