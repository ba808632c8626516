"""State changes of a play: start, close (done, disqualified, converted), reopen, steps, notes, reassign.

Who may work a play: its assignee, the manager of the assignee's team (or, for an unassigned play,
of the playbook's owner team or the account owner's team), and RevOps admins. The first change
anyone makes — starting it, ticking a step, writing a note, closing it — is its *first action*
(reported as time to first action).
"""
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from playbooks.models import Play, PlayStep
from revops.errors import ApplicationError
from revops.roles import is_revops_admin, managed_team_ids

STATUS_ACTIONS = {
    "start": Play.Status.IN_PROGRESS,
    "done": Play.Status.DONE,
    "disqualify": Play.Status.DISQUALIFIED,
    "convert": Play.Status.CONVERTED,
    "reopen": Play.Status.OPEN,
}


def can_work_play(user, play: Play) -> bool:
    if not user.is_authenticated:
        return False
    if is_revops_admin(user) or play.assignee_id == user.pk:
        return True
    managed = managed_team_ids(user)
    if not managed:
        return False
    if play.assignee_id:
        profile = getattr(play.assignee, "profile", None)
        return bool(profile and profile.team_id in managed)
    owner_profile = getattr(play.company.owner, "profile", None) if play.company.owner_id else None
    return play.playbook.owner_team_id in managed or bool(owner_profile and owner_profile.team_id in managed)


def _check(user, play: Play) -> None:
    if not can_work_play(user, play):
        raise PermissionDenied("Only the assignee, their manager or a RevOps admin can change this play.")


def _touch(play: Play, now) -> None:
    if play.first_action_at is None:
        play.first_action_at = max(now, play.surfaced_at)


@transaction.atomic
def play_start(*, play: Play, by) -> Play:
    _check(by, play)
    play = Play.objects.select_for_update().get(pk=play.pk)
    if play.status != Play.Status.OPEN:
        raise ApplicationError(f"Only an open play can be started; this one is {play.get_status_display().lower()}.")
    play.status = Play.Status.IN_PROGRESS
    _touch(play, timezone.now())
    play.save(update_fields=["status", "first_action_at", "updated_at"])
    return play


@transaction.atomic
def play_close(
    *,
    play: Play,
    by,
    outcome: str,
    reason: str = "",
    amount: Decimal | None = None,
    opportunity=None,
) -> Play:
    """Close a play as done, disqualified (a reason is required) or converted (an opportunity of the
    same account is required; the outcome amount defaults to the opportunity's amount)."""
    _check(by, play)
    play = Play.objects.select_for_update(of=("self",)).select_related("company").get(pk=play.pk)
    if play.status in Play.CLOSED_STATES:
        raise ApplicationError("This play is already closed.")
    if outcome not in Play.CLOSED_STATES:
        raise ApplicationError(f"Unknown outcome {outcome!r}.")
    reason = (reason or "").strip()
    if outcome == Play.Status.DISQUALIFIED and not reason:
        raise ApplicationError("Say why the play is disqualified.", {"reason": ["A reason is required."]})
    if outcome == Play.Status.CONVERTED:
        if opportunity is None:
            raise ApplicationError("Pick the opportunity this play turned into.", {"opportunity": ["Required."]})
        if opportunity.company_id != play.company_id:
            raise ApplicationError("The opportunity belongs to another account.", {"opportunity": ["Wrong account."]})
        play.opportunity = opportunity
        play.outcome_amount = amount if amount is not None else opportunity.amount
    elif amount is not None:
        play.outcome_amount = amount
    if play.outcome_amount is not None and play.outcome_amount < 0:
        raise ApplicationError("The outcome amount cannot be negative.", {"amount": ["Must be 0 or more."]})
    now = timezone.now()
    play.status = outcome
    play.disqualify_reason = reason if outcome == Play.Status.DISQUALIFIED else ""
    play.closed_at, play.closed_by = now, by
    _touch(play, now)
    play.save()
    return play


