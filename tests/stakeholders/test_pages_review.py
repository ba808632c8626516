"""The weekly review page through real URLs: whose team, ranking modes, sorting, flags, logging a
contact from a row (the row comes back fresh), and a query count that does not grow with data."""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stakeholders.models import Interaction, Stakeholder
from tests.factories import CompanyFactory, WorkspaceFactory

from .factories import ActionItemFactory, ReviewSessionFactory, StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
INDEX = "/review/"
R = Stakeholder.Role


def account(owner, *, potential, mrr=None, name):
    company = CompanyFactory(owner=owner, potential_arr=Decimal(potential), name=name)
    if mrr is not None:
        WorkspaceFactory(company=company, mrr=Decimal(mrr))
    return company


@pytest.fixture
def accounts(rep, rep2, other_rep):
    # potential / ARR (MRR × 12) / gap: Alpha 1.2M / 12k / 1.188M; Bravo 500k / 240k / 260k; Charlie 900k / 720k / 180k
    return {
        "alpha": account(rep, potential="1200000", mrr="1000", name="Alpha"),
        "bravo": account(rep2, potential="500000", mrr="20000", name="Bravo"),
        "charlie": account(rep, potential="900000", mrr="60000", name="Charlie"),
        "other": account(other_rep, potential="9000000", name="Other team's"),
    }


def row_order(html: str) -> list[str]:
    return re.findall(r'class="row-title" href="[^"]+">([^<]+)</a>', html)


def test_index_url_name_is_the_review_page(manager_client, accounts):
    assert reverse("stakeholders:index") == INDEX
    response = manager_client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Weekly review" in html and "Enterprise East" in html
    assert "Other team&#x27;s" not in html


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [("potential", ["Alpha", "Charlie", "Bravo"]), ("arr", ["Charlie", "Bravo", "Alpha"]),
     ("gap", ["Alpha", "Bravo", "Charlie"])],
)
def test_ranking_modes_choose_and_order_the_accounts(manager_client, accounts, ranking, expected):
    html = manager_client.get(f"{INDEX}?ranking={ranking}").content.decode()
    assert row_order(html) == expected


def test_top_n_limits_by_the_ranking_and_sorting_only_reorders(manager_client, accounts):
    html = manager_client.get(f"{INDEX}?ranking=arr&top=10").content.decode()
    assert len(row_order(html)) == 3
    html = manager_client.get(f"{INDEX}?ranking=potential&sort=name").content.decode()
    assert row_order(html) == ["Alpha", "Bravo", "Charlie"]
    html = manager_client.get(f"{INDEX}?ranking=potential&sort=-arr").content.decode()
    assert row_order(html) == ["Charlie", "Bravo", "Alpha"]
    assert 'aria-sort="descending"' in html


def test_htmx_sort_answers_with_the_results_block_only(manager_client, accounts):
    response = manager_client.get(f"{INDEX}?sort=name", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="review-results")
    html = response.content.decode()
    assert "<html" not in html and 'id="review-results"' in html
    assert 'hx-swap-oob="true"' in html  # the filter form's hidden sort follows


def test_rows_show_key_stakeholders_with_role_days_and_flags(manager_client, rep, accounts):
    alpha = accounts["alpha"]
    buyer = StakeholderFactory(company=alpha, name="Bea Buyer", role=R.ECONOMIC_BUYER, key_rank=1)
    StakeholderFactory(company=alpha, name="Cid Champion", role=R.CHAMPION, key_rank=2)
    log_contact(buyer, by=rep, days_ago=3)
    html = manager_client.get(INDEX).content.decode()
    row = html[html.index(f'id="review-row-{alpha.pk}"'):html.index(f'id="review-row-{accounts["charlie"].pk}"')]
    assert "Bea Buyer" in row and "Economic buyer" in row and "3d" in row and "fresh-fresh" in row
    assert "Cid Champion" in row and "never" in row
    assert "+3 unknown" in row  # two of five known
    assert "Fewer than 5 known" in row and "Single-threaded" in row
    assert "No buyer or sponsor" not in row
    # Team summary on top: accounts with each flag.
    summary = html[html.index('aria-label="Team summary"'):html.index('class="results-bar"')]
    assert re.search(r"Fewer than 5 known</div>\s*<div class=\"stat-value\">3<", summary)
    assert "no earlier review" in summary


