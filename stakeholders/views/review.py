"""The weekly review page: the team's top accounts, their five key stakeholders, coverage flags.

Managers and admins see the session controls; reps see their team's review read-only (they
still log contacts from it). Ranking (which accounts make the top N) and sorting (the order they
are shown in) are separate: sorting never changes which accounts are on the page.
"""
import hashlib
import inspect

import django
from django.core.cache import cache
from django.shortcuts import get_object_or_404, render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
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

ROW_TEMPLATE = "stakeholders/_review_row.html"
ROW_CACHE_SECONDS = 60 * 60 * 24
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
        rows = sort_rows([a for a in accounts if not params["flag"] or a.flags.get(params["flag"])], params["sort"])
        this_week = week_start(local_today(user))
        can_run = can_run_review(user, team)
        context.update(
            {
                "rows": rows,
                "row_html": render_rows(rows),
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
                # the button needs the id and status, not the session's snapshot of every row
                "session": ReviewSession.objects.filter(team=team, week_start=this_week).only("id", "status").first(),
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
    return render(request, ROW_TEMPLATE, {"row": row})


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


# --- rendered rows, cached by what they show ----------------------------------------------------------

_row_code_version: str | None = None


def _row_code() -> str:
    """A digest of what draws a row besides its data: the template, the tags it uses, the play links'
    address and Django's version. A deploy that changes any of them draws the rows anew."""
    global _row_code_version
    if _row_code_version is None:
        from revops.templatetags import revops_tags
        from stakeholders.templatetags import stakeholder_tags

        source = get_template(ROW_TEMPLATE).template.source
        source += inspect.getsource(revops_tags) + inspect.getsource(stakeholder_tags)
        source += reverse("playbooks:play_detail", args=[1]) + django.get_version()
        _row_code_version = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    return _row_code_version


def _name_of(user) -> tuple:
    return (user.get_full_name(), user.get_username()) if user is not None else ()


def row_fingerprint(row, *, just_logged: bool = False) -> str:
    """Everything stakeholders/_review_row.html shows for ``row``, as one digest.

    Two rows with the same fingerprint render byte for byte the same: the digest holds each value the
    template reads (the company, its owner's name, the figures, flags, action items, plays, the five
    people with their notes and links), the rank, the viewer's time zone and today's date there (the
    "days ago" labels), the language and the code that draws it.
    """
    company = row.company
    parts = (
        _row_code(), translation.get_language(), timezone.get_current_timezone_name(), timezone.localdate(),
        just_logged, row.rank, row.company_url, row.log_url,
        company.pk, company.name, _name_of(company.owner), company.arr, company.potential_arr, company.penetration,
        row.known_stakeholders, row.last_contacted_at, tuple(row.flags.items()),
        tuple((item.description, item.due_date) for item in row.open_action_items),
        tuple((play.pk, play.playbook.name, play.status, _name_of(play.assignee)) for play in row.open_plays),
        tuple(
            (k.id, k.name, k.title, k.role, k.role_label, k.days_since, k.freshness, k.contact_note, k.log_url)
            for k in row.key_stakeholders
        ),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def render_rows(rows: list, *, just_logged: bool = False) -> list[str]:
    """The review's rows as HTML, each drawn once per content and kept in the cache.

    A team's review is opened again and again in a week (the manager, each rep, the next meeting) and
    its rows change only when someone logs a contact or the figures move: drawing 25 rows with five
    people each was half the page's time. A row's key is its fingerprint, so a changed row is a new
    key and never shows stale; old keys expire after a day.
    """
    keys = [f"review-row:{row_fingerprint(row, just_logged=just_logged)}" for row in rows]
    cached = cache.get_many(keys) if keys else {}
    template = get_template(ROW_TEMPLATE)
    drawn, fresh = [], {}
    for key, row in zip(keys, rows):
        html = cached.get(key)
        if html is None:
            html = fresh[key] = str(template.render({"row": row, "just_logged": just_logged}))
        drawn.append(mark_safe(html))
    if fresh:
        cache.set_many(fresh, ROW_CACHE_SECONDS)
    return drawn
