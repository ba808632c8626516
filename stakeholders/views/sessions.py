"""Review sessions: start this week's, take notes and action items per account (htmx, inline),
tick last week's items, history per team, print view and CSV export.

Anyone who may see the team's review may read its sessions; the team's manager and admins run
them (the services refuse everyone else with PermissionDenied → 403). An action item's assignee
may tick it.
"""
import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company
from revops.errors import ApplicationError
from revops.timezones import local_today
from stakeholders.forms import ActionItemForm, ActionItemStatusForm, SessionNoteForm, apply_service_errors
from stakeholders.models import ActionItem, ReviewSession
from stakeholders.selectors.metrics import FLAGS
from stakeholders.selectors.review import RANKINGS, review_team_for
from stakeholders.selectors.sessions import session_csv_rows, session_detail, team_sessions
from stakeholders.services import sessions as services

from .common import team_people
from .review import DEFAULT_RANKING, DEFAULT_TOP_N, _int, _teams_to_pick


def _visible_session(request, pk: int) -> ReviewSession:
    session = get_object_or_404(ReviewSession.objects.select_related("team", "team__manager", "started_by"), pk=pk)
    if review_team_for(request.user, session.team_id) is None:
        raise Http404("No such review session.")  # another team's: 404, so ids cannot be probed
    return session


@require_POST
def session_start(request):
    team = review_team_for(request.user, _int(request.POST.get("team")))
    if team is None:
        raise PermissionDenied("You may not run this team's review.")
    ranking = request.POST.get("ranking") if request.POST.get("ranking") in RANKINGS else DEFAULT_RANKING
    top_n = _int(request.POST.get("top"), DEFAULT_TOP_N)
    try:
        session = services.review_session_start(team=team, by=request.user, ranking=ranking, top_n=top_n)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("stakeholders:index"))
    return redirect(reverse("stakeholders:session_detail", args=[session.pk]))


@require_GET
def session_list(request):
    team = review_team_for(request.user, _int(request.GET.get("team")))
    sessions = list(team_sessions(team=team)) if team is not None else []
    return render(request, "stakeholders/sessions/list.html", {
        "team": team, "sessions": sessions, "teams": _teams_to_pick(request.user), "active_nav": "stakeholders",
        "can_run": team is not None and services.can_run_review(request.user, team),
    })


@require_GET
def session_detail_view(request, pk: int):
    session = _visible_session(request, pk)
    detail = session_detail(session=session)
    can_run = services.can_run_review(request.user, session.team)
    editable = can_run and session.status == ReviewSession.Status.OPEN
    people = list(team_people(session.team)) if editable else []
    for item in [*detail.carried_over, *detail.extra_items, *(i for r in detail.rows for i in r.action_items)]:
        item.can_tick = can_run or item.assignee_id == request.user.pk
    snapshot = session.snapshot or {}
    return render(request, "stakeholders/sessions/detail.html", {
        "session": session,
        "detail": detail,
        "can_run": can_run,
        "editable": editable,
        "people": people,
        "flags": FLAGS,
        "summary_cards": [
            {"key": key, "label": label, "help": help_text, "count": detail.flag_counts[key],
             "change": detail.flag_change[key]}
            for key, label, help_text in FLAGS
        ],
        "today": local_today(request.user),
        "ranking_label": RANKINGS.get(snapshot.get("ranking") or session.ranking, session.get_ranking_display()),
        "active_nav": "stakeholders",
    })


def _session_company(request, pk: int, company_pk: int) -> tuple[ReviewSession, Company]:
    session = _visible_session(request, pk)
    return session, get_object_or_404(Company, pk=company_pk)


@require_POST
def note_save(request, pk: int, company_pk: int):
    session, company = _session_company(request, pk, company_pk)
    form = SessionNoteForm(request.POST)
    error, note = "", None
    if form.is_valid():
        try:
            note = services.review_note_save(session=session, company=company, notes=form.cleaned_data["notes"],
                                             by=request.user)
        except ApplicationError as exc:
            error = exc.message
    if not getattr(request, "htmx", None):
        if error:
            messages.error(request, error)
        return redirect(reverse("stakeholders:session_detail", args=[session.pk]) + f"#account-{company.pk}")
    return render(request, "stakeholders/sessions/_note_status.html", {"note": note, "error": error})


def _actions_block(request, session: ReviewSession, company: Company, *, form=None, status: int = 200):
    can_run = services.can_run_review(request.user, session.team)
    items = list(ActionItem.objects.filter(session=session, company=company).select_related("assignee")
                 .order_by("due_date", "id"))
    for item in items:
        item.can_tick = can_run or item.assignee_id == request.user.pk
    people = team_people(session.team)
    return render(request, "stakeholders/sessions/_actions.html", {
        "session": session, "company_id": company.pk, "items": items,
        "editable": can_run and session.status == ReviewSession.Status.OPEN,
        "people": people, "form": form or ActionItemForm(people=people), "today": local_today(request.user),
    }, status=status)


@require_POST
def action_create(request, pk: int, company_pk: int):
    session, company = _session_company(request, pk, company_pk)
    people = team_people(session.team)
    form = ActionItemForm(request.POST, people=people)
    if form.is_valid():
        try:
            services.action_item_create(session=session, company=company, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
        else:
            form = None
    if not getattr(request, "htmx", None):
        if form is not None:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect(reverse("stakeholders:session_detail", args=[session.pk]) + f"#account-{company.pk}")
    return _actions_block(request, session, company, form=form)


@require_POST
def action_update(request, pk: int):
    item = get_object_or_404(ActionItem.objects.select_related("session", "session__team", "assignee", "company"),
                             pk=pk)
    if review_team_for(request.user, item.session.team_id) is None and item.assignee_id != request.user.pk:
        raise Http404("No such action item.")  # another team's
    form = ActionItemStatusForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            item = services.action_item_update(item=item, by=request.user, status=form.cleaned_data["status"])
        except ApplicationError as exc:
            error = exc.message
    else:
        error = "Choose open, done or dropped."
    if not getattr(request, "htmx", None):
        if error:
            messages.error(request, error)
        return redirect(reverse("stakeholders:session_detail", args=[item.session_id]))
    can_run = services.can_run_review(request.user, item.session.team)
    item.can_tick = can_run or item.assignee_id == request.user.pk
    return render(request, "stakeholders/sessions/_action_item.html",
                  {"item": item, "error": error, "carried": request.POST.get("carried") == "1",
                   "today": local_today(request.user)})


@require_POST
def session_close(request, pk: int):
    session = _visible_session(request, pk)
    services.review_session_close(session=session, by=request.user, notes=request.POST.get("notes"))
    messages.success(request, f"Closed the review of the week of {session.week_start:%b %-d}.")
    return redirect(reverse("stakeholders:session_detail", args=[session.pk]))


class _Echo:
    def write(self, value):
        return value


@require_GET
def session_export(request, pk: int):
    session = _visible_session(request, pk)
    writer = csv.writer(_Echo())
    body = "".join(writer.writerow(row) for row in session_csv_rows(session=session))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"review-{session.team.name.lower().replace(' ', '-')}-{session.week_start:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
