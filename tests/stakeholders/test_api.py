"""The stakeholders API through real URLs: last contact under create/edit/back-date/delete,
permissions per role, filters, the weekly review read endpoint and the session write endpoints."""
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from stakeholders.models import ActionItem, Interaction, InteractionParticipant, ReviewSession, Stakeholder
from tests.factories import CompanyFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db


def iso(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture
def account(rep):
    company = CompanyFactory(owner=rep, name="Acme", potential_arr=Decimal("900000"))
    carla = StakeholderFactory(company=company, name="Carla", role=Stakeholder.Role.ECONOMIC_BUYER, key_rank=1)
    tom = StakeholderFactory(company=company, name="Tom", role=Stakeholder.Role.CHAMPION)
    return company, carla, tom


def stored(person):
    person.refresh_from_db()
    return person.last_contacted_at, person.last_contacted_by_id


# --- last contact ---------------------------------------------------------------------------------

def test_last_contact_follows_create_edit_backdate_and_delete(client, rep, account):
    company, carla, tom = account
    client.force_login(rep)
    now = timezone.now().replace(microsecond=0)
    first = client.post("/api/v1/interactions/", {
        "company": company.pk, "stakeholders": [carla.pk, tom.pk], "channel": "phone",
        "occurred_at": iso(now - timedelta(days=10)), "summary": "Intro",
    }, content_type="application/json")
    assert first.status_code == 201, first.json()
    assert stored(carla) == (now - timedelta(days=10), rep.pk)
    second = client.post("/api/v1/interactions/", {
        "company": company.pk, "stakeholders": [carla.pk], "occurred_at": iso(now - timedelta(days=2)),
    }, content_type="application/json")
    assert second.status_code == 201
    assert stored(carla)[0] == now - timedelta(days=2)
    assert stored(tom)[0] == now - timedelta(days=10)

    # Back-dating the latest contact moves Carla's last contact back to the older one.
    response = client.patch(f"/api/v1/interactions/{second.json()['id']}/",
                            {"occurred_at": iso(now - timedelta(days=30))}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert stored(carla)[0] == now - timedelta(days=10)

    # Moving the first interaction from Tom to nobody-but-Carla: Tom was never contacted.
    response = client.patch(f"/api/v1/interactions/{first.json()['id']}/", {"stakeholders": [carla.pk]},
                            content_type="application/json")
    assert response.status_code == 200
    assert stored(tom) == (None, None)

    # Deleting the first interaction: Carla's last contact is the back-dated one.
    assert client.delete(f"/api/v1/interactions/{first.json()['id']}/").status_code == 204
    assert stored(carla)[0] == now - timedelta(days=30)
    assert client.delete(f"/api/v1/interactions/{second.json()['id']}/").status_code == 204
    assert stored(carla) == (None, None)


def test_edit_by_another_user_keeps_the_original_logger_as_last_contact_by(client, rep, manager, account):
    company, carla, _tom = account
    interaction = log_contact(carla, by=rep, days_ago=3)
    client.force_login(manager)
    response = client.patch(f"/api/v1/interactions/{interaction.pk}/", {"summary": "Edited by the manager"},
                            content_type="application/json")
    assert response.status_code == 200
    assert stored(carla)[1] == rep.pk


def test_deleting_a_stakeholder_keeps_the_interaction_history(client, admin_user, rep, account):
    company, carla, tom = account
    interaction = log_contact([carla, tom], by=rep, days_ago=1)
    client.force_login(admin_user)
    assert client.delete(f"/api/v1/stakeholders/{tom.pk}/").status_code == 204
    assert Interaction.objects.filter(pk=interaction.pk).exists()
    names = sorted(InteractionParticipant.objects.filter(interaction=interaction).values_list("stakeholder_name", flat=True))
    assert names == ["Carla", "Tom"]
    body = client.get(f"/api/v1/interactions/{interaction.pk}/").json()
    assert {"stakeholder": None, "name": "Tom"} in body["participants"]


def test_logging_in_the_future_or_with_a_stranger_is_refused_and_writes_nothing(client, rep, account):
    company, carla, _tom = account
    stranger = StakeholderFactory()
    client.force_login(rep)
    future = client.post("/api/v1/interactions/", {
        "company": company.pk, "stakeholders": [carla.pk], "occurred_at": iso(timezone.now() + timedelta(days=1)),
    }, content_type="application/json")
    assert future.status_code == 400 and "occurred_at" in future.json()["fields"]
    foreign = client.post("/api/v1/interactions/", {"company": company.pk, "stakeholders": [stranger.pk]},
                          content_type="application/json")
    assert foreign.status_code == 400
    assert not Interaction.objects.exists()
    assert stored(carla) == (None, None)


# --- permissions ----------------------------------------------------------------------------------

def test_rep_logs_on_any_account_but_edits_only_their_own(client, rep, rep2, other_rep, account):
    company, carla, _tom = account
    foreign_company = CompanyFactory(owner=other_rep)
    foreign_person = StakeholderFactory(company=foreign_company)
    client.force_login(rep)
    logged = client.post("/api/v1/interactions/", {"company": foreign_company.pk, "stakeholders": [foreign_person.pk]},
                         content_type="application/json")
    assert logged.status_code == 201 and logged.json()["can_edit"] is True
    theirs = log_contact(carla, by=rep2, days_ago=1, summary="Rosa's call")
    assert client.patch(f"/api/v1/interactions/{theirs.pk}/", {"summary": "mine now"},
                        content_type="application/json").status_code == 403
    assert client.delete(f"/api/v1/interactions/{theirs.pk}/").status_code == 403
    theirs.refresh_from_db()
    assert theirs.summary == "Rosa's call"
    assert client.get(f"/api/v1/interactions/{theirs.pk}/").json()["can_edit"] is False
    own = logged.json()["id"]
    assert client.patch(f"/api/v1/interactions/{own}/", {"summary": "Fixed typo"},
                        content_type="application/json").status_code == 200
    assert client.delete(f"/api/v1/interactions/{own}/").status_code == 204


def test_manager_edits_their_teams_interactions_only(client, manager, rep, other_rep, account):
    company, carla, _tom = account
    team_call = log_contact(carla, by=rep, days_ago=1)
    other_person = StakeholderFactory(company=CompanyFactory(owner=other_rep))
    other_call = log_contact(other_person, by=other_rep, days_ago=1, summary="Oscar's call")
    client.force_login(manager)
    assert client.patch(f"/api/v1/interactions/{team_call.pk}/", {"summary": "Reviewed"},
                        content_type="application/json").status_code == 200
    assert client.patch(f"/api/v1/interactions/{other_call.pk}/", {"summary": "x"},
                        content_type="application/json").status_code == 403
    assert client.delete(f"/api/v1/interactions/{other_call.pk}/").status_code == 403
    other_call.refresh_from_db()
    assert other_call.summary == "Oscar's call"
    assert client.delete(f"/api/v1/interactions/{team_call.pk}/").status_code == 204


def test_managers_list_says_which_interactions_they_may_edit_in_a_fixed_number_of_queries(
        client, manager, rep, rep2, other_rep, account, django_assert_max_num_queries):
    """`can_edit` on the interactions list: the manager's team's contacts yes, another team's no —
    worked out from one read of the team's members, not a query per row."""
    company, carla, tom = account
    team_calls = {log_contact(person, by=author, days_ago=days).pk
                  for days, (person, author) in enumerate([(carla, rep), (tom, rep2), (carla, rep2)], start=1)}
    other_calls = {log_contact(StakeholderFactory(company=CompanyFactory(owner=other_rep)), by=other_rep,
                               days_ago=days).pk for days in (1, 2, 3, 4)}
    client.force_login(manager)
    client.get("/api/v1/interactions/")  # the session and the user's groups are read once, before counting
    with django_assert_max_num_queries(8):
        rows = client.get("/api/v1/interactions/").json()["results"]
    assert {row["id"]: row["can_edit"] for row in rows} == {
        **{pk: True for pk in team_calls}, **{pk: False for pk in other_calls}}


def test_stakeholder_list_reads_the_columns_it_shows_and_says_who_may_edit_in_a_fixed_number_of_queries(
        client, manager, rep, other_rep, account, django_assert_max_num_queries):
    """The list reads of each account only its owner (who decides `can_edit`) and of who made the last
    contact only the name: no company names, no password hashes. A manager may edit the people of their
    team's accounts, not another team's; the names are the full name, else the username."""
    company, carla, tom = account
    rep.first_name, rep.last_name = "Ravi", "Rep"
    rep.save()
    other_rep.first_name = other_rep.last_name = ""
    other_rep.save()
    log_contact(carla, by=rep, days_ago=2)
    theirs = StakeholderFactory(company=CompanyFactory(owner=other_rep, name="Globex"), name="Gina")
    log_contact(theirs, by=other_rep, days_ago=1)
    client.force_login(manager)
    client.get("/api/v1/stakeholders/")  # the session and the user's groups are read once, before counting
    with django_assert_max_num_queries(7) as captured:  # session, user, the page, profile, groups, teams
        rows = {row["name"]: row for row in client.get("/api/v1/stakeholders/").json()["results"]}
    assert {name: row["can_edit"] for name, row in rows.items()} == {"Carla": True, "Tom": True, "Gina": False}
    assert rows["Carla"]["last_contacted_by_name"] == "Ravi Rep"
    assert rows["Gina"]["last_contacted_by_name"] == other_rep.get_username()
    assert rows["Tom"]["last_contacted_by_name"] == ""
    assert rows["Gina"]["company"] == theirs.company_id
    listed = next(query["sql"] for query in captured.captured_queries if "stakeholders_stakeholder" in query["sql"]
                  and "key_rank" in query["sql"])
    assert '"accounts_company"."owner_id"' in listed and '"auth_user"."first_name"' in listed
    assert '"accounts_company"."name"' not in listed and '"auth_user"."password"' not in listed


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_another_teams_interaction_is_readable_but_403_to_change(client, request, role, other_rep):
    """As on the account page, every signed-in user reads every interaction: another team's answers 200
    to GET (never 404) and 403 to a change, which leaves it as it was."""
    person = StakeholderFactory(company=CompanyFactory(owner=other_rep))
    call = log_contact(person, by=other_rep, days_ago=1, summary="Oscar's call", next_step="Send pricing")
    client.force_login(request.getfixturevalue(role))
    read = client.get(f"/api/v1/interactions/{call.pk}/")
    assert read.status_code == 200 and read.json()["summary"] == "Oscar's call" and read.json()["can_edit"] is False
    assert call.pk in [row["id"] for row in client.get("/api/v1/interactions/").json()["results"]]
    assert client.patch(f"/api/v1/interactions/{call.pk}/", {"summary": "x"},
                        content_type="application/json").status_code == 403
    assert client.post(f"/api/v1/interactions/{call.pk}/next-step/", {},
                       content_type="application/json").status_code == 403
    assert client.delete(f"/api/v1/interactions/{call.pk}/").status_code == 403
    call.refresh_from_db()
    assert (call.summary, call.next_step_done_at) == ("Oscar's call", None)
    assert client.get(f"/api/v1/interactions/{call.pk + 1000}/").status_code == 404  # what does not exist


def test_next_step_takes_true_or_false_only(client, rep, account):
    _company, carla, _tom = account
    call = log_contact(carla, by=rep, days_ago=1, next_step="Send pricing")
    client.force_login(rep)
    url = f"/api/v1/interactions/{call.pk}/next-step/"
    refused = client.post(url, {"done": 0}, content_type="application/json")
    assert refused.status_code == 400 and list(refused.json()) == ["done"]
    call.refresh_from_db()
    assert call.next_step_done_at is None
    assert client.post(url, {"done": True}, content_type="application/json").status_code == 200
    assert client.post(url, {"done": "false"}).status_code == 200  # form data: DRF's words
    call.refresh_from_db()
    assert call.next_step_done_at is None


def test_admin_edits_everything(client, admin_user, other_rep):
    person = StakeholderFactory(company=CompanyFactory(owner=other_rep))
    call = log_contact(person, by=other_rep, days_ago=1)
    client.force_login(admin_user)
    assert client.patch(f"/api/v1/interactions/{call.pk}/", {"channel": "email"},
                        content_type="application/json").status_code == 200
    assert client.patch(f"/api/v1/stakeholders/{person.pk}/", {"title": "CTO"},
                        content_type="application/json").status_code == 200
    person.refresh_from_db()
    assert person.title == "CTO"


def test_stakeholder_edit_rights_follow_the_account(client, rep, rep2, manager, other_rep, account):
    company, carla, _tom = account
    client.force_login(other_rep)
    assert client.patch(f"/api/v1/stakeholders/{carla.pk}/", {"title": "X"},
                        content_type="application/json").status_code == 403
    created = client.post("/api/v1/stakeholders/", {"company": company.pk, "name": "Oscar's find",
                                                    "role": "influencer"}, content_type="application/json")
    assert created.status_code == 201
    assert client.patch(f"/api/v1/stakeholders/{created.json()['id']}/", {"title": "Analyst"},
                        content_type="application/json").status_code == 200  # the creator
    client.force_login(rep)  # the account owner
    assert client.patch(f"/api/v1/stakeholders/{carla.pk}/", {"title": "Group CFO"},
                        content_type="application/json").status_code == 200
    client.force_login(manager)  # the owner's manager
    assert client.patch(f"/api/v1/stakeholders/{carla.pk}/", {"influence": 5},
                        content_type="application/json").status_code == 200
    carla.refresh_from_db()
    assert (carla.title, carla.influence) == ("Group CFO", 5)
    client.force_login(rep2)
    assert client.delete(f"/api/v1/stakeholders/{carla.pk}/").status_code == 403
    assert Stakeholder.objects.filter(pk=carla.pk).exists()


def test_anonymous_gets_401(client, account):
    assert client.get("/api/v1/stakeholders/").status_code in (401, 403)
    assert client.get("/api/v1/weekly-review/").status_code in (401, 403)


def test_bad_stakeholder_input_is_a_400_naming_the_field(client, rep, account):
    company, carla, _tom = account
    client.force_login(rep)
    response = client.post("/api/v1/stakeholders/", {"company": company.pk, "name": "Dup", "email": carla.email},
                           content_type="application/json")
    assert response.status_code == 400 and "email" in response.json()["fields"]
    response = client.post("/api/v1/stakeholders/", {"company": company.pk, "name": "Loud", "influence": 9},
                           content_type="application/json")
    assert response.status_code == 400
    assert Stakeholder.objects.filter(company=company).count() == 2


# --- filters --------------------------------------------------------------------------------------

def test_stakeholder_filters(client, rep, rep2, account):
    company, carla, tom = account
    other = CompanyFactory(owner=rep2)
    olga = StakeholderFactory(company=other, name="Olga", role=Stakeholder.Role.CHAMPION)
    log_contact(carla, by=rep, days_ago=3)
    log_contact(olga, by=rep2, days_ago=60)
    client.force_login(rep)

    def names(query):
        response = client.get(f"/api/v1/stakeholders/?{query}")
        assert response.status_code == 200
        return sorted(row["name"] for row in response.json()["results"])

    assert names(f"company={company.pk}") == ["Carla", "Tom"]
    assert names(f"owner={rep2.pk}") == ["Olga"]
    assert names("role=champion") == ["Olga", "Tom"]
    stale_since = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert names(f"stale_since={stale_since}") == ["Olga", "Tom"]  # never contacted counts as stale
    assert names(f"stale_since={stale_since}&role=champion&owner={rep.pk}") == ["Tom"]
    row = client.get(f"/api/v1/stakeholders/{carla.pk}/").json()
    assert row["days_since_contact"] == 3 and row["freshness"] == "fresh" and row["last_contacted_by"] == rep.pk


def test_interaction_filters(client, rep, account):
    company, carla, tom = account
    log_contact(carla, by=rep, days_ago=3, channel="phone")
    log_contact(tom, by=rep, days_ago=40)
    client.force_login(rep)

    def listed(query: str) -> int:
        return len(client.get(f"/api/v1/interactions/?{query}").json()["results"])

    assert listed(f"stakeholder={tom.pk}") == 1
    assert listed("channel=phone") == 1
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert listed(f"since={since}") == 1
    assert listed(f"company={company.pk}&role=champion") == 1


# --- the weekly review and sessions ---------------------------------------------------------------

def test_weekly_review_read_endpoint(client, manager, rep, account, other_rep):
    company, carla, _tom = account
    log_contact(carla, by=rep, days_ago=5)
    client.force_login(manager)
    body = client.get("/api/v1/weekly-review/?ranking=gap&top_n=10").json()
    assert body["team"]["name"] == "Enterprise East"
    assert [a["company"]["name"] for a in body["accounts"]] == ["Acme"]
    row = body["accounts"][0]
    assert row["key_stakeholders"][0]["name"] == "Carla" and row["key_stakeholders"][0]["days_since"] == 5
    assert row["flags"]["single_threaded"] is True and row["flags"]["few_stakeholders"] is True
    assert body["summary"]["flag_counts"]["single_threaded"] == 1
    assert client.get("/api/v1/weekly-review/?ranking=size").status_code == 400
    for name in ("ranking", "top_n", "team"):  # sent empty: refused, as the filters do, not read as absent
        response = client.get(f"/api/v1/weekly-review/?{name}=")
        assert response.status_code == 400 and list(response.json()) == [name]
    other_team = other_rep.profile.team
    assert client.get(f"/api/v1/weekly-review/?team={other_team.pk}").status_code == 403
    one = client.get(f"/api/v1/weekly-review/accounts/{company.pk}/").json()
    assert one["known_stakeholders"] == 2


def test_session_endpoints_start_note_items_close_and_carry_over(client, manager, rep, account):
    company, _carla, _tom = account
    client.force_login(manager)
    started = client.post("/api/v1/review-sessions/", {"team": rep.profile.team_id, "top_n": 10},
                          content_type="application/json")
    assert started.status_code == 201, started.json()
    session_id = started.json()["id"]
    again = client.post("/api/v1/review-sessions/", {"team": rep.profile.team_id}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == session_id
    assert client.post(f"/api/v1/review-sessions/{session_id}/notes/", {"company": company.pk, "notes": "Need EB"},
                       content_type="application/json").status_code == 200
    item = client.post("/api/v1/action-items/", {"session": session_id, "company": company.pk,
                                                 "description": "Meet the CFO", "assignee": rep.pk},
                       content_type="application/json")
    assert item.status_code == 201, item.json()
    detail = client.get(f"/api/v1/review-sessions/{session_id}/").json()
    assert detail["rows"][0]["notes"] == "Need EB"
    assert detail["rows"][0]["action_items"][0]["description"] == "Meet the CFO"
    assert client.post(f"/api/v1/review-sessions/{session_id}/close/", {}, content_type="application/json").status_code == 200
    assert ReviewSession.objects.get(pk=session_id).status == "closed"

    # The rep marks their item done; next week's session carries it over as done.
    client.force_login(rep)
    done = client.patch(f"/api/v1/action-items/{item.json()['id']}/", {"status": "done"},
                        content_type="application/json")
    assert done.status_code == 200 and done.json()["completed_at"]
    ReviewSession.objects.filter(pk=session_id).update(week_start=ReviewSession.objects.get(pk=session_id).week_start
                                                       - timedelta(days=7))
    client.force_login(manager)
    week2 = client.post("/api/v1/review-sessions/", {"team": rep.profile.team_id}, content_type="application/json")
    assert week2.status_code == 201
    carried = client.get(f"/api/v1/review-sessions/{week2.json()['id']}/").json()["carried_over"]
    assert [(i["description"], i["done"]) for i in carried] == [("Meet the CFO", True)]


def test_session_writes_are_for_the_manager_and_admins(client, manager, rep, other_rep, account):
    company, _carla, _tom = account
    team_id = rep.profile.team_id
    client.force_login(rep)
    assert client.post("/api/v1/review-sessions/", {"team": team_id}, content_type="application/json").status_code == 403
    assert not ReviewSession.objects.exists()
    client.force_login(manager)
    session_id = client.post("/api/v1/review-sessions/", {"team": team_id}, content_type="application/json").json()["id"]
    client.force_login(rep)
    assert client.get(f"/api/v1/review-sessions/{session_id}/").status_code == 200  # reps of the team read
    assert client.post("/api/v1/action-items/", {"session": session_id, "company": company.pk, "description": "x"},
                       content_type="application/json").status_code == 403
    client.force_login(other_rep)
    assert client.get(f"/api/v1/review-sessions/{session_id}/").status_code == 404
    assert client.post(f"/api/v1/review-sessions/{session_id}/notes/", {"company": company.pk, "notes": "x"},
                       content_type="application/json").status_code == 404
    assert not ActionItem.objects.exists()


def test_weekly_review_api_query_count_does_not_grow_with_top_n(client, manager, rep, rep2):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(30):
        company = CompanyFactory(owner=rep if i % 2 else rep2, potential_arr=Decimal(100000 + i))
        people = [StakeholderFactory(company=company, key_rank=1), StakeholderFactory(company=company)]
        log_contact(people, by=rep, days_ago=i + 1)
    client.force_login(manager)
    counts = {}
    for top_n in (5, 25):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/weekly-review/?top_n={top_n}")
        assert response.status_code == 200 and len(response.json()["accounts"]) == top_n
        counts[top_n] = len(queries.captured_queries)
    assert counts[5] == counts[25]


# --- invalid input is refused, not ignored or coerced ------------------------------------------------

@pytest.mark.parametrize("path, query, param", [
    ("stakeholders", "stale_since=", "stale_since"),
    ("stakeholders", "stale_since=yesterday", "stale_since"),
    ("stakeholders", "is_active=null&is_active=null", "is_active"),
    ("stakeholders", "key=perhaps", "key"),
    ("stakeholders", "key=2", "key"),
    ("stakeholders", "company=99999999999999999999", "company"),
    ("interactions", "until=", "until"),
    ("interactions", "next_step_open=2x", "next_step_open"),
    ("interactions", "company=1&company=2", "company"),
    ("action-items", "assignee=", "assignee"),
    ("action-items", "page_size=null&page_size=null", "page_size"),
])
def test_invalid_filter_value_is_400_naming_the_parameter(client, rep, account, path, query, param):
    client.force_login(rep)
    response = client.get(f"/api/v1/{path}/?{query}")
    assert response.status_code == 400 and list(response.json()) == [param], response.json()


def test_yes_no_filters_still_take_true_false_and_the_forms_unknown(client, rep, account):
    _company, carla, tom = account
    Stakeholder.objects.filter(pk=tom.pk).update(is_active=False)
    client.force_login(rep)

    def names(query):
        return sorted(row["name"] for row in client.get(f"/api/v1/stakeholders/?{query}").json()["results"])

    assert names("is_active=true") == names("is_active=True") == ["Carla"]
    assert names("is_active=false") == ["Tom"]
    assert names("is_active=unknown") == names("q=") == ["Carla", "Tom"]


def test_text_sent_as_a_number_is_refused_and_nothing_is_written(client, manager, rep, account):
    company, _carla, _tom = account
    client.force_login(manager)
    refused = client.post("/api/v1/review-sessions/", {"team": rep.profile.team_id, "notes": 0},
                          content_type="application/json")
    assert refused.status_code == 400 and list(refused.json()) == ["notes"]
    assert not ReviewSession.objects.exists()
    session_id = client.post("/api/v1/review-sessions/", {"team": rep.profile.team_id},
                             content_type="application/json").json()["id"]
    item = client.post("/api/v1/action-items/", {"session": session_id, "company": company.pk, "description": 0},
                       content_type="application/json")
    assert item.status_code == 400 and list(item.json()) == ["description"]
    notes = client.patch(f"/api/v1/review-sessions/{session_id}/", {"notes": 7}, content_type="application/json")
    assert notes.status_code == 400 and list(notes.json()) == ["notes"]
    assert not ActionItem.objects.exists() and ReviewSession.objects.get(pk=session_id).notes == ""


def test_interactions_page_newest_first_by_cursor_while_contacts_are_logged(client, rep, account):
    """The interactions feed pages by cursor: a contact logged between two requests neither repeats a
    row on the next page nor hides one; a made-up cursor is a 400 naming `cursor`."""
    company, carla, tom = account
    for days in range(5, 0, -1):
        log_contact(carla, by=rep, days_ago=days)
    client.force_login(rep)
    first = client.get("/api/v1/interactions/?page_size=2").json()
    assert "count" not in first and first["previous"] is None
    log_contact(tom, by=rep, days_ago=0)  # logged while the rep reads page 1
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    expected = list(Interaction.objects.filter(occurred_at__lt=timezone.now() - timedelta(hours=12))
                    .order_by("-occurred_at", "-id").values_list("id", flat=True))
    assert seen == expected  # the five older contacts, each once, newest first
    assert third["next"] is None
    assert client.get(second["previous"]).json()["results"] == first["results"]
    newest = client.get("/api/v1/interactions/?page_size=2").json()["results"][0]
    assert newest["id"] == Interaction.objects.order_by("-occurred_at", "-id").first().pk

    bad = client.get("/api/v1/interactions/?cursor=bm9wZQ")
    assert bad.status_code == 400 and "cursor" in bad.json()


def test_stakeholders_page_by_account_by_cursor_while_people_are_added(client, rep, account):
    """The stakeholder list pages by cursor, grouped by account (key rank, then name): no total count,
    and a person added to an earlier account between two requests neither repeats a row of the next
    page nor hides one; a filter pages the same way; a made-up cursor is a 400 naming `cursor`."""
    acme, carla, tom = account
    beta = CompanyFactory(owner=rep, name="Beta")
    gamma = CompanyFactory(owner=rep, name="Gamma")
    for company, names in ((beta, ("Bea", "Ben", "Bo")), (gamma, ("Gil", "Gus"))):
        for name in names:
            StakeholderFactory(company=company, name=name)
    expected = list(Stakeholder.objects.order_by("company_id", F("key_rank").asc(nulls_last=True), "name", "id")
                    .values_list("id", flat=True))
    client.force_login(rep)

    first = client.get("/api/v1/stakeholders/?page_size=3").json()
    assert "count" not in first and first["previous"] is None
    assert [row["name"] for row in first["results"]] == ["Carla", "Tom", "Bea"]  # key rank 1 first
    StakeholderFactory(company=acme, name="Aaron")  # added to page 1's account while page 1 is read
    seen = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert seen == expected  # each person once, in order; the newcomer sorts into page 1, already read

    own = client.get(f"/api/v1/stakeholders/?company={gamma.pk}&page_size=1").json()
    assert [row["name"] for row in own["results"]] == ["Gil"]
    assert [row["name"] for row in client.get(own["next"]).json()["results"]] == ["Gus"]

    bad = client.get("/api/v1/stakeholders/?cursor=bm9wZQ")
    assert bad.status_code == 400 and "cursor" in bad.json()
