"""Assignment: the account owner; else round-robin in the owner team, respecting the open-play limit."""
from decimal import Decimal

import pytest

from playbooks.models import Play, Playbook, PlaybookRun
from playbooks.services import playbook_run_create, playbook_run_execute
from revops import roles
from tests.factories import CompanyFactory, ProfileFactory, UserFactory, WorkspaceFactory
from tests.playbooks.factories import PlaybookFactory, PlayFactory

pytestmark = pytest.mark.django_db


def account(owner=None, potential="100000"):
    company = CompanyFactory(owner=owner, potential_arr=Decimal(potential))
    WorkspaceFactory(company=company)
    WorkspaceFactory(company=company)
    return company


def run(playbook):
    return playbook_run_execute(run_id=playbook_run_create(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL).pk)


def assignee_of(company):
    return Play.objects.get(company=company).assignee


def test_owner_gets_the_play(rep):
    playbook = PlaybookFactory()
    company = account(owner=rep)
    run(playbook)
    assert assignee_of(company) == rep


def test_unowned_accounts_go_round_robin_in_the_owner_team(team, rep, rep2):
    playbook = PlaybookFactory(owner_team=team)
    # most valuable first: potentials 400k, 300k, 200k
    companies = [account(potential=p) for p in ("400000", "300000", "200000")]
    result = run(playbook)
    assert [assignee_of(c) for c in companies] == [rep, rep2, rep]
    assert result.unassigned == 0
    playbook.refresh_from_db()
    assert playbook.round_robin_last == rep
    later = account(potential="100000")
    run(playbook)
    assert assignee_of(later) == rep2  # the cycle continues where the last run stopped


def test_owner_at_the_limit_hands_over_to_a_teammate(team, rep, rep2):
    playbook = PlaybookFactory(owner_team=team, max_open_plays_per_rep=1)
    PlayFactory(assignee=rep, playbook=PlaybookFactory())  # rep's inbox is full (any playbook counts)
    company = account(owner=rep)
    run(playbook)
    assert assignee_of(company) == rep2


def test_nobody_with_room_leaves_the_play_unassigned(team, rep, rep2):
    playbook = PlaybookFactory(owner_team=team, max_open_plays_per_rep=1)
    companies = [account(potential=p) for p in ("300000", "200000", "100000")]
    result = run(playbook)
    assert [assignee_of(c) for c in companies] == [rep, rep2, None]
    assert result.unassigned == 1


def test_without_an_owner_team_the_owner_s_own_team_is_used(team, rep, rep2):
    playbook = PlaybookFactory(max_open_plays_per_rep=1)
    PlayFactory(assignee=rep)
    company = account(owner=rep)
    run(playbook)
    assert assignee_of(company) == rep2


def test_round_robin_rule_ignores_the_owner_and_skips_managers_and_other_teams(team, manager, rep, rep2, other_rep):
    playbook = PlaybookFactory(owner_team=team, assignment=Playbook.Assignment.ROUND_ROBIN)
    inactive = UserFactory(username="gone.rep", role=roles.REP, is_active=False)
    ProfileFactory(user=inactive, team=team)
    companies = [account(owner=other_rep, potential=p) for p in ("300000", "200000", "100000")]
    run(playbook)
    assert [assignee_of(c) for c in companies] == [rep, rep2, rep]
