"""Weekly review sessions: start (with a snapshot of the figures), notes, action items, close.

Who may do what: the team's manager and RevOps admins run a session (start, notes, action items,
close). An action item's assignee may also move it (done, dropped, open again). A closed session
keeps its notes and items frozen, except that items can still be marked done — that is what next
week's review checks.
"""
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Company, Team
from revops.errors import ApplicationError
from revops.roles import is_revops_admin
from revops.timezones import user_zone
from stakeholders.models import AccountReviewNote, ActionItem, ReviewSession
from stakeholders.selectors.review import (
    MAX_TOP_N,
    RANKINGS,
    review_account_snapshot,
    review_accounts,
    review_summary,
    team_companies,
    week_start,
)

UNSET = object()


def can_run_review(user, team: Team) -> bool:
    """The team's manager or a RevOps admin."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_revops_admin(user) or (team.manager_id is not None and team.manager_id == user.pk)


def _require_runner(user, team: Team) -> None:
    if not can_run_review(user, team):
        raise PermissionDenied("Only the team's manager or a RevOps admin may run this review.")


def _require_open(session: ReviewSession) -> None:
    if session.status == ReviewSession.Status.CLOSED:
        raise ApplicationError("This review session is closed.")


def _require_team_account(session: ReviewSession, company: Company) -> None:
    if not team_companies(session.team).filter(pk=company.pk).exists():
        raise ApplicationError(f"{company} is not one of {session.team}'s accounts.",
                               extra={"fields": {"company": ["Not one of the team's accounts."]}})


def review_snapshot(*, team: Team, by, ranking: str, top_n: int, now: datetime) -> dict:
    """The review rows and team summary as they stand at ``now``, as plain JSON."""
    accounts = review_accounts(team=team, ranking=ranking, top_n=top_n, viewer=by, now=now)
    summary = review_summary(team=team, accounts=accounts, now=now, viewer=by)
    return {
        "taken_at": now.isoformat(),
        "ranking": ranking,
        "top_n": top_n,
        "time_zone": user_zone(by).key,
        "summary": {"accounts": summary.accounts, "flag_counts": summary.flag_counts,
                    "flag_change": summary.flag_change},
        "rows": [review_account_snapshot(a) for a in accounts],
    }


def review_session_start(
    *, team: Team, by, ranking: str = "potential", top_n: int = 25, now: datetime | None = None
) -> ReviewSession:
    """This week's session of ``team`` (the Monday in ``by``'s zone); returns it when it already exists.

    A new session stores a snapshot of the review rows and summary as they stand now, so the
    history shows the figures the review was held on whatever changes afterwards.
    """
    _require_runner(by, team)
    if ranking not in RANKINGS:
        raise ApplicationError(f"ranking: choose one of {', '.join(RANKINGS)}.",
                               extra={"fields": {"ranking": ["Unknown ranking."]}})
    if not 1 <= int(top_n) <= MAX_TOP_N:
        raise ApplicationError(f"top_n: between 1 and {MAX_TOP_N}.",
                               extra={"fields": {"top_n": [f"Between 1 and {MAX_TOP_N}."]}})
    now = now or timezone.now()
    monday = week_start(timezone.localtime(now, user_zone(by)).date())
    existing = ReviewSession.objects.filter(team=team, week_start=monday).first()
    if existing is not None:
        return existing
    snapshot = review_snapshot(team=team, by=by, ranking=ranking, top_n=int(top_n), now=now)
    try:
        with transaction.atomic():
            return ReviewSession.objects.create(
                team=team, week_start=monday, ranking=ranking, top_n=int(top_n), snapshot=snapshot, started_by=by,
            )
    except IntegrityError:
        # Someone else started this week's session between our check and our insert.
        return ReviewSession.objects.get(team=team, week_start=monday)


@transaction.atomic
def review_session_close(*, session: ReviewSession, by, notes: str | None = None) -> ReviewSession:
    _require_runner(by, session.team)
    if session.status == ReviewSession.Status.CLOSED:
        return session
    if notes is not None:
        session.notes = notes
    session.status, session.closed_at = ReviewSession.Status.CLOSED, timezone.now()
    session.save(update_fields=["status", "closed_at", "notes"])
    return session


@transaction.atomic
def review_session_update(*, session: ReviewSession, by, notes: str) -> ReviewSession:
    """The session's general notes (not tied to one account)."""
    _require_runner(by, session.team)
    _require_open(session)
    session.notes = notes or ""
    session.save(update_fields=["notes"])
    return session


