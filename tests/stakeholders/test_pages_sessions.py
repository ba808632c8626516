"""Review sessions through real URLs: start this week's, notes and action items inline, ticking last
week's items, history, close, print view and CSV export — and who may do each."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import AccountReviewNote, ActionItem, ReviewSession
from tests.factories import CompanyFactory

from .factories import ActionItemFactory, ReviewSessionFactory, StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def companies(rep, rep2):
    alpha = CompanyFactory(owner=rep, name="Alpha", potential_arr=Decimal("900000"))
    bravo = CompanyFactory(owner=rep2, name="Bravo", potential_arr=Decimal("400000"))
    log_contact(StakeholderFactory(company=alpha, name="Ann Alpha", key_rank=1), by=rep, days_ago=4)
    return {"alpha": alpha, "bravo": bravo}


@pytest.fixture
def session(manager_client, team, companies):
    response = manager_client.post(reverse("stakeholders:session_start"), {"team": team.pk, "ranking": "potential",
                                                                           "top": "25"})
    assert response.status_code == 302
    return ReviewSession.objects.get()


def monday(weeks_ago: int = 0):
    today = timezone.localdate()
    return today - timedelta(days=today.weekday() + 7 * weeks_ago)


def test_manager_starts_this_weeks_review_with_a_snapshot(manager_client, manager, team, companies, session):
    assert (session.team, session.week_start, session.started_by, session.status) == (team, monday(), manager, "open")
    assert [row["company_name"] for row in session.snapshot["rows"]] == ["Alpha", "Bravo"]
    # Starting again the same week opens the same session.
    again = manager_client.post(reverse("stakeholders:session_start"), {"team": team.pk})
    assert again["Location"] == reverse("stakeholders:session_detail", args=[session.pk])
    assert ReviewSession.objects.count() == 1
    html = manager_client.get(again["Location"]).content.decode()
    assert "Enterprise East review · week of" in html and "Ann Alpha" in html
    assert html.count('class="note-form"') == 2 and html.count('class="action-form"') == 2
    assert "This is the team&#x27;s first review" in html or "This is the team's first review" in html


def test_rep_cannot_start_or_run_a_session(rep_client, team, companies):
    assert rep_client.post(reverse("stakeholders:session_start"), {"team": team.pk}).status_code == 403
    assert not ReviewSession.objects.exists()
    session = ReviewSessionFactory(team=team, snapshot={"rows": []})
    url = reverse("stakeholders:note_save", args=[session.pk, companies["alpha"].pk])
    assert rep_client.post(url, {"notes": "sneaky"}, **HTMX).status_code == 403
    url = reverse("stakeholders:action_create", args=[session.pk, companies["alpha"].pk])
    assert rep_client.post(url, {"description": "sneaky"}, **HTMX).status_code == 403
    assert rep_client.post(reverse("stakeholders:session_close", args=[session.pk])).status_code == 403
    assert not AccountReviewNote.objects.exists() and not ActionItem.objects.exists()
    # Reading is allowed, without the controls.
    html = rep_client.get(reverse("stakeholders:session_detail", args=[session.pk])).content.decode()
    assert "Read-only" in html and 'class="note-form"' not in html


def test_notes_are_saved_inline(manager_client, manager, companies, session):
    url = reverse("stakeholders:note_save", args=[session.pk, companies["alpha"].pk])
    response = manager_client.post(url, {"notes": "Champion leaves in May; find a second thread."}, **HTMX)
    assert response.status_code == 200 and "Saved" in response.content.decode()
    manager_client.post(url, {"notes": "Champion leaves in May."}, **HTMX)
    note = AccountReviewNote.objects.get()
    assert (note.company, note.notes, note.updated_by) == (companies["alpha"], "Champion leaves in May.", manager)


def test_action_items_are_added_inline_with_assignee_and_due_date(manager_client, rep, companies, session):
    url = reverse("stakeholders:action_create", args=[session.pk, companies["alpha"].pk])
    due = timezone.localdate() + timedelta(days=7)
    response = manager_client.post(url, {"description": "Meet the CFO", "assignee": rep.pk,
                                         "due_date": due.isoformat()}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and f'id="actions-{companies["alpha"].pk}"' in html and "Meet the CFO" in html
    item = ActionItem.objects.get()
    assert (item.session, item.company, item.assignee, item.due_date, item.status) == (
        session, companies["alpha"], rep, due, "open")


def test_an_action_item_without_description_names_the_field(manager_client, companies, session):
    url = reverse("stakeholders:action_create", args=[session.pk, companies["alpha"].pk])
    html = manager_client.post(url, {"description": "", "assignee": ""}, **HTMX).content.decode()
    assert "Action: This field is required." in html
    assert not ActionItem.objects.exists()


def test_assignee_ticks_their_item_and_others_cannot(client, rep, rep2, companies, session):
    item = ActionItemFactory(session=session, company=companies["alpha"], assignee=rep, description="Call Ann")
    url = reverse("stakeholders:action_update", args=[item.pk])
    client.force_login(rep2)
    assert client.post(url, {"status": ["open", "done"]}, **HTMX).status_code == 403
    client.force_login(rep)
    response = client.post(url, {"status": ["open", "done"]}, **HTMX)  # hidden "open" + the ticked box
    assert response.status_code == 200 and "status-done" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None
    client.post(url, {"status": "open"}, **HTMX)  # unticked: only the hidden field
    item.refresh_from_db()
    assert (item.status, item.completed_at) == ("open", None)


def test_next_week_shows_last_weeks_items_and_whether_they_were_done(manager_client, team, companies):
    last = ReviewSessionFactory(team=team, week_start=monday(1), snapshot={"rows": []})
    ActionItemFactory(session=last, company=companies["alpha"], description="Find a sponsor", status="done",
                      completed_at=timezone.now())
    open_item = ActionItemFactory(session=last, company=companies["bravo"], description="Map procurement")
    response = manager_client.post(reverse("stakeholders:session_start"), {"team": team.pk})
    html = manager_client.get(response["Location"]).content.decode()
    carried = html[html.index('id="carried-heading"'):html.index('class="session-accounts"')]
    assert "1 of 2 done" in carried
    assert "Find a sponsor" in carried and "Map procurement" in carried
    assert f'id="action-done-{open_item.pk}"' in carried  # the manager can tick it from here
    manager_client.post(reverse("stakeholders:action_update", args=[open_item.pk]),
                        {"status": ["open", "done"], "carried": "1"}, **HTMX)
    open_item.refresh_from_db()
    assert open_item.status == "done"


def test_history_lists_the_teams_sessions(manager_client, team, companies, session):
    ReviewSessionFactory(team=team, week_start=monday(1), status="closed", snapshot={"rows": [{}, {}, {}]})
    html = manager_client.get(reverse("stakeholders:session_list") + f"?team={team.pk}").content.decode()
    assert html.index(f"{monday():%b} {monday().day}, {monday():%Y}") < html.index(f"{monday(1):%b} {monday(1).day}, ")
    assert "In progress" in html and "Closed" in html
    assert reverse("stakeholders:session_export", args=[session.pk]) in html


def test_other_teams_cannot_read_a_session(client, other_rep, session):
    client.force_login(other_rep)
    assert client.get(reverse("stakeholders:session_detail", args=[session.pk])).status_code == 404
    assert client.get(reverse("stakeholders:session_export", args=[session.pk])).status_code == 404


def test_closing_freezes_notes_but_items_can_still_be_ticked(manager_client, rep, companies, session):
    item = ActionItemFactory(session=session, company=companies["alpha"], assignee=rep)
    assert manager_client.post(reverse("stakeholders:session_close", args=[session.pk])).status_code == 302
    session.refresh_from_db()
    assert session.status == "closed"
    html = manager_client.post(reverse("stakeholders:note_save", args=[session.pk, companies["alpha"].pk]),
                               {"notes": "late"}, **HTMX).content.decode()
    assert "closed" in html and not AccountReviewNote.objects.exists()
    manager_client.post(reverse("stakeholders:action_update", args=[item.pk]), {"status": ["open", "done"]}, **HTMX)
    item.refresh_from_db()
    assert item.status == "done"
    page = manager_client.get(reverse("stakeholders:session_detail", args=[session.pk])).content.decode()
    assert 'class="note-form"' not in page and "Close review" not in page


def test_csv_export_has_a_row_per_account_with_notes_and_items(manager_client, rep, companies, session):
    manager_client.post(reverse("stakeholders:note_save", args=[session.pk, companies["alpha"].pk]),
                        {"notes": "Two threads now"}, **HTMX)
    manager_client.post(reverse("stakeholders:action_create", args=[session.pk, companies["alpha"].pk]),
                        {"description": "Send the quote", "assignee": rep.pk}, **HTMX)
    response = manager_client.get(reverse("stakeholders:session_export", args=[session.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, alpha, bravo = rows
    assert header[:3] == ["rank", "company", "owner"]
    assert (alpha[0], alpha[1], bravo[1]) == ("1", "Alpha", "Bravo")
    assert "Ann Alpha" in alpha[header.index("key_stakeholders")]
    assert alpha[header.index("notes")] == "Two threads now"
    assert "Send the quote" in alpha[header.index("action_items")]


def test_session_page_is_print_friendly(manager_client, session):
    html = manager_client.get(reverse("stakeholders:session_detail", args=[session.pk])).content.decode()
    assert "window.print()" in html and "css/stakeholders.css" in html
    assert 'class="print-only note-print"' in html  # notes print as text, not as a form field
