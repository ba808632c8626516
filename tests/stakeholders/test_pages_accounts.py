"""The account page's stakeholder panel and its dialogs, through real URLs: log, edit, delete an
interaction; add and edit stakeholders; who may do what; errors that name the field."""
import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from stakeholders.models import Interaction, Stakeholder
from tests.factories import CompanyFactory, ProductUserFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
R = Stakeholder.Role


@pytest.fixture
def acme(rep):
    return CompanyFactory(name="Acme Corporation", owner=rep)


@pytest.fixture
def people(acme):
    boss = StakeholderFactory(company=acme, name="Beatrice Boss", role=R.ECONOMIC_BUYER, key_rank=1, influence=5)
    champ = StakeholderFactory(company=acme, name="Carl Champion", role=R.CHAMPION, key_rank=2, reports_to=boss)
    user = StakeholderFactory(company=acme, name="Una User", role=R.END_USER, reports_to=champ)
    return {"boss": boss, "champ": champ, "user": user}


def log_url(company):
    return reverse("stakeholders:interaction_create", args=[company.pk])


def local_input(moment: datetime, zone: str = "UTC") -> str:
    return timezone.localtime(moment, ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def test_account_page_draws_the_map_with_key_stakeholders_roles_and_last_contact(rep_client, rep, acme, people):
    log_contact(people["champ"], by=rep, days_ago=20)
    response = rep_client.get(reverse("accounts:company_detail", args=[acme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="stakeholder-panel"' in html
    # Key stakeholders first, in rank order, before the org chart.
    key_strip = html[html.index('class="key-slots"'):html.index('class="orgchart"')]
    assert key_strip.index("Beatrice Boss") < key_strip.index("Carl Champion")
    assert "Not named yet" in key_strip  # ranks 3–5 are open, with a way to fill them
    # The org chart nests the reporting line: boss > champion > user.
    chart = html[html.index('class="orgchart"'):html.index("Recent interactions")]
    assert chart.index("Beatrice Boss") < chart.index("Carl Champion") < chart.index("Una User")
    assert chart.count("<ul>") == 2  # two nested levels of reports
    assert "role-economic_buyer" in chart and "role-champion" in chart and "role-end_user" in chart
    assert "20 days ago" in html and "fresh-recent" in html  # 20 days: the ≤ 30 colour
    assert f"by {rep.get_full_name()}" in html
    assert "Never contacted" in html and "fresh-never" in html
    assert "Economic buyer" in html[html.index('class="legend"'):]


def test_account_without_stakeholders_explains_what_to_do(rep_client, acme):
    html = rep_client.get(reverse("accounts:company_detail", args=[acme.pk])).content.decode()
    assert "No stakeholders mapped yet" in html
    assert reverse("stakeholders:stakeholder_create", args=[acme.pk]) in html
    assert "No contact logged yet" in html


def test_log_dialog_opens_with_stakeholders_to_pick_and_now_as_default(rep_client, acme, people):
    response = rep_client.get(log_url(acme) + "?origin=panel", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment for the dialog, not a page
    assert 'id="sh-dialog-title"' in html
    assert html.count('name="stakeholders"') == 3
    assert "autofocus" in html
    assert local_input(timezone.now())[:13] in html  # now, to the hour, in the user's zone


def test_rep_logs_a_contact_and_the_panel_comes_back_fresh(rep_client, rep, acme, people):
    response = rep_client.post(log_url(acme), {
        "origin": "panel", "stakeholders": [people["boss"].pk, people["champ"].pk], "channel": "phone",
        "occurred_at": local_input(timezone.now() - timedelta(hours=1)), "summary": "Budget for Q3",
        "next_step": "Send the quote", "next_step_due": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#stakeholder-panel"
    assert "stakeholders:saved" in json.loads(response["HX-Trigger"])
    interaction = Interaction.objects.get()
    assert (interaction.company, interaction.logged_by, interaction.channel) == (acme, rep, "phone")
    assert interaction.next_step == "Send the quote"
    assert set(interaction.participants.values_list("stakeholder_id", flat=True)) == {
        people["boss"].pk, people["champ"].pk}
    people["boss"].refresh_from_db()
    assert people["boss"].last_contacted_at == interaction.occurred_at
    assert people["boss"].last_contacted_by == rep
    html = response.content.decode()
    assert 'id="stakeholder-panel"' in html and "Budget for Q3" in html and "1 hour ago" not in html
    assert "fresh-fresh" in html


def test_the_time_typed_is_read_in_the_users_time_zone(client, rep, acme, people):
    Profile.objects.filter(user=rep).update(time_zone="America/New_York")
    rep.refresh_from_db()
    client.force_login(rep)
    client.post(log_url(acme), {"stakeholders": [people["boss"].pk], "channel": "video",
                                "occurred_at": "2026-03-02T09:30"})
    stored = Interaction.objects.get().occurred_at
    assert stored == datetime(2026, 3, 2, 14, 30, tzinfo=dt_timezone.utc)  # 09:30 EST is 14:30 UTC


def test_plain_form_post_redirects_back_to_the_account(rep_client, acme, people):
    response = rep_client.post(log_url(acme), {"stakeholders": [people["user"].pk], "channel": "email",
                                               "occurred_at": local_input(timezone.now())})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:company_detail", args=[acme.pk]))
    assert Interaction.objects.count() == 1


def test_logging_without_a_stakeholder_names_the_field_and_writes_nothing(rep_client, acme, people):
    response = rep_client.post(log_url(acme), {"channel": "video", "occurred_at": local_input(timezone.now())},
                               **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Retarget" not in response  # stays in the dialog
    assert "Choose at least one stakeholder." in html
    assert "Please correct this" in html and ">Stakeholders</a>: Choose at least one stakeholder." in html
    assert Interaction.objects.count() == 0


def test_a_future_time_is_refused_on_the_when_field(rep_client, acme, people):
    response = rep_client.post(log_url(acme), {
        "stakeholders": [people["boss"].pk], "channel": "video",
        "occurred_at": local_input(timezone.now() + timedelta(days=2)),
    }, **HTMX)
    html = response.content.decode()
    assert ">When</a>: Cannot be in the future." in html
    assert "Traceback" not in html
    assert Interaction.objects.count() == 0


def test_stakeholders_of_another_company_cannot_be_logged(rep_client, acme, people):
    stranger = StakeholderFactory(name="Stranger")
    response = rep_client.post(log_url(acme), {"stakeholders": [stranger.pk], "channel": "video",
                                               "occurred_at": local_input(timezone.now())}, **HTMX)
    assert "Select a valid choice" in response.content.decode()
    assert Interaction.objects.count() == 0


def test_rep_edits_own_interaction_and_back_dating_moves_last_contact(rep_client, rep, acme, people):
    interaction = log_contact(people["boss"], by=rep, days_ago=1)
    form = rep_client.get(reverse("stakeholders:interaction_edit", args=[interaction.pk]), **HTMX)
    assert form.status_code == 200 and "Save changes" in form.content.decode()
    earlier = timezone.now() - timedelta(days=40)
    response = rep_client.post(reverse("stakeholders:interaction_edit", args=[interaction.pk]), {
        "stakeholders": [people["boss"].pk], "channel": "meeting", "occurred_at": local_input(earlier),
        "summary": "Lunch",
    }, **HTMX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#stakeholder-panel"
    interaction.refresh_from_db()
    assert (interaction.channel, interaction.summary) == ("meeting", "Lunch")
    people["boss"].refresh_from_db()
    assert people["boss"].last_contacted_at == interaction.occurred_at
    assert (timezone.now() - people["boss"].last_contacted_at).days == 40
    assert "fresh-stale" in response.content.decode()


def test_rep_cannot_edit_or_delete_another_reps_interaction(rep_client, rep2, acme, people):
    interaction = log_contact(people["boss"], by=rep2, days_ago=2, summary="Rosa's call")
    edit = reverse("stakeholders:interaction_edit", args=[interaction.pk])
    assert rep_client.get(edit, **HTMX).status_code == 403
    response = rep_client.post(edit, {"stakeholders": [people["boss"].pk], "channel": "phone",
                                      "occurred_at": local_input(timezone.now()), "summary": "Mine now"})
    assert response.status_code == 403
    assert rep_client.post(reverse("stakeholders:interaction_delete", args=[interaction.pk]), **HTMX).status_code == 403
    interaction.refresh_from_db()
    assert interaction.summary == "Rosa's call"
    # The panel offers no edit or delete for it either.
    html = rep_client.get(reverse("stakeholders:panel", args=[acme.pk])).content.decode()
    assert "Rosa&#x27;s call" in html and edit not in html


def test_manager_deletes_a_team_members_interaction_and_last_contact_follows(manager_client, rep, acme, people):
    older = log_contact(people["boss"], by=rep, days_ago=10)
    newer = log_contact(people["boss"], by=rep, days_ago=1)
    response = manager_client.post(reverse("stakeholders:interaction_delete", args=[newer.pk]), **HTMX)
    assert response.status_code == 200
    assert not Interaction.objects.filter(pk=newer.pk).exists()
    people["boss"].refresh_from_db()
    assert people["boss"].last_contacted_at == older.occurred_at


def test_manager_of_another_team_cannot_delete(client, other_rep, rep, acme, people):
    interaction = log_contact(people["boss"], by=rep)
    other_manager = other_rep.profile.team.manager
    client.force_login(other_manager)
    # Visible (the account page shows it to everyone) but not theirs to change: 403, not 404.
    assert client.post(reverse("stakeholders:interaction_delete", args=[interaction.pk])).status_code == 403
    assert Interaction.objects.filter(pk=interaction.pk).exists()


def test_admin_edits_any_interaction(admin_client, rep, acme, people):
    interaction = log_contact(people["boss"], by=rep)
    response = admin_client.post(reverse("stakeholders:interaction_edit", args=[interaction.pk]), {
        "stakeholders": [people["champ"].pk], "channel": "event", "occurred_at": local_input(timezone.now()),
    })
    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.channel == "event"
    assert list(interaction.participants.values_list("stakeholder_id", flat=True)) == [people["champ"].pk]
    people["boss"].refresh_from_db()
    assert people["boss"].last_contacted_at is None  # no longer at any interaction


def test_next_step_marked_done_from_the_panel(rep_client, rep, acme, people):
    interaction = log_contact(people["boss"], by=rep, next_step="Send deck")
    response = rep_client.post(reverse("stakeholders:next_step_done", args=[interaction.pk]), **HTMX)
    assert response.status_code == 200
    interaction.refresh_from_db()
    assert interaction.next_step_done_at is not None


# --- stakeholders -------------------------------------------------------------------------------

def test_add_stakeholder_with_reporting_line_and_key_rank_suggests_the_product_user(rep_client, rep, acme, people):
    product_user = ProductUserFactory(company=acme, email="dora@acme.example", name="Dora D.")
    hint = rep_client.get(reverse("stakeholders:product_user_hint", args=[acme.pk]) + "?email=DORA@acme.example")
    assert "Matches a product user" in hint.content.decode() and "Dora D." in hint.content.decode()
    response = rep_client.post(reverse("stakeholders:stakeholder_create", args=[acme.pk]), {
        "name": "Dora Decider", "title": "VP Engineering", "email": "Dora@acme.example", "role": "decision_maker",
        "influence": "4", "sentiment": "positive", "reports_to": people["boss"].pk, "key_rank": "1",
    }, **HTMX)
    assert response.status_code == 200 and response.get("HX-Retarget") == "#stakeholder-panel", response.content.decode()[:3000]
    dora = Stakeholder.objects.get(name="Dora Decider")
    assert (dora.role, dora.influence, dora.reports_to, dora.key_rank, dora.created_by) == (
        "decision_maker", 4, people["boss"], 1, rep)
    assert dora.product_user == product_user
    people["boss"].refresh_from_db()
    assert people["boss"].key_rank == 2  # taking rank 1 moved the holder down


def test_duplicate_email_is_refused_on_the_email_field(rep_client, acme, people):
    Stakeholder.objects.filter(pk=people["boss"].pk).update(email="b@acme.example")
    response = rep_client.post(reverse("stakeholders:stakeholder_create", args=[acme.pk]), {
        "name": "Twin", "email": "B@acme.example", "role": "influencer", "influence": "3", "sentiment": "unknown",
    }, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert ">Email</a>: Already a stakeholder of this company." in html
    assert not Stakeholder.objects.filter(name="Twin").exists()


def test_bad_influence_and_missing_name_are_named(rep_client, acme):
    response = rep_client.post(reverse("stakeholders:stakeholder_create", args=[acme.pk]), {
        "name": "", "role": "influencer", "influence": "9", "sentiment": "unknown",
    }, **HTMX)
    html = response.content.decode()
    assert ">Name</a>: This field is required." in html
    assert ">Influence</a>: Select a valid choice." in html
    assert Stakeholder.objects.count() == 0


def test_edit_that_would_make_a_reporting_loop_names_reports_to(rep_client, acme, people):
    response = rep_client.post(reverse("stakeholders:stakeholder_edit", args=[people["boss"].pk]), {
        "name": "Beatrice Boss", "role": "economic_buyer", "influence": "5", "sentiment": "unknown",
        "reports_to": people["user"].pk, "key_rank": "1",
    }, **HTMX)
    html = response.content.decode()
    assert ">Reports to</a>: This would make a reporting loop." in html
    people["boss"].refresh_from_db()
    assert people["boss"].reports_to is None


def test_marking_left_the_company_drops_the_key_rank(rep_client, acme, people):
    response = rep_client.post(reverse("stakeholders:stakeholder_edit", args=[people["champ"].pk]), {
        "name": "Carl Champion", "role": "champion", "influence": "3", "sentiment": "neutral",
        "reports_to": people["boss"].pk, "key_rank": "2", "left_company": "on",
    }, **HTMX)
    assert response.status_code == 200
    people["champ"].refresh_from_db()
    assert (people["champ"].is_active, people["champ"].key_rank) == (False, None)
    assert people["champ"].left_at is not None


def test_rep_of_another_team_cannot_edit_or_delete_a_stakeholder(client, other_rep, acme, people):
    client.force_login(other_rep)
    edit = reverse("stakeholders:stakeholder_edit", args=[people["boss"].pk])
    assert client.get(edit, **HTMX).status_code == 403
    assert client.post(edit, {"name": "Hijacked", "role": "blocker", "influence": "1",
                              "sentiment": "negative"}).status_code == 403
    assert client.post(reverse("stakeholders:stakeholder_delete", args=[people["boss"].pk])).status_code == 403
    people["boss"].refresh_from_db()
    assert people["boss"].name == "Beatrice Boss"


def test_deleting_a_stakeholder_keeps_the_interaction_history(rep_client, rep, acme, people):
    interaction = log_contact(people["user"], by=rep, summary="Onboarding call")
    response = rep_client.post(reverse("stakeholders:stakeholder_delete", args=[people["user"].pk]), **HTMX)
    assert response.status_code == 200
    assert not Stakeholder.objects.filter(pk=people["user"].pk).exists()
    participant = interaction.participants.get()
    assert (participant.stakeholder_id, participant.stakeholder_name) == (None, "Una User")
    assert "Una User" in response.content.decode()  # still named in the history


def test_forms_work_as_pages_without_javascript(rep_client, acme, people):
    response = rep_client.get(reverse("stakeholders:stakeholder_create", args=[acme.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and "Add a stakeholder" in html
    page = rep_client.get(log_url(acme)).content.decode()
    assert "<html" in page and "Who did you speak to?" in page


def test_unknown_account_is_404(rep_client):
    assert rep_client.get(reverse("stakeholders:interaction_create", args=[999999])).status_code == 404


def test_someone_who_is_not_logged_in_is_sent_to_login(client, acme):
    response = client.post(log_url(acme), {})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Interaction.objects.count() == 0
