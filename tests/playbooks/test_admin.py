"""Admin: changelist, search, add, change for each ModelAdmin; the signal builder's preview; Run now."""
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from playbooks.models import Play, Playbook, PlaybookRun
from tests.factories import CompanyFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory, PlayFactory

pytestmark = pytest.mark.django_db


def test_playbook_changelist_search_and_change_pages(admin_client):
    playbook = Playbook.objects.get(slug="consolidation")
    assert admin_client.get(reverse("admin:playbooks_playbook_changelist")).status_code == 200
    response = admin_client.get(reverse("admin:playbooks_playbook_changelist"), {"q": "consol"})
    assert response.status_code == 200 and b"Consolidation" in response.content
    response = admin_client.get(reverse("admin:playbooks_playbook_change", args=[playbook.pk]))
    assert response.status_code == 200
    assert b"data-signal-builder" in response.content and b"Run now" in response.content
    assert b"signal-registry" in response.content


def add_form(signal, **extra):
    data = {
        "name": "Seat growth", "slug": "seat-growth", "description": "", "maturity": "foundational",
        "goal_type": "expansion", "goal": "More seats", "when_to_run": "", "pitfalls": "", "is_active": "on",
        "schedule": "manual", "schedule_hour": "6", "schedule_weekday": "0", "cooldown_days": "30",
        "assignment": "owner", "max_open_plays_per_rep": "", "signal": json.dumps(signal),
        "kpis": ["conversion_rate"], "target_personas": ["champion"], "context_metrics": ["mrr"],
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
        "steps-0-position": "1", "steps-0-title": "Call the champion", "steps-0-guidance": "", "steps-0-due_after_days": "3",
        "steps-0-role": "account_executive",
    }
    data.update(extra)
    return data


def test_add_a_playbook_with_the_builder_json(admin_client):
    assert admin_client.get(reverse("admin:playbooks_playbook_add")).status_code == 200
    signal = {"match": "all", "conditions": [{"metric": "seats", "operator": "gte", "value": 50}]}
    response = admin_client.post(reverse("admin:playbooks_playbook_add"), add_form(signal))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    playbook = Playbook.objects.get(slug="seat-growth")
    assert playbook.signal == signal and playbook.kpis == ["conversion_rate"]
    assert list(playbook.steps.values_list("title", flat=True)) == ["Call the champion"]


def test_admin_refuses_a_bad_signal_naming_the_condition(admin_client):
    signal = {"match": "all", "conditions": [{"metric": "seats", "operator": "gte", "value": 5},
                                             {"metric": "industry", "operator": "above_average"}]}
    response = admin_client.post(reverse("admin:playbooks_playbook_add"), add_form(signal))
    assert response.status_code == 200
    assert "Condition 2 (Industry): the operator “above average” does not fit a text metric" in response.content.decode()
    assert not Playbook.objects.filter(slug="seat-growth").exists()


def test_signal_preview_counts_matches_before_saving(admin_client):
    for n in (1, 2, 3):
        company = CompanyFactory(name=f"Co {n}")
        for _ in range(n):
            WorkspaceFactory(company=company, mrr=Decimal("100"))
    url = reverse("admin:playbooks_signal_preview")
    signal = {"match": "all", "conditions": [{"metric": "workspace_count", "operator": "gte", "value": 2}]}
    data = admin_client.post(url, json.dumps({"signal": signal}), content_type="application/json").json()
    assert (data["count"], data["total"], data["text"]) == (2, 3, "Workspaces ≥ 2")
    assert set(data["sample"]) == {"Co 2", "Co 3"}
    bad = admin_client.post(url, json.dumps({"signal": {"match": "all", "conditions": []}}), content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"] == ["The signal is empty: add at least one condition."]


def test_preview_needs_playbook_permission(rep_client):
    response = rep_client.post(reverse("admin:playbooks_signal_preview"), "{}", content_type="application/json")
    assert response.status_code == 302  # the admin sends non-staff to its login page


def test_run_now_button_and_action(admin_client, django_capture_on_commit_callbacks):
    playbook = PlaybookFactory()
    company = CompanyFactory()
    WorkspaceFactory(company=company)
    WorkspaceFactory(company=company)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:playbooks_playbook_run", args=[playbook.pk]))
    assert response.status_code == 302
    run = PlaybookRun.objects.get(playbook=playbook)
    assert (run.status, run.new_plays, run.trigger) == ("succeeded", 1, "manual")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:playbooks_playbook_changelist"),
                          {"action": "run_now", "_selected_action": [playbook.pk]})
    assert PlaybookRun.objects.filter(playbook=playbook).count() == 2
    assert Play.objects.filter(playbook=playbook).count() == 1


def test_run_and_play_admin_pages(admin_client):
    play = PlayFactory()
    run = PlaybookRun.objects.create(playbook=play.playbook, status="succeeded")
    for name, obj in (("playbookrun", run), ("play", play)):
        assert admin_client.get(reverse(f"admin:playbooks_{name}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:playbooks_{name}_changelist"), {"q": "x"}).status_code == 200
        assert admin_client.get(reverse(f"admin:playbooks_{name}_change", args=[obj.pk])).status_code == 200
    assert admin_client.get(reverse("admin:playbooks_play_add")).status_code == 200
    assert admin_client.get(reverse("admin:playbooks_playbookrun_add")).status_code == 403
