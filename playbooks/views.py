"""Pages of the playbooks area: the library, a playbook's reporting, runs, the rep inbox and plays.

Status changes and checklist ticks are one-click htmx POSTs that answer with the play's card;
without htmx they redirect back.
"""
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Profile, Team
from playbooks import selectors
from playbooks.charts import timeline_svg
from playbooks.models import Play, Playbook, PlaybookRun, PlayStep
from playbooks.services import (
    can_work_play,
    play_convert_new_opportunity,
    play_notes_update,
    play_set_status,
    play_step_set,
    playbook_run_request,
)
from playbooks.signals import signal_text, signal_validate
from revops import history
from revops.errors import ApplicationError
from revops.roles import is_revops_admin


def _back(request, fallback: str):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return redirect(target)


def index(request):
    """The playbook library: every playbook with its headline figures."""
    summaries = selectors.playbook_summaries()
    my_open = Play.objects.filter(assignee=request.user, status__in=Play.OPEN_STATES).count()
    return render(request, "playbooks/index.html", {
        "summaries": summaries,
        "my_open": my_open,
        "scopes": selectors.inbox_scopes(request.user),
        "can_run": is_revops_admin(request.user),
        "active_nav": "playbooks",
        "tab": "library",
    })


def inbox(request):
    """My plays: open plays sorted by value with the why and the steps; managers switch to their team."""
    scopes = selectors.inbox_scopes(request.user)
    scope = request.GET.get("scope") or ("team" if "team" in scopes and not _has_own(request.user) else "mine")
    if scope not in scopes:
        scope = "mine"
    playbook = None
    if request.GET.get("playbook"):
        playbook = Playbook.objects.filter(slug=request.GET["playbook"]).first()
    assignee = request.GET.get("assignee")
    assignee_id = None
    if assignee == "none":
        assignee_id = 0
    elif assignee and assignee.isdigit():
        assignee_id = int(assignee)
    plays = list(selectors.inbox_plays(user=request.user, scope=scope, playbook=playbook,
                                       status=request.GET.get("status"), assignee_id=assignee_id))
    total_value = sum((p.value for p in plays), Decimal(0))
    overdue = sum(1 for p in plays for s in p.steps.all() if s.done_at is None and s.due_date and s.due_date < date.today())
    assignees = {}
    if scope != "mine":
        for p in plays:
            if p.assignee_id:
                assignees[p.assignee_id] = p.assignee
    context = {
        "plays": plays,
        "scope": scope,
        "scopes": [(key, selectors.SCOPES[key]) for key in scopes],
        "playbooks": Playbook.objects.order_by("name"),
        "selected_playbook": playbook,
        "status": request.GET.get("status", ""),
        "assignee": assignee or "",
        "assignees": sorted(assignees.values(), key=lambda u: u.get_full_name() or u.username),
        "total_value": total_value,
        "overdue": overdue,
        "in_progress": sum(1 for p in plays if p.status == Play.Status.IN_PROGRESS),
        "active_nav": "playbooks",
        "tab": "inbox",
        "today": date.today(),
    }
    return render(request, "playbooks/inbox.html", context)


def _has_own(user) -> bool:
    return Play.objects.filter(assignee=user, status__in=Play.OPEN_STATES).exists()


def playbook_detail(request, slug: str):
    playbook = get_object_or_404(Playbook.objects.select_related("owner_team").prefetch_related("supporting_teams"), slug=slug)
    report = selectors.play_report(playbook=playbook)
    timeline = selectors.playbook_timeline(playbook=playbook)
    try:
        words = signal_text(signal_validate(playbook.signal))
    except Exception:  # an invalid signal is shown as such, not a 500
        words = ""
    return render(request, "playbooks/playbook_detail.html", {
        "playbook": playbook,
        "steps": playbook.steps.all(),
        "report": report,
        "chart": timeline_svg(points=timeline),
        "timeline": timeline,
        "runs": selectors.playbook_runs(playbook=playbook, limit=15),
        "signal_words": words,
        "can_run": is_revops_admin(request.user),
        "open_plays": selectors.inbox_plays(user=request.user, scope="all" if is_revops_admin(request.user) else "mine",
                                            playbook=playbook)[:10],
        "history_entries": history.entries(history.playbook_sources(playbook.pk), limit=30),
        "admin_history_url": (reverse("admin:playbooks_playbook_history", args=[playbook.pk])
                              if is_revops_admin(request.user) else ""),
        "active_nav": "playbooks",
    })