@transaction.atomic
def review_note_save(*, session: ReviewSession, company: Company, notes: str, by) -> AccountReviewNote:
    """Create or replace the session's notes on one account."""
    _require_runner(by, session.team)
    _require_open(session)
    _require_team_account(session, company)
    note, _created = AccountReviewNote.objects.update_or_create(
        session=session, company=company, defaults={"notes": notes or "", "updated_by": by},
    )
    return note


def _check_assignee(session: ReviewSession, assignee) -> None:
    if assignee is None:
        return
    from accounts.models import Profile

    in_team = Profile.objects.filter(user=assignee, team=session.team).exists() or assignee.pk == session.team.manager_id
    if not in_team and not is_revops_admin(assignee):
        raise ApplicationError(f"assignee: {assignee} is not in {session.team}.",
                               extra={"fields": {"assignee": ["Must be a member of the team."]}})


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise ApplicationError("description: say what should be done.",
                               extra={"fields": {"description": ["This field is required."]}})
    if len(description) > 500:
        raise ApplicationError("description: at most 500 characters.",
                               extra={"fields": {"description": ["At most 500 characters."]}})
    return description


@transaction.atomic
def action_item_create(
    *, session: ReviewSession, company: Company, description: str, by, assignee=None, due_date: date | None = None
) -> ActionItem:
    _require_runner(by, session.team)
    _require_open(session)
    _require_team_account(session, company)
    _check_assignee(session, assignee)
    return ActionItem.objects.create(
        session=session, company=company, description=_clean_description(description), assignee=assignee,
        due_date=due_date, created_by=by,
    )


@transaction.atomic
def action_item_update(
    *, item: ActionItem, by, status: str | None = None, description: str | None = None,
    assignee=UNSET, due_date=UNSET,
) -> ActionItem:
    """Change an action item. The assignee may only change its status; the manager and admins anything.

    Marking it done stamps completed_at; reopening or dropping clears it.
    """
    session = item.session
    runner = can_run_review(by, session.team)
    is_assignee = item.assignee_id is not None and item.assignee_id == getattr(by, "pk", None)
    if not runner and not is_assignee:
        raise PermissionDenied("Only the team's manager, a RevOps admin or the assignee may change this action item.")
    edits_details = description is not None or assignee is not UNSET or due_date is not UNSET
    if edits_details and not runner:
        raise PermissionDenied("Only the team's manager or a RevOps admin may edit this action item.")
    if edits_details:
        _require_open(session)
    fields = []
    if status is not None and status != item.status:
        if status not in ActionItem.Status.values:
            raise ApplicationError(f"status: choose one of {', '.join(ActionItem.Status.values)}.",
                                   extra={"fields": {"status": ["Unknown status."]}})
        item.status = status
        item.completed_at = timezone.now() if status == ActionItem.Status.DONE else None
        fields += ["status", "completed_at"]
    if description is not None:
        item.description = _clean_description(description)
        fields.append("description")
    if assignee is not UNSET:
        _check_assignee(session, assignee)
        item.assignee = assignee
        fields.append("assignee")
    if due_date is not UNSET:
        item.due_date = due_date
        fields.append("due_date")
    if fields:
        item.save(update_fields=fields)
    return item


@transaction.atomic
def action_item_delete(*, item: ActionItem, by) -> None:
    _require_runner(by, item.session.team)
    _require_open(item.session)
    item.delete()
