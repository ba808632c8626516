"""The weekly review rows: team scope, ranking modes, key stakeholders, constant query count."""
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Company, Profile
from revops import roles
from stakeholders.models import ActionItem, Stakeholder
from stakeholders.selectors.review import (
    RANKINGS,
    review_account,
    review_accounts,
    review_summary,
    review_team_for,
    week_start,
)
from tests.factories import CompanyFactory, TeamFactory, UserFactory, WorkspaceFactory

from .factories import ActionItemFactory, ReviewSessionFactory, StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db
R = Stakeholder.Role


def account(owner, *, potential, mrr=None, name=None):
    company = CompanyFactory(owner=owner, potential_arr=None if potential is None else Decimal(potential),
                             **({"name": name} if name else {}))
    if mrr is not None:
        WorkspaceFactory(company=company, mrr=Decimal(mrr))
    return company


@pytest.fixture
def three_accounts(rep, rep2):
    # potential 1.2M / ARR 12k (gap 1.188M); 500k / 240k (gap 260k); 900k / 720k (gap 180k)
    a = account(rep, potential="1200000", mrr="1000", name="Alpha")
    b = account(rep2, potential="500000", mrr="20000", name="Bravo")
    c = account(rep, potential="900000", mrr="60000", name="Charlie")
    return a, b, c


def names(rows):
    return [r.company.name for r in rows]


def test_only_the_teams_accounts_are_reviewed(team, three_accounts, other_rep):
    account(other_rep, potential="9000000", name="Not ours")
    rows = review_accounts(team=team)
    assert names(rows) == ["Alpha", "Charlie", "Bravo"]
    assert [r.rank for r in rows] == [1, 2, 3]


def test_ranking_modes(team, three_accounts):
    assert set(RANKINGS) == {"potential", "arr", "gap"}
    assert names(review_accounts(team=team, ranking="potential")) == ["Alpha", "Charlie", "Bravo"]
    assert names(review_accounts(team=team, ranking="arr")) == ["Charlie", "Bravo", "Alpha"]
    assert names(review_accounts(team=team, ranking="gap")) == ["Alpha", "Bravo", "Charlie"]
    with pytest.raises(ValueError):
        review_accounts(team=team, ranking="size")


def test_unknown_potential_ranks_last(team, rep, three_accounts):
    account(rep, potential=None, mrr="90000", name="Unknown potential")
    assert names(review_accounts(team=team, ranking="potential"))[-1] == "Unknown potential"
    assert names(review_accounts(team=team, ranking="gap"))[-1] == "Unknown potential"
    assert names(review_accounts(team=team, ranking="arr"))[0] == "Unknown potential"


def test_top_n_limits_and_figures(team, three_accounts):
    rows = review_accounts(team=team, top_n=2)
    assert len(rows) == 2
    alpha = rows[0].company
    assert alpha.arr == Decimal("12000.00")
    assert alpha.potential_arr == Decimal("1200000.00")
    assert alpha.penetration == pytest.approx(0.01)
    assert alpha.owner.username == "ravi.rep"


def test_key_stakeholders_ranked_first_then_influence_then_recency(team, rep, three_accounts):
    company = three_accounts[0]
    ranked2 = StakeholderFactory(company=company, name="Ranked two", key_rank=2, influence=1)
    ranked1 = StakeholderFactory(company=company, name="Ranked one", key_rank=1, influence=2)
    high = StakeholderFactory(company=company, name="Influential", influence=5)
    recent = StakeholderFactory(company=company, name="Recent", influence=3)
    older = StakeholderFactory(company=company, name="Older", influence=3)
    StakeholderFactory(company=company, name="Never", influence=3)
    StakeholderFactory(company=company, name="Gone", influence=5, is_active=False)
    log_contact(recent, by=rep, days_ago=2)
    log_contact(older, by=rep, days_ago=20)
    row = review_accounts(team=team, viewer=rep)[0]
    assert [k.name for k in row.key_stakeholders] == ["Ranked one", "Ranked two", "Influential", "Recent", "Older"]
    assert row.known_stakeholders == 6
    first_recent = row.key_stakeholders[3]
    assert first_recent.days_since == 2 and first_recent.freshness == "fresh"
    assert first_recent.last_contacted_by == (rep.get_full_name() or rep.username)
    assert row.key_stakeholders[0].days_since is None and row.key_stakeholders[0].freshness == "never"
    assert row.key_stakeholders[0].role_label == "Influencer"
    assert ranked1.pk == row.key_stakeholders[0].id and ranked2.pk == row.key_stakeholders[1].id
    assert high.pk == row.key_stakeholders[2].id


def test_days_since_counts_calendar_days_in_the_viewers_zone(team, rep, three_accounts):
    person = StakeholderFactory(company=three_accounts[0])
    Profile.objects.filter(user=rep).update(time_zone="Asia/Tokyo")
    rep = type(rep).objects.get(pk=rep.pk)
    now = datetime(2026, 3, 10, 22, 0, tzinfo=dt_timezone.utc)  # Mar 11, 07:00 in Tokyo
    Stakeholder.objects.filter(pk=person.pk).update(
        last_contacted_at=datetime(2026, 3, 10, 14, 0, tzinfo=dt_timezone.utc))  # Mar 10, 23:00 in Tokyo
    assert review_accounts(team=team, now=now)[0].key_stakeholders[0].days_since == 0  # UTC: same day
    assert review_accounts(team=team, viewer=rep, now=now)[0].key_stakeholders[0].days_since == 1


