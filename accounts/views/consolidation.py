"""The consolidation candidates page and its CSV download."""
import csv
from datetime import date

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accounts.models import Company, ResolutionSettings
from accounts.selectors.consolidation import (
    BAND_LABELS,
    GENEROUS_SAVING_SHARE,
    ConsolidationFilterForm,
    ConsolidationFilters,
    consolidation_candidates,
)
from accounts.services.consolidation import HEADER, consolidation_rows
from accounts.services.exports import format_value
from revops.errors import ApplicationError

PAGE_SIZE = 25
FILTER_KEYS = ("q", "more_than_typical", "owner", "tier", "min_workspaces")


def _filters(request) -> tuple[ConsolidationFilterForm, ConsolidationFilters]:
    """Valid parameters apply; an invalid one is shown next to its field and ignored."""
    form = ConsolidationFilterForm(request.GET)
    form.is_valid()
    return form, ConsolidationFilters.from_form(form)


def consolidation_list(request):
    form, filters = _filters(request)
    settings = ResolutionSettings.load()
    context = {
        "form": form,
        "params": request.GET,
        "sort": filters.sort,
        "filtered": any(request.GET.get(key, "").strip() for key in FILTER_KEYS),
        "percentile": settings.consolidation_percentile,
        "generous_share": GENEROUS_SAVING_SHARE,
        "band_labels": BAND_LABELS,
    }
    try:
        candidates = consolidation_candidates(filters=filters, settings=settings)
    except ApplicationError as exc:
        context["price_book_error"] = exc.message
    else:
        try:
            wanted = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            wanted = 1
        candidates.prefetch(offset=(wanted - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        paginator = Paginator(candidates, PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        context.update(
            {
                "page": page,
                "candidates": list(page.object_list),
                "paginator": paginator,
                "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
                "summary": candidates.summary(),
                "bands": sorted(candidates.bands.values(), key=lambda b: list(BAND_LABELS).index(b.band)),
                "price_book": candidates.price_book,
            }
        )
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == "results" and not htmx.history_restore_request:
        response = render(request, "accounts/consolidation/_results.html", {**context, "partial": True})
    else:
        context.update(
            {
                "owners": get_user_model()
                .objects.filter(owned_companies__parent__isnull=True)
                .distinct()
                .order_by("first_name", "last_name", "username"),
                "tiers": [choice for choice in Company.Tier.choices if choice[0]],
            }
        )
        response = render(request, "accounts/consolidation/list.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def consolidation_export(request):
    """The candidates matching the page's filters as CSV, streamed (the `export_data` columns)."""
    _, filters = _filters(request)

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(HEADER)
        for row in consolidation_rows(filters=filters):
            yield writer.writerow([format_value(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="consolidation-{date.today():%Y-%m-%d}.csv"'
    return response
