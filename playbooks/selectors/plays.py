"""Reads of plays: the rep inbox, a manager's team, an account's open plays."""
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When

from playbooks.models import Play, Playbook, PlaybookRun, PlayStep
from revops.roles import is_revops_admin, managed_team_ids

SCOPES = {"mine": "My plays", "team": "My team's plays", "all": "All plays"}


def inbox_scopes(user) -> list[str]:
    scopes = ["mine"]
    if managed_team_ids(user):
        scopes.append("team")
    if is_revops_admin(user):
        scopes.append("all")
    return scopes


def _with_details(qs: QuerySet[Play]) -> QuerySet[Play]:
    steps = PlayStep.objects.select_related("step").order_by("position", "id")
    return qs.select_related(
        "company", "company__owner", "playbook", "assignee", "assignee__profile", "opportunity"
    ).prefetch_related(Prefetch("steps", queryset=steps)).annotate(
        steps_total=Count("steps", distinct=True),
        steps_done=Count("steps", filter=Q(steps__done_at__isnull=False), distinct=True),
    )


def plays_visible_to(user, *, scope: str = "mine") -> QuerySet[Play]:
    """Plays the user sees in ``scope``: their own; their teams' (a manager: plays assigned to team
    members, and unassigned plays of the team's playbooks or accounts); every play (a RevOps admin)."""
    qs = Play.objects.all()
    if scope == "all" and is_revops_admin(user):
        return qs
    if scope == "team":
        teams = managed_team_ids(user)
        if teams:
            return qs.filter(
                Q(assignee__profile__team_id__in=teams)
                | Q(assignee__isnull=True) & (Q(playbook__owner_team_id__in=teams)
                                              | Q(company__owner__profile__team_id__in=teams))
            )
    return qs.filter(assignee=user)


def inbox_plays(*, user, scope: str = "mine", playbook: Playbook | None = None, status: str | None = None,
                assignee_id: int | None = None) -> QuerySet[Play]:
    """Open plays (open and in progress) the user sees, most valuable first, with steps prefetched."""
    qs = plays_visible_to(user, scope=scope).filter(status__in=Play.OPEN_STATES)
    if playbook is not None:
        qs = qs.filter(playbook=playbook)
    if status in Play.OPEN_STATES:
        qs = qs.filter(status=status)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id or None)
    return _with_details(qs).order_by("-value", "surfaced_at", "id")


def play_get(*, pk: int) -> Play:
    return _with_details(Play.objects.all()).select_related("run", "closed_by").get(pk=pk)


def open_plays_by_company(company_ids: Iterable[int]) -> dict[int, list[Play]]:
    """Open plays per company, most valuable first (one query) — for the weekly review's plays column."""
    ids = list(company_ids)
    result: dict[int, list[Play]] = defaultdict(list)
    if not ids:
        return {}
    plays = (
        Play.objects.filter(company_id__in=ids, status__in=Play.OPEN_STATES)
        .select_related("playbook", "assignee")
        # what the column shows: not the plays' and playbooks' JSON (signals, KPIs, personas, why),
        # which was decoded ~70 times a review page
        .only("id", "company_id", "status", "value", "surfaced_at", "playbook__id", "playbook__name",
              "assignee__id", "assignee__username", "assignee__first_name", "assignee__last_name")
        .order_by("company_id", "-value", "surfaced_at")
    )
    for play in plays:
        result[play.company_id].append(play)
    return dict(result)


def company_plays(*, company, recent_closed: int = 3, limit: int = 50) -> tuple[list[Play], list[Play]]:
    """The account page's panel: open plays (with step progress) and the latest closed ones — one query."""
    plays = list(
        Play.objects.filter(company=company).select_related("playbook", "assignee", "opportunity")
        .annotate(
            steps_total=Count("steps", distinct=True),
            steps_done=Count("steps", filter=Q(steps__done_at__isnull=False), distinct=True),
            closed_last=Case(When(status__in=Play.OPEN_STATES, then=Value(0)), default=Value(1)),
        )
        .order_by("closed_last", "-value", "-closed_at", "-id")[:limit]
    )
    open_plays = [p for p in plays if p.status in Play.OPEN_STATES]
    closed = sorted((p for p in plays if p.status in Play.CLOSED_STATES), key=lambda p: p.closed_at, reverse=True)
    return open_plays, closed[:recent_closed]


def playbook_runs(*, playbook: Playbook, limit: int = 20) -> QuerySet[PlaybookRun]:
    return playbook.runs.select_related("created_by").order_by("-created_at", "-id")[:limit]