def test_flag_filter_shows_only_flagged_accounts(manager_client, rep, accounts):
    for index in range(5):
        person = StakeholderFactory(company=accounts["alpha"], role=R.EXECUTIVE_SPONSOR if index == 0 else R.CHAMPION)
        log_contact(person, by=rep, days_ago=2)
    html = manager_client.get(f"{INDEX}?flag=few_stakeholders").content.decode()
    assert row_order(html) == ["Charlie", "Bravo"]
    assert "flagged <strong>Fewer than 5 known</strong>" in html


def test_change_since_last_week_comes_from_the_previous_session(manager_client, team, accounts):
    last_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    ReviewSessionFactory(team=team, week_start=last_monday, snapshot={
        "summary": {"flag_counts": {"few_stakeholders": 1, "no_buyer_or_sponsor": 3, "single_threaded": 0,
                                    "all_stale": 3, "overdue_next_steps": 0}}})
    html = manager_client.get(INDEX).content.decode()
    assert "▲ 2 since last review" in html  # few stakeholders: 3 now, 1 then
    assert "same as last review" in html


def test_rep_sees_the_team_review_read_only(rep_client, accounts):
    html = rep_client.get(INDEX).content.decode()
    assert row_order(html) == ["Alpha", "Charlie", "Bravo"]
    assert "Read-only" in html
    assert "Start this week" not in html and reverse("stakeholders:session_start") not in html


def test_manager_sees_the_start_button_and_then_continue(manager_client, team, accounts):
    html = manager_client.get(INDEX).content.decode()
    assert "Start this week's review" in html
    session = ReviewSessionFactory(team=team)
    html = manager_client.get(INDEX).content.decode()
    assert "Continue this week's review" in html
    assert reverse("stakeholders:session_detail", args=[session.pk]) in html


def test_rep_cannot_open_another_teams_review(client, other_rep, team, accounts):
    client.force_login(other_rep)
    html = client.get(f"{INDEX}?team={team.pk}").content.decode()
    assert "not yours to see" in html and "Alpha" not in html


def test_admin_picks_any_team(admin_client, team, accounts, other_rep):
    other_team = other_rep.profile.team
    html = admin_client.get(f"{INDEX}?team={other_team.pk}").content.decode()
    assert row_order(html) == ["Other team's"] or row_order(html) == ["Other team&#x27;s"]
    assert f'value="{team.pk}"' in html  # the team picker lists the others


def test_user_without_a_team_gets_an_explanation(client, accounts):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="nobody", role="Rep"))
    html = client.get(INDEX).content.decode()
    assert "You are not on a team yet" in html


def test_open_action_items_of_earlier_reviews_show_on_the_row(manager_client, team, accounts):
    last_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    session = ReviewSessionFactory(team=team, week_start=last_monday)
    ActionItemFactory(session=session, company=accounts["bravo"], description="Find the CFO")
    html = manager_client.get(INDEX).content.decode()
    row = html[html.index(f'id="review-row-{accounts["bravo"].pk}"'):]
    assert "1 open action item" in row and "Find the CFO" in row


