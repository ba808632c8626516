"""Pages: the rep inbox (sorted by value, the why, one-click htmx changes), team view, playbook and run pages,
the account panel and the weekly review's selector."""
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from forecasting.models import Opportunity
from playbooks.models import Play, PlayStep
from playbooks.selectors import open_plays_by_company
from tests.factories import CompanyFactory
from tests.playbooks.factories import PlayFactory

pytestmark = pytest.mark.django_db


def play_with_steps(**fields):
    play = PlayFactory(**fields)
    for i, title in enumerate(("Research", "Pitch"), start=1):
        PlayStep.objects.create(play=play, position=i, title=title, due_date=date(2026, 1, 10 + i))
    return play


def test_inbox_lists_my_open_plays_by_value_with_the_why(rep_client, rep, rep2):
    small = play_with_steps(assignee=rep, value=Decimal("1000"), why=[{"metric": "seats", "text": "12 seats"}])
    big = play_with_steps(assignee=rep, value=Decimal("90000"), why=[{"metric": "workspace_count", "text": "4 workspaces"}])
    PlayFactory(assignee=rep, status=Play.Status.DONE, closed_at=big.surfaced_at)
    PlayFactory(assignee=rep2)
    response = rep_client.get(reverse("playbooks:inbox"))
    assert response.status_code == 200
    assert [p.pk for p in response.context["plays"]] == [big.pk, small.pk]
    html = response.content.decode()
    assert "4 workspaces" in html and "Research" in html and "$90K" in html


def test_inbox_query_count_is_constant(rep_client, rep, django_assert_max_num_queries):
    for _ in range(12):
        play_with_steps(assignee=rep)
    with django_assert_max_num_queries(14):
        assert rep_client.get(reverse("playbooks:inbox")).status_code == 200


def test_one_click_start_and_step_with_htmx(rep_client, rep):
    play = play_with_steps(assignee=rep)
    response = rep_client.post(reverse("playbooks:play_status", args=[play.pk]), {"action": "start"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="play-%d"' % play.pk in response.content.decode()
    assert "<html" not in response.content.decode()
    play.refresh_from_db()
    assert play.status == "in_progress" and play.first_action_at is not None
    step = play.steps.first()
    rep_client.post(reverse("playbooks:play_step", args=[play.pk, step.pk]), {"done": "1"}, HTTP_HX_REQUEST="true")
    step.refresh_from_db()
    assert step.done_at is not None and step.done_by == rep


def test_disqualify_needs_a_reason_and_writes_nothing_without(rep_client, rep):
    play = play_with_steps(assignee=rep)
    response = rep_client.post(reverse("playbooks:play_status", args=[play.pk]), {"action": "disqualify"},
                               HTTP_HX_REQUEST="true")
    assert "Say why the play is disqualified." in response.content.decode()
    play.refresh_from_db()
    assert play.status == "open"
    rep_client.post(reverse("playbooks:play_status", args=[play.pk]), {"action": "disqualify", "reason": "No budget"},
                    HTTP_HX_REQUEST="true")
    play.refresh_from_db()
    assert (play.status, play.disqualify_reason) == ("disqualified", "No budget") and play.closed_by == rep


def test_another_rep_cannot_change_my_play(rep, other_rep):
    play = play_with_steps(assignee=rep)
    client = Client()
    client.force_login(other_rep)
    assert client.post(reverse("playbooks:play_status", args=[play.pk]), {"action": "done"}).status_code == 404
    play.refresh_from_db()
    assert play.status == "open"


def test_manager_sees_and_works_the_team_s_plays(manager_client, rep, rep2, other_rep):
    mine = play_with_steps(assignee=rep)
    theirs = play_with_steps(assignee=rep2)
    play_with_steps(assignee=other_rep)
    response = manager_client.get(reverse("playbooks:inbox"), {"scope": "team"})
    assert {p.pk for p in response.context["plays"]} == {mine.pk, theirs.pk}
    manager_client.post(reverse("playbooks:play_status", args=[theirs.pk]), {"action": "done"})
    theirs.refresh_from_db()
    assert theirs.status == "done"


def test_convert_links_the_opportunity_both_ways(rep_client, rep):
    play = play_with_steps(assignee=rep)
    opp = Opportunity.objects.create(company=play.company, external_id="O-1", name="Enterprise deal",
                                     amount=Decimal("120000"), close_date=date(2026, 6, 30), probability=Decimal("0.2"),
                                     forecast_category="pipeline")
    rep_client.post(reverse("playbooks:play_status", args=[play.pk]), {"action": "convert", "opportunity": opp.pk})
    play.refresh_from_db()
    assert (play.status, play.opportunity, play.outcome_amount) == ("converted", opp, Decimal("120000"))
    assert list(opp.plays.all()) == [play]


def test_convert_into_a_new_opportunity(rep_client, rep):
    play = play_with_steps(assignee=rep, company=CompanyFactory(owner=rep))
    rep_client.post(reverse("playbooks:play_status", args=[play.pk]),
                    {"action": "convert_new", "name": "Acme ELA", "amount": "80000", "close_date": "2026-09-30"})
    play.refresh_from_db()
    assert play.status == "converted" and play.opportunity.name == "Acme ELA"
    assert play.opportunity.amount == Decimal("80000") and play.opportunity.company == play.company


def test_library_playbook_and_run_pages(rep, admin_user, django_capture_on_commit_callbacks):
    rep_client, admin_client = Client(), Client()
    rep_client.force_login(rep)
    admin_client.force_login(admin_user)
    response = rep_client.get(reverse("playbooks:index"))
    assert response.status_code == 200 and "Small deal at a big company" in response.content.decode()
    detail = rep_client.get(reverse("playbooks:playbook_detail", args=["consolidation"]))
    assert detail.status_code == 200 and "Run now" not in detail.content.decode()
    assert rep_client.post(reverse("playbooks:playbook_run", args=["consolidation"])).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("playbooks:playbook_run", args=["consolidation"]))
    run_url = response["Location"]
    page = admin_client.get(run_url)
    assert page.status_code == 200 and "Succeeded" in page.content.decode()


def test_account_panel_shows_open_plays(admin_client, rep):
    company = CompanyFactory(name="Panel Co")
    play = play_with_steps(company=company, assignee=rep, why=[{"text": "3 workspaces"}])
    response = admin_client.get(reverse("accounts:company_detail", args=[company.pk]))
    html = response.content.decode()
    assert 'id="plays-heading"' in html and play.playbook.name in html and "3 workspaces" in html and "0/2 steps" in html


def test_open_plays_by_company_for_the_weekly_review(django_assert_num_queries):
    a, b = CompanyFactory(), CompanyFactory()
    first = PlayFactory(company=a, value=Decimal("10"))
    second = PlayFactory(company=a, value=Decimal("20"))
    PlayFactory(company=b, status=Play.Status.DONE, closed_at=first.surfaced_at)
    with django_assert_num_queries(1):
        result = open_plays_by_company([a.pk, b.pk])
        assert [p.pk for p in result[a.pk]] == [second.pk, first.pk]
        assert result[a.pk][0].playbook.name  # selected with the play
    assert b.pk not in result


def test_account_panel_costs_one_query(django_assert_num_queries):
    from django.template import Context, Template

    company = CompanyFactory()
    PlayFactory(company=company)
    PlayFactory(company=company, status=Play.Status.DONE, closed_at=company.created_at)
    template = Template("{% load playbook_tags %}{% playbook_panel company %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"company": company}))
    assert "1 open" in html and "Done" in html
