"""Account pages: the searchable, sortable list and one account's page."""
from datetime import date

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accounts import selectors
from accounts.charts import COMPACT_WIDTH, usage_chart_svg, usage_summary, usage_table_rows
from accounts.models import Company
from revops.roles import is_revops_admin

PAGE_SIZE = 50
USERS_SHOWN = 50
# The filter parameters the page understands; anything else in the URL does not count as "filtered".
FILTER_KEYS = ("q", "tier", "country", "industry", "owner", "is_root", "has_workspaces", "parent")


def _wants_results_only(request) -> bool:
    """An htmx request aimed at the results block gets just that block, not the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "results" and not htmx.history_restore_request


def company_list(request):
    companies = selectors.company_list(filters=request.GET)
    paginator = Paginator(companies, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    active_filters = {key: request.GET[key] for key in FILTER_KEYS if request.GET.get(key, "").strip()}
    context = {
        "page": page,
        "companies": page.object_list,
        "paginator": paginator,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filtered": bool(active_filters),
        "query": request.GET.get("q", "").strip(),
        "sort": request.GET.get("sort", ""),
        "can_import": is_revops_admin(request.user),
    }
    if _wants_results_only(request):
        response = render(request, "accounts/_company_results.html", {**context, "partial": True})
    else:
        context.update(
            {
                "options": selectors.company_filter_options(),
                "tiers": [choice for choice in Company.Tier.choices if choice[0]],
                "params": request.GET,
            }
        )
        response = render(request, "accounts/company_list.html", context)
    # The same URL answers with the page or the fragment; caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def company_detail(request, pk: int):
    try:
        company = selectors.company_get(pk=pk)
    except Company.DoesNotExist as exc:
        raise Http404("No account with this id.") from exc
    today = date.today()
    series = selectors.company_monthly_usage(company=company, months=24, today=today)
    users = list(selectors.company_users(company=company)[:USERS_SHOWN])
    context = {
        "company": company,
        "ancestors": selectors.company_ancestors(company=company),
        "children": list(selectors.company_children(company=company)),
        "domains": list(company.domains.all()),
        "workspaces": list(selectors.company_workspaces(company=company)),
        "users": users,
        "users_hidden": max(0, company.user_count - len(users)),
        "chart": usage_chart_svg(series=series, today=today, css_class="chart-wide"),
        # Phones get a narrower drawing, so the labels stay legible when it is scaled down.
        "chart_compact": usage_chart_svg(
            series=series,
            today=today,
            width=COMPACT_WIDTH,
            chart_id="usage-compact",
            css_class="chart-compact",
        ),
        "usage_summary": usage_summary(series, today=today),
        "usage_rows": usage_table_rows(series),
        "can_admin": is_revops_admin(request.user),
    }
    return render(request, "accounts/company_detail.html", context)