def test_rep_logs_from_the_review_and_gets_the_fresh_row(rep_client, rep, accounts):
    charlie = accounts["charlie"]
    person = StakeholderFactory(company=charlie, name="Stale Stan", role=R.CHAMPION, key_rank=1)
    log_contact(person, by=rep, days_ago=45)
    dialog = rep_client.get(
        reverse("stakeholders:interaction_create", args=[charlie.pk]) + f"?origin=review&rank=2&stakeholder={person.pk}",
        **HTMX).content.decode()
    assert 'name="origin" value="review"' in dialog and 'name="rank" value="2"' in dialog
    assert re.search(rf'value="{person.pk}"[^>]*checked', dialog)  # the clicked person is preselected
    response = rep_client.post(reverse("stakeholders:interaction_create", args=[charlie.pk]), {
        "origin": "review", "rank": "2", "stakeholders": [person.pk], "channel": "video",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#review-row-{charlie.pk}"
    assert "stakeholders:saved" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert html.count('id="review-row-') == 1 and "just-logged" in html
    assert '<span class="rank">2</span>' in html
    assert "Stale Stan" in html and "fresh-fresh" in html and ">today<" in html and "fresh-stale" not in html
    assert Interaction.objects.filter(company=charlie, logged_by=rep).count() == 2
    # The redrawn row is the review's row: links back to the review at its rank, the plays column.
    log_url = reverse("stakeholders:interaction_create", args=[charlie.pk])
    assert f'href="{log_url}?stakeholder={person.pk}&amp;origin=review&amp;rank=2"' in html
    assert "last contact " in html and f"by {rep.get_full_name() or rep.get_username()}" in html
    assert 'class="col-plays"' in html


def test_the_row_redrawn_after_logging_keeps_the_accounts_open_plays(rep_client, rep, accounts):
    from tests.playbooks.factories import PlaybookFactory, PlayFactory

    charlie = accounts["charlie"]
    person = StakeholderFactory(company=charlie, name="Pat Play", key_rank=1)
    PlayFactory(playbook=PlaybookFactory(name="Consolidation push"), company=charlie, assignee=rep)
    response = rep_client.post(reverse("stakeholders:interaction_create", args=[charlie.pk]), {
        "origin": "review", "rank": "3", "stakeholders": [person.pk], "channel": "video",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }, **HTMX)
    assert response.status_code == 200 and "Consolidation push" in response.content.decode()


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_review_page_queries_do_not_grow_with_accounts_or_stakeholders(manager_client, rep, rep2):
    account(rep, potential="100000", name="First")
    manager_client.get(INDEX)  # the first request of a session also stores the user's time zone
    small = _count_queries(manager_client, INDEX)
    for index in range(12):
        company = account(rep if index % 2 else rep2, potential=str(200000 + index), mrr="100", name=f"Big {index}")
        people = [StakeholderFactory(company=company, key_rank=rank if rank <= 5 else None) for rank in range(1, 8)]
        log_contact(people[:3], by=rep, days_ago=index, next_step="Call back",
                    next_step_due=timezone.localdate() - timedelta(days=1))
        ActionItemFactory(session=ReviewSessionFactory(team=rep.profile.team, week_start=timezone.localdate()
                                                       - timedelta(days=7 * (index + 1) + timezone.localdate().weekday())),
                          company=company)
    big = _count_queries(manager_client, INDEX)
    assert big == small, f"{small} queries with one account, {big} with thirteen"
    assert big <= 16


def test_plays_column_lists_open_plays_of_each_account_and_not_closed_ones(manager_client, accounts, rep):
    from playbooks.models import Play
    from tests.playbooks.factories import PlaybookFactory, PlayFactory

    consolidation = PlaybookFactory(name="Consolidation push")
    coverage = PlaybookFactory(name="Coverage gap")
    open_play = PlayFactory(playbook=consolidation, company=accounts["alpha"], assignee=rep)
    PlayFactory(playbook=coverage, company=accounts["alpha"], status=Play.Status.DONE,
                closed_at=timezone.now())
    html = manager_client.get(INDEX).content.decode()
    alpha = html[html.index(f'id="review-row-{accounts["alpha"].pk}"'):]
    alpha = alpha[: alpha.index("</tbody>")]
    assert f'href="/playbooks/plays/{open_play.pk}/"' in alpha and "Consolidation push" in alpha
    assert "Coverage gap" not in alpha  # closed plays are not in the column
    bravo = html[html.index(f'id="review-row-{accounts["bravo"].pk}"'):]
    assert "Consolidation push" not in bravo[: bravo.index("</tbody>")]
    # The refreshed row (after logging a contact) has the column too.
    row = manager_client.get(f"/review/rows/{accounts['alpha'].pk}/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "Consolidation push" in row.content.decode()


def _rows_of(html: str) -> list[str]:
    return re.findall(r'<tbody id="review-row-.*?</tbody>', html, flags=re.S)


def test_rows_are_drawn_once_and_then_come_from_the_cache(manager_client, rep, accounts):
    StakeholderFactory(company=accounts["alpha"], name="Bea Buyer", role=R.ECONOMIC_BUYER, key_rank=1)
    first = manager_client.get(INDEX)
    assert [t.name for t in first.templates].count("stakeholders/_review_row.html") == 3
    second = manager_client.get(INDEX)
    assert [t.name for t in second.templates].count("stakeholders/_review_row.html") == 0
    assert _rows_of(second.content.decode()) == _rows_of(first.content.decode())
    assert "Bea Buyer" in second.content.decode()


def test_a_cached_row_equals_a_fresh_drawing_after_every_change_it_shows(manager_client, rep, rep2, team, accounts):
    """Each change below shows on the page at once, and the page is what a drawing without the cache gives."""
    from django.core.cache import cache

    from playbooks.models import Play
    from tests.playbooks.factories import PlaybookFactory, PlayFactory

    alpha, bravo = accounts["alpha"], accounts["bravo"]
    buyer = StakeholderFactory(company=alpha, name="Bea Buyer", title="CFO", role=R.ECONOMIC_BUYER, key_rank=1)
    champion = StakeholderFactory(company=alpha, name="Cid Champion", role=R.CHAMPION, key_rank=2)
    play = PlayFactory(playbook=PlaybookFactory(name="Consolidation push"), company=bravo, assignee=rep)
    last_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    earlier = ReviewSessionFactory(team=team, week_start=last_monday)

    def rename_company():
        alpha.name = "Alpha Renamed"
        alpha.save()

    def rename_owner():
        rep.first_name, rep.last_name = "Ravindra", "Patel-Singh"
        rep.save()

    def change_potential():
        alpha.potential_arr = Decimal("1300000")
        alpha.save()

    def grow_arr():
        WorkspaceFactory(company=bravo, mrr=Decimal("500"))

    def retitle_person():
        buyer.title, buyer.role = "Chief Financial Officer", R.EXECUTIVE_SPONSOR
        buyer.save()

    def log_a_contact():
        log_contact(champion, by=rep2, days_ago=2)

    def person_leaves():
        buyer.is_active = False
        buyer.save()

    def add_action_item():
        ActionItemFactory(session=earlier, company=bravo, description="Find the CFO")

    def rename_playbook():
        play.playbook.name = "Enterprise agreement"
        play.playbook.save()

    def reassign_play():
        play.assignee = rep2
        play.status = Play.Status.IN_PROGRESS
        play.save()

    manager_client.get(INDEX)  # a session's first request stores the viewer's time zone
    before = _rows_of(manager_client.get(INDEX).content.decode())
    for change in (rename_company, rename_owner, change_potential, grow_arr, retitle_person, log_a_contact,
                   person_leaves, add_action_item, rename_playbook, reassign_play):
        change()
        cached = _rows_of(manager_client.get(INDEX).content.decode())
        cache.clear()
        fresh = _rows_of(manager_client.get(INDEX).content.decode())
        assert cached == fresh, f"after {change.__name__} the cached rows differ from a fresh drawing"
        assert cached != before, f"{change.__name__} does not show on the page"
        before = cached


def test_the_row_fingerprint_holds_the_viewers_time_zone_and_day(rep, accounts):
    from zoneinfo import ZoneInfo

    from stakeholders.selectors.review import review_account
    from stakeholders.views.review import prepare_rows, row_fingerprint

    row = prepare_rows([review_account(company=accounts["alpha"], rank=1)])[0]
    with timezone.override(ZoneInfo("Pacific/Kiritimati")):  # UTC+14: a day ahead of UTC for most of it
        east = row_fingerprint(row)
    with timezone.override(ZoneInfo("Pacific/Pago_Pago")):  # UTC−11
        west = row_fingerprint(row)
    assert east != west != row_fingerprint(row)
    assert row_fingerprint(row) == row_fingerprint(row)
    assert row_fingerprint(row, just_logged=True) != row_fingerprint(row)
