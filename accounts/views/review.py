"""The review queue page: decide the matches account resolution was unsure about.

Every logged-in user may look; RevOps admins and managers decide (see
accounts.services.review.can_decide_matches) — a POST from anyone else is refused with 403.
Decisions work with htmx (the row is swapped in place, the tab counts follow) and without
JavaScript (plain form POST, redirect back to the same filtered page with a message).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company, MatchFields
from accounts.services import review as services

PAGE_SIZE = 25
FILTER_KEYS = ("q", "method", "confidence_min", "confidence_max", "company")
CONFIDENCE_MIN_OPTIONS = (("0.9", "90%"), ("0.8", "80%"), ("0.7", "70%"), ("0.6", "60%"), ("0.5", "50%"))
CONFIDENCE_MAX_OPTIONS = (("0.9", "90%"), ("0.8", "80%"), ("0.7", "70%"), ("0.6", "60%"))
ACTIONS = {"confirm": "Confirmed", "reject": "Rejected", "reassign": "Reassigned"}
NOUNS = {"workspaces": ("workspace", "workspaces"), "users": ("user", "users")}


def _kind(params: QueryDict, counts: dict[str, int]) -> str:
    kind = params.get("kind", "")
    if kind in services.KINDS:
        return kind
    # Open on the tab that has work waiting.
    return "users" if counts["workspaces"] == 0 and counts["users"] else "workspaces"


def _filters(params: QueryDict) -> dict[str, str]:
    return {key: params[key].strip() for key in FILTER_KEYS if params.get(key, "").strip()}


def _base_context(request, params: QueryDict) -> dict:
    """What every rendering of the queue needs: kind, filters, counts per tab, links that keep them."""
    filters = _filters(params)
    counts = services.review_counts(filters=filters)
    kind = _kind(params, counts)
    base_query = urlencode({**filters, "kind": kind})
    page_number = params.get("page", "1")
    return {
        "kind": kind,
        "noun": NOUNS[kind],
        "counts": counts,
        "filters": filters,
        "filtered": bool(filters),
        "base_query": base_query,
        "tab_queries": {key: urlencode({**filters, "kind": key}) for key in services.KINDS},
        "next_url": f"{reverse('accounts:review_queue')}?{base_query}"
        + (f"&page={page_number}" if page_number.isdigit() and page_number != "1" else ""),
        "can_decide": services.can_decide_matches(request.user),
    }


def _queue_context(request, params: QueryDict) -> dict:
    context = _base_context(request, params)
    paginator = Paginator(services.review_queue(kind=context["kind"], filters=context["filters"]), PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    proposed = None
    if context["filters"].get("company", "").isdigit():
        proposed = Company.objects.filter(pk=int(context["filters"]["company"])).first()
    other = "users" if context["kind"] == "workspaces" else "workspaces"
    return {
        **context,
        "page": page,
        "rows": page.object_list,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "proposed_company": proposed,
        "other_kind": other,
        "other_count": context["counts"][other],
        "other_noun": NOUNS[other],
        "other_query": context["tab_queries"][other],
    }


def _wants_results_only(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "review-results" and not htmx.history_restore_request


@require_GET
def review_queue(request):
    context = _queue_context(request, request.GET)
    if _wants_results_only(request):
        response = render(request, "accounts/review/_results.html", {**context, "partial": True})
    else:
        context.update(
            {
                "methods": [choice for choice in MatchFields.Method.choices if choice[0]],
                "confidence_min_options": CONFIDENCE_MIN_OPTIONS,
                "confidence_max_options": CONFIDENCE_MAX_OPTIONS,
            }
        )
        response = render(request, "accounts/review/queue.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _require_decider(request) -> None:
    if not services.can_decide_matches(request.user):
        raise PermissionDenied("Only RevOps admins and managers can decide matches.")


def _model(kind: str):
    try:
        return services.KINDS[kind]
    except KeyError:
        raise Http404("Unknown kind of record.") from None


def _back(request) -> str:
    """The queue page the form was posted from (same filters and page), or the bare queue."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("accounts:review_queue")


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_POST
def review_decide(request, kind: str, pk: int, action: str):
    """Confirm, reject or reassign one record. htmx gets the re-rendered row; a plain POST a redirect."""
    _require_decider(request)
    if action not in ACTIONS:
        raise Http404("Unknown action.")
    record = get_object_or_404(_model(kind), pk=pk)
    error = ""
    try:
        if action == "confirm":
            services.match_confirm(record=record, by=request.user)
        elif action == "reject":
            services.match_reject(record=record, by=request.user)
        else:
            services.match_reassign(record=record, company=_chosen_company(request), by=request.user)
    except ValidationError as exc:
        error = _error_text(exc)

    if request.htmx:
        context = _base_context(request, request.POST)
        context.update(
            {"kind": kind, "row": services.review_record_get(kind=kind, pk=pk), "row_error": error, "oob_counts": True}
        )
        return render(request, "accounts/review/_row.html", context)
    if error:
        messages.error(request, f"{record}: {error}")
    else:
        messages.success(request, f"{ACTIONS[action]}: {record}.")
    return redirect(_back(request))


def _chosen_company(request) -> Company:
    """The company picked in the reassign box; without JavaScript, the one company the typed text finds."""
    value = request.POST.get("company", "").strip()
    if not value:
        query = request.POST.get("company_q", "").strip()
        found = services.company_search(query=query, limit=2) if query else []
        if len(found) == 1:
            return found[0]
        if found:
            raise ValidationError({"company": f"Several companies match “{query}”; type more of the name."})
        if query:
            raise ValidationError({"company": f"No company matches “{query}”."})
        raise ValidationError({"company": "Pick the company to assign."})
    if not value.isdigit():
        raise ValidationError({"company": f"“{value}” is not a company id."})
    company = Company.objects.filter(pk=int(value)).first()
    if company is None:
        raise ValidationError({"company": f"No company with id {value}."})
    return company


@require_POST
def review_bulk(request):
    """Confirm or reject the selected rows of one kind in one go."""
    _require_decider(request)
    kind, action = request.POST.get("kind", ""), request.POST.get("action", "")
    model = _model(kind)
    ids = [value for value in request.POST.getlist("ids") if value.isdigit()]
    notice, level = "", "success"
    if action not in ("confirm", "reject"):
        notice, level = "Choose confirm or reject.", "error"
    elif not ids:
        notice, level = "Select at least one row first.", "warning"
    else:
        bulk = services.match_bulk_confirm if action == "confirm" else services.match_bulk_reject
        try:
            outcome = bulk(model=model, ids=ids, by=request.user)
        except ValidationError as exc:
            notice, level = _error_text(exc), "error"
        else:
            singular, plural = NOUNS[kind]
            done = len(outcome.decided)
            notice = f"{ACTIONS[action]} {done} {singular if done == 1 else plural}."
            if outcome.skipped:
                notice += f" {len(outcome.skipped)} skipped: already decided elsewhere or nothing proposed."
                level = "warning" if done else "error"

    if request.htmx:
        context = _queue_context(request, request.POST)
        context.update({"partial": True, "notice": notice, "notice_level": level})
        return render(request, "accounts/review/_results.html", context)
    getattr(messages, level)(request, notice)
    return redirect(_back(request))


@require_GET
def review_company_search(request):
    """Search-as-you-type over companies (name, domain, exact external id) for the reassign box."""
    query = request.GET.get("company_q", "")
    companies = services.company_search(query=query)
    return render(
        request,
        "accounts/review/_company_options.html",
        {"companies": companies, "query": query.strip(), "too_short": len(query.strip()) < 2},
    )
