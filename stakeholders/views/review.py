"""The weekly review page: the team's top accounts, their five key stakeholders, coverage flags.

Managers and admins see the session controls; reps see their team's review read-only (they
still log contacts from it). Ranking (which accounts make the top N) and sorting (the order they
are shown in) are separate: sorting never changes which accounts are on the page.
"""
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts.models import Company, Team
from revops.roles import is_manager, is_revops_admin
from revops.timezones import local_today
from stakeholders.models import ReviewSession
from stakeholders.selectors.metrics import FLAGS, FRESH_DAYS, RECENT_DAYS
from stakeholders.selectors.review import (
    DEFAULT_RANKING,
    DEFAULT_TOP_N,
    RANKINGS,
    review_account,
    review_accounts,
    review_summary,
    review_team_for,
    week_start,
)
from stakeholders.services.sessions import can_run_review

TOP_N_CHOICES = (10, 25, 50, 100)
SORTS = {
    "rank": lambda r: r.rank,
    "name": lambda r: r.company.name.lower(),
    "owner": lambda r: (r.company.owner.get_full_name() or r.company.owner.get_username()).lower()
    if r.company.owner else "~",
    "arr": lambda r: r.company.arr or 0,
    "potential": lambda r: r.company.potential_arr or 0,
    "penetration": lambda r: r.company.penetration if r.company.penetration is not None else -1,
    "contact": lambda r: r.last_contacted_at.timestamp() if r.last_contacted_at else float("-inf"),
    "flags": lambda r: (r.flag_count, -r.rank),
}


def _int(value, default=None):
    return int(value) if value and str(value).isdigit() else default


def review_params(request) -> dict:
    params = request.GET
    ranking = params.get("ranking") if params.get("ranking") in RANKINGS else DEFAULT_RANKING
    top_n = _int(params.get("top"), DEFAULT_TOP_N)
    if top_n not in TOP_N_CHOICES:
        top_n = DEFAULT_TOP_N
    sort = params.get("sort") or "rank"
    if sort.lstrip("-") not in SORTS:
        sort = "rank"
    flag = params.get("flag") if params.get("flag") in {key for key, _l, _h in FLAGS} else ""
    return {"ranking": ranking, "top_n": top_n, "sort": sort, "flag": flag, "team_id": _int(params.get("team"))}


def sort_rows(rows: list, sort: str) -> list:
    key = SORTS[sort.lstrip("-")]
    return sorted(rows, key=key, reverse=sort.startswith("-"))


def _teams_to_pick(user) -> list[Team]:
    if is_revops_admin(user):
        return list(Team.objects.select_related("manager").order_by("name"))
    if is_manager(user):
        return list(Team.objects.filter(manager=user).order_by("name"))
    return []


@require_GET
def review_index(request):
    params = review_params(request)
    user = request.user
    team = review_team_for(user, params["team_id"])
    context = {
        "active_nav": "stakeholders",
        "params": params,
        "rankings": RANKINGS,
        "top_n_choices": TOP_N_CHOICES,
        "flags": FLAGS,
        "fresh_days": FRESH_DAYS,
        "recent_days": RECENT_DAYS,
        "team": team,
        "teams": _teams_to_pick(user),
    }
    if team is not None:
        accounts = review_accounts(team=team, ranking=params["ranking"], top_n=params["top_n"], viewer=user)
        prepare_rows(accounts)
        summary = review_summary(team=team, accounts=accounts, viewer=user)
        rows = [a for a in accounts if not params["flag"] or a.flags.get(params["flag"])]
        this_week = week_start(local_today(user))
        can_run = can_run_review(user, team)
        context.update(
            {
                "rows": sort_rows(rows, params["sort"]),
                "account_count": len(accounts),
                "summary": summary,
                "summary_cards": [
                    {"key": key, "label": label, "help": help_text, "count": summary.flag_counts[key],
                     "change": summary.flag_change[key]}
                    for key, label, help_text in FLAGS
                ],
                "fresh_count": sum(
                    1 for a in accounts if any(k.freshness == "fresh" for k in a.key_stakeholders)
                ),
                "can_run": can_run,
                "this_week": this_week,
                "session": ReviewSession.objects.filter(team=team, week_start=this_week).first(),
            }
        )
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "review-results" and not htmx.history_restore_request:
        response = render(request, "stakeholders/_review_results.html", context)
    else:
        response = render(request, "stakeholders/review.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_GET
def review_row(request, company_pk: int):
    """One review row, fresh (to redraw it after something changed elsewhere)."""
    company = get_object_or_404(Company, pk=company_pk)
    rank = _int(request.GET.get("rank"), 0)
    row = review_account(company=company, viewer=request.user, rank=rank)
    prepare_rows([row])
    return render(request, "stakeholders/_review_row.html", {"row": row})


def prepare_rows(rows) -> list:
    """What stakeholders/_review_row.html shows beyond the selector's rows, for every place that draws rows.

    The playbooks column: each account's open plays, most valuable first (one query for all rows).
    The links: a row has ~16 of them (log a contact, with each key stakeholder, the account page),
    built here once per row — as ``{% url %}`` tags they were a quarter of the page's rendering.
    """
    from playbooks.selectors import open_plays_by_company

    plays = open_plays_by_company(row.company.pk for row in rows)
    for row in rows:
        pk = row.company.pk
        row.open_plays = plays.get(pk, [])
        row.company_url = reverse("accounts:company_detail", args=[pk])
        log_url = reverse("stakeholders:interaction_create", args=[pk])
        row.log_url = f"{log_url}?origin=review&rank={row.rank}"
        for person in row.key_stakeholders:
            person.log_url = f"{log_url}?stakeholder={person.id}&origin=review&rank={row.rank}"
    return rows