@transaction.atomic
def play_reopen(*, play: Play, by) -> Play:
    """Undo a close (a misclick); refused when the playbook has surfaced the account again meanwhile."""
    _check(by, play)
    play = Play.objects.select_for_update().get(pk=play.pk)
    if play.status not in Play.CLOSED_STATES:
        raise ApplicationError("This play is not closed.")
    play.status = Play.Status.IN_PROGRESS if play.first_action_at else Play.Status.OPEN
    play.closed_at = play.closed_by = None
    play.disqualify_reason = ""
    play.opportunity = None
    play.outcome_amount = None
    try:
        with transaction.atomic():
            play.save()
    except IntegrityError:
        raise ApplicationError("This account already has a newer open play from the same playbook.") from None
    return play


def play_set_status(*, play: Play, by, action: str, reason: str = "", amount=None, opportunity=None) -> Play:
    """One entry point for the one-click buttons (pages, API)."""
    if action not in STATUS_ACTIONS:
        raise ApplicationError(f"Unknown action {action!r}.")
    if action == "start":
        return play_start(play=play, by=by)
    if action == "reopen":
        return play_reopen(play=play, by=by)
    return play_close(play=play, by=by, outcome=STATUS_ACTIONS[action], reason=reason, amount=amount,
                      opportunity=opportunity)


@transaction.atomic
def play_step_set(*, step: PlayStep, by, done: bool) -> PlayStep:
    play = Play.objects.select_for_update(of=("self",)).select_related("company", "assignee__profile", "playbook").get(
        pk=step.play_id)
    _check(by, play)
    if play.status in Play.CLOSED_STATES:
        raise ApplicationError("The play is closed; reopen it to change its steps.")
    now = timezone.now()
    step.done_at, step.done_by = (now, by) if done else (None, None)
    step.save(update_fields=["done_at", "done_by"])
    changed = ["first_action_at", "updated_at"]
    if done and play.status == Play.Status.OPEN:
        play.status = Play.Status.IN_PROGRESS  # ticking a step is working the play
        changed.append("status")
    _touch(play, now)
    play.save(update_fields=changed)
    return step


@transaction.atomic
def play_notes_update(*, play: Play, by, notes: str) -> Play:
    _check(by, play)
    play.notes = notes.strip()
    _touch(play, timezone.now())
    play.save(update_fields=["notes", "first_action_at", "updated_at"])
    return play


@transaction.atomic
def play_assign(*, play: Play, by, assignee) -> Play:
    """Managers (of the team concerned) and admins hand a play to someone else."""
    if not (is_revops_admin(by) or (managed_team_ids(by) and can_work_play(by, play))):
        raise PermissionDenied("Only a manager of the team or a RevOps admin can reassign a play.")
    if play.status in Play.CLOSED_STATES:
        raise ApplicationError("A closed play cannot be reassigned.")
    play.assignee = assignee
    play.save(update_fields=["assignee", "updated_at"])
    return play


@transaction.atomic
def play_convert_new_opportunity(*, play: Play, by, name: str, amount: Decimal, close_date, use_case: str = "") -> Play:
    """Open an expansion opportunity from the play (forecasting's service) and close the play as converted."""
    from forecasting.models import Opportunity
    from forecasting.services.opportunities import opportunity_create

    _check(by, play)
    if play.status in Play.CLOSED_STATES:
        raise ApplicationError("This play is already closed.")
    category = {
        "consolidation": Opportunity.UseCase.CONSOLIDATION,
    }.get(play.playbook.goal_type, Opportunity.UseCase.OTHER)
    opportunity = opportunity_create(
        company=play.company, external_id=f"PLAY-{play.pk}", name=name or f"{play.company.name} — {play.playbook.name}",
        amount=amount, close_date=close_date, type=Opportunity.Type.EXPANSION,
        use_case=use_case or play.playbook.name, use_case_category=category, by=by,
    )
    return play_close(play=play, by=by, outcome=Play.Status.CONVERTED, opportunity=opportunity, amount=amount)
