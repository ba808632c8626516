"""API: playbooks, runs and plays with filters; status changes; signal preview; validation errors name the condition."""

import pytest
from django.utils import timezone

from playbooks.models import Playbook, PlaybookRun
from tests.factories import CompanyFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory, PlayFactory

pytestmark = [pytest.mark.django_db]


def test_list_playbooks_with_signal_in_words(admin_client):
    data = admin_client.get("/api/v1/playbooks/", {"goal_type": "consolidation"}).json()
    assert [p["slug"] for p in data["results"]] == ["consolidation"]
    assert data["results"][0]["signal_text"].startswith("Workspaces ≥ 2 and (")
    assert len(data["results"][0]["steps"]) == 4


def test_create_playbook_refuses_bad_signal_naming_the_condition(admin_client):
    body = {"name": "Bad", "slug": "bad", "signal": {"match": "all", "conditions": [
        {"metric": "seats", "operator": "gte", "value": 1}, {"metric": "tier", "operator": "gt", "value": "smb"}]}}
    response = admin_client.post("/api/v1/playbooks/", body, content_type="application/json")
    assert response.status_code == 400
    assert "Condition 2 (Tier): the operator “>” does not fit a choice metric" in response.json()["signal"][0]
    assert not Playbook.objects.filter(slug="bad").exists()


def test_create_playbook_with_steps(admin_client):
    body = {"name": "Seats", "slug": "seats", "signal": {"metric": "seats", "operator": "gte", "value": 100},
            "kpis": ["conversion_rate"], "steps": [{"title": "Call", "due_after_days": 2}]}
    response = admin_client.post("/api/v1/playbooks/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    playbook = Playbook.objects.get(slug="seats")
    assert playbook.signal == {"match": "all", "conditions": [{"metric": "seats", "operator": "gte", "value": 100}]}
    assert list(playbook.steps.values_list("position", "title", "due_after_days")) == [(1, "Call", 2)]


def test_reps_read_but_cannot_write_or_run(rep_client):
    playbook = Playbook.objects.first()
    assert rep_client.get("/api/v1/playbooks/").status_code == 200
    assert rep_client.post(f"/api/v1/playbooks/{playbook.pk}/run/").status_code == 403
    assert not PlaybookRun.objects.exists()


def test_run_through_the_api(admin_client, django_capture_on_commit_callbacks):
    playbook = PlaybookFactory()
    company = CompanyFactory()
    WorkspaceFactory(company=company)
    WorkspaceFactory(company=company)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/api/v1/playbooks/{playbook.pk}/run/")
    assert response.status_code == 202 and response.json()["trigger"] == "api"
    runs = admin_client.get("/api/v1/playbook-runs/", {"playbook": playbook.slug}).json()["results"]
    assert [(r["status"], r["new_plays"], r["playbook_slug"]) for r in runs] == [("succeeded", 1, playbook.slug)]


def test_plays_filters_and_visibility(rep, rep2, other_rep, manager, team):
    from django.test import Client

    rep_client, manager_client = Client(), Client()
    rep_client.force_login(rep)
    manager_client.force_login(manager)
    mine = PlayFactory(assignee=rep)
    teammate = PlayFactory(assignee=rep2, playbook=mine.playbook)
    other = PlayFactory(assignee=other_rep)
    ids = lambda response: {p["id"] for p in response.json()["results"]}  # noqa: E731
    assert ids(rep_client.get("/api/v1/plays/")) == {mine.pk}
    assert ids(manager_client.get("/api/v1/plays/")) == {mine.pk, teammate.pk}
    assert ids(manager_client.get("/api/v1/plays/", {"assignee": rep2.pk})) == {teammate.pk}
    assert ids(manager_client.get("/api/v1/plays/", {"playbook": mine.playbook.slug, "status": "open"})) == {mine.pk, teammate.pk}
    assert ids(manager_client.get("/api/v1/plays/", {"company": mine.company_id})) == {mine.pk}
    assert other.pk not in ids(manager_client.get("/api/v1/plays/"))


def test_status_change_through_the_api(rep_client, rep, rep2):
    play = PlayFactory(assignee=rep)
    response = rep_client.post(f"/api/v1/plays/{play.pk}/status/", {"action": "start"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    response = rep_client.post(f"/api/v1/plays/{play.pk}/status/", {"action": "disqualify"}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()
    play.refresh_from_db()
    assert play.status == "in_progress"
    foreign = PlayFactory(assignee=rep2)
    assert rep_client.post(f"/api/v1/plays/{foreign.pk}/status/", {"action": "start"},
                           content_type="application/json").status_code == 404


def test_signal_preview_and_metrics(rep_client):
    company = CompanyFactory(name="Busy")
    WorkspaceFactory(company=company)
    body = {"signal": {"metric": "workspace_count", "operator": "gte", "value": 1}}
    data = rep_client.post("/api/v1/playbooks/signal-preview/", body, content_type="application/json").json()
    assert (data["count"], [s["name"] for s in data["sample"]]) == (1, ["Busy"])
    bad = rep_client.post("/api/v1/playbooks/signal-preview/", {"signal": {"metric": "nope", "operator": "eq", "value": 1}},
                          content_type="application/json")
    assert bad.status_code == 400 and bad.json() == {"signal": ["Condition 1: unknown metric 'nope'."]}
    metrics = {m["key"]: m for m in rep_client.get("/api/v1/playbooks/metrics/").json()}
    assert [o["key"] for o in metrics["industry"]["operators"]] == ["eq", "ne", "in"]
    assert metrics["usage_growth"]["params"][0]["default"] == 3


@pytest.mark.parametrize("path, query, param", [
    ("plays", "surfaced_after=", "surfaced_after"),
    ("plays", "surfaced_after=tomorrow", "surfaced_after"),
    ("plays", "open=null&open=null", "open"),
    ("plays", "run=abc", "run"),
    ("playbooks", "is_active=maybe", "is_active"),
    ("playbook-runs", "page_size=-1", "page_size"),
])
def test_invalid_filter_value_is_400_naming_the_parameter(rep_client, path, query, param):
    PlayFactory()
    response = rep_client.get(f"/api/v1/{path}/?{query}")
    assert response.status_code == 400 and list(response.json()) == [param], response.json()


def test_open_filter_takes_true_and_false(admin_client):
    PlayFactory(status="open")
    PlayFactory(status="in_progress")
    PlayFactory(status="disqualified", disqualify_reason="No budget", closed_at=timezone.now())
    counts = [admin_client.get(f"/api/v1/plays/?open={v}").json()["count"] for v in ("true", "false", "unknown")]
    assert counts == [2, 1, 3]