def test_query_count_does_not_grow_with_top_n(team, rep, django_assert_num_queries):
    for i in range(30):
        company = account(rep, potential=str(100000 + i), mrr="10")
        people = [StakeholderFactory(company=company, key_rank=r) for r in (1, 2)] + [StakeholderFactory(company=company)]
        log_contact(people[:2], by=rep, days_ago=i % 40)
        ActionItemFactory(company=company, session=ReviewSessionFactory(team=team, week_start=week_start(
            timezone.localdate()) - timedelta(days=7 * (i + 1))))
    rep = type(rep).objects.get(pk=rep.pk)
    with django_assert_num_queries(5):
        five = review_accounts(team=team, top_n=5, viewer=rep)
    rep = type(rep).objects.get(pk=rep.pk)
    with django_assert_num_queries(5):
        twenty_five = review_accounts(team=team, top_n=25, viewer=rep)
    assert len(five) == 5 and len(twenty_five) == 25
    assert all(len(r.key_stakeholders) == 3 and len(r.open_action_items) == 1 for r in twenty_five)
    # The same rows whatever the limit.
    assert [r.company.pk for r in twenty_five[:5]] == [r.company.pk for r in five]


def test_open_action_items_come_from_earlier_sessions_only(team, manager, three_accounts):
    company = three_accounts[0]
    this_week = week_start(timezone.localdate())
    last = ReviewSessionFactory(team=team, week_start=this_week - timedelta(days=7))
    current = ReviewSessionFactory(team=team, week_start=this_week)
    open_item = ActionItemFactory(session=last, company=company, description="Meet the CFO")
    ActionItemFactory(session=last, company=company, status=ActionItem.Status.DONE, completed_at=timezone.now())
    ActionItemFactory(session=current, company=company, description="This week")
    row = review_accounts(team=team, viewer=manager)[0]
    assert [i.pk for i in row.open_action_items] == [open_item.pk]


def test_review_account_matches_the_row_in_the_list(team, rep, three_accounts):
    company = three_accounts[2]
    person = StakeholderFactory(company=company, role=R.ECONOMIC_BUYER, key_rank=1)
    log_contact(person, by=rep, days_ago=1)
    in_list = next(r for r in review_accounts(team=team) if r.company.pk == company.pk)
    single = review_account(company=company, rank=in_list.rank)
    assert single.rank == in_list.rank == 2
    assert single.flags == in_list.flags
    assert [k.id for k in single.key_stakeholders] == [k.id for k in in_list.key_stakeholders] == [person.pk]
    assert single.last_contacted_at == in_list.last_contacted_at


def test_summary_counts_flags_and_change_since_last_session(team, three_accounts):
    rows = review_accounts(team=team)
    summary = review_summary(team=team, accounts=rows)
    assert summary.accounts == 3
    assert summary.flag_counts["few_stakeholders"] == 3 and summary.flag_counts["single_threaded"] == 0
    assert summary.flag_change == {key: None for key in summary.flag_counts}
    ReviewSessionFactory(team=team, week_start=week_start(timezone.localdate()) - timedelta(days=7),
                         snapshot={"summary": {"flag_counts": {"few_stakeholders": 1, "all_stale": 5}}})
    summary = review_summary(team=team, accounts=rows)
    assert summary.flag_change["few_stakeholders"] == 2
    assert summary.flag_change["all_stale"] == -2
    assert summary.flag_change["single_threaded"] is None


def test_review_team_for_each_role(team, manager, rep, other_rep, admin_user):
    other_team = other_rep.profile.team
    assert review_team_for(manager) == team
    assert review_team_for(manager, team_id=other_team.pk) is None
    assert review_team_for(rep) == team
    assert review_team_for(rep, team_id=other_team.pk) is None
    assert review_team_for(admin_user, team_id=other_team.pk) == other_team
    assert review_team_for(admin_user) is not None
    loner = UserFactory(username="no.team", role=roles.REP)
    assert review_team_for(loner) is None
    second = TeamFactory(name="Strategic", manager=manager)
    assert review_team_for(manager, team_id=second.pk) == second


def test_accounts_without_an_owner_in_the_team_are_left_out(team):
    CompanyFactory(owner=None, potential_arr=Decimal("5000000"))
    assert review_accounts(team=team) == []
    assert Company.objects.count() == 1


def test_the_contact_note_names_who_logged_it_by_full_name_else_username(team, rep, rep2, three_accounts):
    company = three_accounts[0]
    named, unnamed, never = (StakeholderFactory(company=company, name=n, key_rank=r)
                             for r, n in ((1, "Named"), (2, "Unnamed"), (3, "Never")))
    type(rep2).objects.filter(pk=rep2.pk).update(first_name="", last_name="")
    type(rep).objects.filter(pk=rep.pk).update(first_name="Ravi", last_name="Patel")
    log_contact(named, by=rep, days_ago=3)
    log_contact(unnamed, by=rep2, days_ago=4)
    people = {k.name: k for k in review_accounts(team=team)[0].key_stakeholders}
    assert people["Named"].last_contacted_by == "Ravi Patel"
    assert people["Unnamed"].last_contacted_by == "rosa.rep"
    local = timezone.localtime(Stakeholder.objects.get(pk=unnamed.pk).last_contacted_at)
    assert people["Unnamed"].contact_note == f"last contact {local:%b} {local.day}, {local.year} by rosa.rep"
    assert people["Never"].contact_note == "never contacted" and people["Never"].last_contacted_by == ""
