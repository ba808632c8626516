"""Review sessions: snapshot at start, notes and action items, carry-over to next week, permissions, CSV."""
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from revops.errors import ApplicationError
from stakeholders.models import AccountReviewNote, ActionItem, ReviewSession, Stakeholder
from stakeholders.selectors.sessions import (
    CSV_HEADER,
    previous_session,
    session_csv_rows,
    session_detail,
    team_sessions,
)
from stakeholders.services import (
    action_item_create,
    action_item_update,
    review_note_save,
    review_session_close,
    review_session_start,
)
from tests.factories import CompanyFactory

from .factories import StakeholderFactory, log_contact

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=dt_timezone.utc)
NEXT_MONDAY = MONDAY + timedelta(days=7)


@pytest.fixture
def accounts(rep, rep2):
    big = CompanyFactory(owner=rep, name="Big Co", potential_arr=Decimal("2000000"))
    small = CompanyFactory(owner=rep2, name="Small Co", potential_arr=Decimal("300000"))
    buyer = StakeholderFactory(company=big, name="Bea Buyer", role=Stakeholder.Role.ECONOMIC_BUYER, key_rank=1)
    log_contact(buyer, by=rep, occurred_at=MONDAY - timedelta(days=3))
    return big, small


def test_start_snapshots_the_figures_and_is_idempotent_within_the_week(team, manager, accounts):
    big, _small = accounts
    session = review_session_start(team=team, by=manager, now=MONDAY)
    assert session.week_start.isoformat() == "2026-03-09"
    rows = session.snapshot["rows"]
    assert [r["company_name"] for r in rows] == ["Big Co", "Small Co"]
    assert rows[0]["key_stakeholders"][0]["name"] == "Bea Buyer"
    assert rows[0]["key_stakeholders"][0]["days_since"] == 3
    assert rows[0]["flags"]["single_threaded"] is True
    assert session.snapshot["summary"]["flag_counts"]["few_stakeholders"] == 2
    # Later the same week: the same session, snapshot untouched.
    StakeholderFactory(company=big, name="New Person")
    again = review_session_start(team=team, by=manager, now=MONDAY + timedelta(days=2))
    assert again.pk == session.pk
    assert ReviewSession.objects.count() == 1
    again.refresh_from_db()
    assert len(again.snapshot["rows"][0]["key_stakeholders"]) == 1


def test_snapshot_survives_later_changes(team, manager, rep, accounts):
    big, _small = accounts
    session = review_session_start(team=team, by=manager, now=MONDAY)
    Stakeholder.objects.filter(company=big).delete()
    big.name = "Renamed"
    big.save()
    detail = session_detail(session=ReviewSession.objects.get(pk=session.pk))
    assert detail.rows[0].company_name == "Big Co"
    assert detail.rows[0].key_stakeholders[0]["name"] == "Bea Buyer"


def test_notes_and_action_items_then_carry_over_to_next_week(team, manager, rep, rep2, accounts):
    big, small = accounts
    week1 = review_session_start(team=team, by=manager, now=MONDAY)
    note = review_note_save(session=week1, company=big, notes="CFO unknown", by=manager)
    review_note_save(session=week1, company=big, notes="CFO still unknown", by=manager)
    assert AccountReviewNote.objects.get(pk=note.pk).notes == "CFO still unknown"
    meet = action_item_create(session=week1, company=big, description="Meet the CFO", by=manager, assignee=rep,
                              due_date=MONDAY.date() + timedelta(days=4))
    champion = action_item_create(session=week1, company=small, description="Find a champion", by=manager,
                                  assignee=rep2)
    review_session_close(session=week1, by=manager)

    # The assignee closes their item during the week.
    action_item_update(item=meet, by=rep, status=ActionItem.Status.DONE)
    meet.refresh_from_db()
    assert meet.status == "done" and meet.completed_at is not None

    week2 = review_session_start(team=team, by=manager, now=NEXT_MONDAY)
    assert week2.pk != week1.pk
    assert previous_session(session=week2) == week1
    detail = session_detail(session=week2)
    assert detail.previous == week1
    assert {(i.description, i.is_done) for i in detail.carried_over} == {("Meet the CFO", True),
                                                                          ("Find a champion", False)}
    assert detail.carried_done == 1
    big_row = next(r for r in detail.rows if r.company_id == big.pk)
    assert [i.pk for i in big_row.carried_items] == [meet.pk]
    small_row = next(r for r in detail.rows if r.company_id == small.pk)
    assert [i.pk for i in small_row.carried_items] == [champion.pk]
    # Change since last week comes from week 1's snapshot.
    assert detail.flag_change["few_stakeholders"] == 0

    first = session_detail(session=week1)
    assert next(r for r in first.rows if r.company_id == big.pk).note.notes == "CFO still unknown"
    assert [s.pk for s in team_sessions(team=team)] == [week2.pk, week1.pk]
    assert team_sessions(team=team).get(pk=week1.pk).action_items_done == 1


