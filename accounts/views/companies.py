"""Account pages: the searchable, sortable list, one account's page and its hierarchy tree."""
from dataclasses import dataclass
from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers

from accounts import selectors
from accounts.charts import COMPACT_WIDTH, usage_chart_svg, usage_summary, usage_table_rows
from accounts.models import Company, ResolutionSettings
from accounts.pagination import CompanyPaginator
from accounts.selectors.hierarchy import TreeNode
from revops.roles import is_revops_admin

PAGE_SIZE = 50
USERS_SHOWN = 50
# The filter parameters the page understands; anything else in the URL does not count as "filtered".
FILTER_KEYS = ("q", "tier", "country", "industry", "owner", "is_root", "has_workspaces", "small_deal", "parent")
# A hierarchy up to this size is drawn whole; a bigger one draws the path to the account and
# small branches, and loads every other branch when it is opened.
TREE_INLINE_LIMIT = 150
BRANCH_INLINE_LIMIT = 25


def _wants_results_only(request) -> bool:
    """An htmx request aimed at the results block gets just that block, not the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "results" and not htmx.history_restore_request


def company_list(request):
    settings = ResolutionSettings.load()
    paginator = CompanyPaginator(selectors.company_list(filters=request.GET), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    selectors.company_attach_penetration(page.object_list, settings=settings)  # the page's roll-ups at once
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
        "resolution_settings": settings,
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


@dataclass
class TreeRow:
    """One line of the drawn tree; the template nests them without recursion (trees may be deep)."""

    node: TreeNode
    expanded: bool  # children drawn below it
    open: bool  # drawn open (the way to the account, and the account itself)
    lazy: bool  # children exist but load when opened
    closes: range  # enclosing branches that end after this line
    small_deal: bool


def tree_rows(root: TreeNode, *, settings: ResolutionSettings, include_root: bool = True, draw_all: bool) -> list[TreeRow]:
    """The tree below (and with) `root` in document order."""
    rows: list[TreeRow] = []
    depths: list[int] = []
    stack = [(root, 0)] if include_root else [(child, 1) for child in reversed(root.children)]
    while stack:
        node, depth = stack.pop()
        keep_open = node.is_current or node.on_path or node is root
        expanded = bool(node.children) and (draw_all or keep_open or node.descendant_count <= BRANCH_INLINE_LIMIT)
        rows.append(
            TreeRow(
                node=node,
                expanded=expanded,
                open=expanded and keep_open,
                lazy=bool(node.children) and not expanded,
                closes=range(0),
                small_deal=node.small_deal(settings),
            )
        )
        depths.append(depth)
        if expanded:
            stack.extend((child, depth + 1) for child in reversed(node.children))
    base = depths[0] if depths else 0
    for index, row in enumerate(rows):
        if row.expanded:
            continue  # its branch closes after its last descendant
        following = depths[index + 1] if index + 1 < len(rows) else base
        row.closes = range(depths[index] - following)
    return rows


def company_detail(request, pk: int):
    try:
        company = selectors.company_get(pk=pk)
    except Company.DoesNotExist as exc:
        raise Http404("No account with this id.") from exc
    today = date.today()
    settings = ResolutionSettings.load()
    hierarchy = selectors.company_hierarchy(company=company)
    current = hierarchy.current
    series = selectors.company_monthly_usage(company=company, months=24, today=today)
    users = list(selectors.company_users(company=company)[:USERS_SHOWN])
    context = {
        "company": company,
        "ancestors": hierarchy.ancestors,
        "hierarchy": hierarchy,
        "node": current,
        "group": hierarchy.root,
        "tree": tree_rows(hierarchy.root, settings=settings, draw_all=hierarchy.size <= TREE_INLINE_LIMIT),
        "small_deal": current.small_deal(settings),
        "group_small_deal": hierarchy.root.small_deal(settings),
        "resolution_settings": settings,
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


def company_tree(request, pk: int):
    """The branches below one company of a big hierarchy, loaded when its node is opened."""
    company = get_object_or_404(Company.objects.only("id", "parent_id", "name"), pk=pk)
    settings = ResolutionSettings.load()
    subtree = selectors.company_subtree(company=company)
    rows = tree_rows(subtree, settings=settings, include_root=False, draw_all=False)
    response = render(request, "accounts/_tree_rows.html", {"tree": rows})
    patch_vary_headers(response, ("HX-Request",))
    return response


def company_history(request, pk: int):
    """Who changed the account, its domains and stakeholders, and the match decisions touching it."""
    from django.urls import reverse

    from revops import history
    from revops.views import render_history

    company = get_object_or_404(Company.objects.only("id", "name"), pk=pk)
    return render_history(
        request,
        sources=history.company_sources(company.pk),
        title=f"{company.name} — history",
        back_url=reverse("accounts:company_detail", args=[company.pk]),
        back_label=company.name,
        admin_history_url=reverse("admin:accounts_company_history", args=[company.pk]),
    )