@require_POST
def playbook_run(request, slug: str):
    playbook = get_object_or_404(Playbook, slug=slug)
    if not is_revops_admin(request.user):
        raise PermissionDenied("Only RevOps admins can run a playbook.")
    try:
        run = playbook_run_request(playbook=playbook, trigger=PlaybookRun.Trigger.MANUAL, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("playbooks:playbook_detail", slug=slug)
    messages.success(request, f"{playbook.name}: run started.")
    return redirect("playbooks:run_detail", pk=run.pk)


def run_detail(request, pk: int):
    run = get_object_or_404(PlaybookRun.objects.select_related("playbook", "created_by"), pk=pk)
    plays = (run.plays.select_related("company", "assignee").order_by("-value", "id"))
    return render(request, "playbooks/run_detail.html", {
        "run": run,
        "report": selectors.run_report(run=run),
        "plays": plays[:100],
        "play_count": run.new_plays,
        "signal_words": signal_text(run.signal) if run.signal else "",
        "active_nav": "playbooks",
    })


def _in_scope(user, play_id: int) -> bool:
    """A play is reachable by id from the teams of its assignee and of its account's owner (an
    unassigned play also from its playbook's team): the user's own team and the teams they manage.
    Another team's play is 404, so ids cannot be probed."""
    if is_revops_admin(user):
        return True
    teams = set(Team.objects.filter(manager=user).values_list("id", flat=True))
    teams |= set(Profile.objects.filter(user=user, team__isnull=False).values_list("team_id", flat=True))
    return Play.objects.filter(
        Q(assignee=user) | Q(assignee__profile__team_id__in=teams) | Q(company__owner__profile__team_id__in=teams)
        | Q(assignee__isnull=True, playbook__owner_team_id__in=teams),
        pk=play_id,
    ).exists()


def _play_or_404(request, pk: int) -> Play:
    if not _in_scope(request.user, pk):
        raise Http404("No such play.")
    try:
        play = selectors.play_get(pk=pk)
    except Play.DoesNotExist:
        raise Http404("No such play.") from None
    return play


def play_detail(request, pk: int):
    play = _play_or_404(request, pk)
    opportunities = []
    from forecasting.models import Opportunity

    opportunities = Opportunity.objects.filter(company=play.company).order_by("-created_at")[:20]
    return render(request, "playbooks/play_detail.html", {
        "play": play,
        "can_work": can_work_play(request.user, play),
        "opportunities": opportunities,
        "active_nav": "playbooks",
        "today": date.today(),
    })


def _card_response(request, play_id: int, *, error: str | None = None):
    play = selectors.play_get(pk=play_id)
    return render(request, "playbooks/_play_card.html", {
        "play": play, "can_work": can_work_play(request.user, play), "error": error, "today": date.today(),
        "show_assignee": request.POST.get("show_assignee") == "1",
    })


def _amount(raw: str | None) -> Decimal | None:
    if not raw:
        return None
    try:
        return Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise ApplicationError("The amount must be a number.") from None


@require_POST
def play_status(request, pk: int):
    play = _play_or_404(request, pk)
    action = request.POST.get("action", "")
    error = None
    try:
        if action == "convert_new":
            close = date.fromisoformat(request.POST.get("close_date") or "")
            amount = _amount(request.POST.get("amount"))
            if amount is None:
                raise ApplicationError("Enter the opportunity amount.")
            play_convert_new_opportunity(play=play, by=request.user, name=request.POST.get("name", ""), amount=amount,
                                         close_date=close)
        else:
            opportunity = None
            if request.POST.get("opportunity"):
                from forecasting.models import Opportunity

                opportunity = Opportunity.objects.filter(pk=request.POST["opportunity"]).first()
            play_set_status(play=play, by=request.user, action=action, reason=request.POST.get("reason", ""),
                            amount=_amount(request.POST.get("amount")), opportunity=opportunity)
    except ApplicationError as exc:
        error = exc.message
    except ValueError:
        error = "Enter the close date as YYYY-MM-DD."
    if request.htmx:
        return _card_response(request, pk, error=error)
    if error:
        messages.error(request, error)
    return _back(request, reverse("playbooks:play_detail", args=[pk]))


@require_POST
def play_step_toggle(request, pk: int, step_id: int):
    if not _in_scope(request.user, pk):
        raise Http404("No such play.")
    step = get_object_or_404(PlayStep, pk=step_id, play_id=pk)
    error = None
    try:
        play_step_set(step=step, by=request.user, done=request.POST.get("done") == "1")
    except ApplicationError as exc:
        error = exc.message
    if request.htmx:
        return _card_response(request, pk, error=error)
    if error:
        messages.error(request, error)
    return _back(request, reverse("playbooks:play_detail", args=[pk]))


@require_POST
def play_notes(request, pk: int):
    play = _play_or_404(request, pk)
    play_notes_update(play=play, by=request.user, notes=request.POST.get("notes", ""))
    messages.success(request, "Notes saved.")
    return redirect("playbooks:play_detail", pk=pk)