def test_only_the_teams_manager_or_an_admin_runs_the_review(team, manager, rep, other_rep, admin_user, accounts):
    big, _small = accounts
    with pytest.raises(PermissionDenied):
        review_session_start(team=team, by=rep, now=MONDAY)
    with pytest.raises(PermissionDenied):
        review_session_start(team=team, by=other_rep.profile.team.manager, now=MONDAY)
    assert ReviewSession.objects.count() == 0
    session = review_session_start(team=team, by=admin_user, now=MONDAY)
    with pytest.raises(PermissionDenied):
        review_note_save(session=session, company=big, notes="x", by=rep)
    with pytest.raises(PermissionDenied):
        action_item_create(session=session, company=big, description="x", by=rep)
    assert not ActionItem.objects.exists() and not AccountReviewNote.objects.exists()


def test_assignee_may_only_change_the_status(team, manager, rep, rep2, accounts):
    big, _small = accounts
    session = review_session_start(team=team, by=manager, now=MONDAY)
    item = action_item_create(session=session, company=big, description="Map procurement", by=manager, assignee=rep)
    with pytest.raises(PermissionDenied):
        action_item_update(item=item, by=rep, description="Something else")
    with pytest.raises(PermissionDenied):
        action_item_update(item=item, by=rep2, status=ActionItem.Status.DONE)
    item.refresh_from_db()
    assert item.description == "Map procurement" and item.status == "open"
    action_item_update(item=item, by=manager, description="Map procurement and legal", assignee=rep2, due_date=None)
    item.refresh_from_db()
    assert item.assignee == rep2 and item.description == "Map procurement and legal"
    action_item_update(item=item, by=rep2, status=ActionItem.Status.DONE)
    action_item_update(item=item, by=rep2, status=ActionItem.Status.OPEN)
    item.refresh_from_db()
    assert item.status == "open" and item.completed_at is None


def test_bad_input_writes_nothing(team, manager, other_rep, accounts):
    big, _small = accounts
    session = review_session_start(team=team, by=manager, now=MONDAY)
    foreign = CompanyFactory(owner=other_rep)
    with pytest.raises(ApplicationError):
        action_item_create(session=session, company=foreign, description="x", by=manager)
    with pytest.raises(ApplicationError):
        action_item_create(session=session, company=big, description="  ", by=manager)
    with pytest.raises(ApplicationError):
        action_item_create(session=session, company=big, description="x", by=manager, assignee=other_rep)
    with pytest.raises(ApplicationError):
        review_session_start(team=team, by=manager, ranking="size", now=NEXT_MONDAY)
    assert not ActionItem.objects.exists()
    assert ReviewSession.objects.count() == 1
    review_session_close(session=session, by=manager)
    with pytest.raises(ApplicationError):
        review_note_save(session=session, company=big, notes="late", by=manager)
    assert not AccountReviewNote.objects.exists()


def test_csv_rows(team, manager, rep, accounts):
    big, _small = accounts
    session = review_session_start(team=team, by=manager, now=MONDAY)
    review_note_save(session=session, company=big, notes="Push for exec sponsor", by=manager)
    action_item_create(session=session, company=big, description="Intro to CTO", by=manager, assignee=rep,
                       due_date=MONDAY.date() + timedelta(days=3))
    rows = list(session_csv_rows(session=session))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1]))
    assert first["company"] == "Big Co" and first["rank"] == "1"
    assert first["notes"] == "Push for exec sponsor"
    assert "Intro to CTO [Open]" in first["action_items"] and "due 2026-03-12" in first["action_items"]
    assert "Bea Buyer (Economic buyer, 3 d)" in first["key_stakeholders"]
    assert first["Single-threaded"] == "yes" and first["Fewer than 5 known"] == "yes"
    assert timezone.is_aware(datetime.fromisoformat(first["last_contacted_at"]))
