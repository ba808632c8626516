from django.core.paginator import Paginator
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class PageSizeMixin:
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        """The requested page size (at most ``max_page_size``); a value that is not a positive whole number (or
        is sent twice) is refused with a 400 naming ``page_size`` instead of being ignored."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        raw = values[-1]
        if len(values) > 1 or not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number of 1 or more."]})
        return min(int(raw), self.max_page_size)


class StandardPagination(PageSizeMixin, PageNumberPagination):
    """Numbered pages with the total `count`."""


class CursorPages(PageSizeMixin, CursorPagination):
    """Pages by an opaque cursor (`next` / `previous` links) and no total count, for the large lists that
    grow with the reps' work. Pages stay consistent while rows are added: a row created between two
    requests does not push a row of page 1 onto page 2 (numbered pages would show it twice), and no
    request counts the whole table. The first ``ordering`` field is the cursor's position (DRF); later
    fields order rows that share it."""

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: ["Not a cursor this list gave out: follow `next` or "
                                                             "`previous` as they are."]}) from None


class FeedPagination(CursorPages):
    """Newest first, for append-only logs such as the interactions: an exact COUNT of 1.2 M interactions
    cost 35–65 ms on every page, the largest part of the list's time. A narrower list (?company=,
    ?logged_by=, ?since= …) pages the same way.
    """

    ordering = ("-occurred_at", "-id")


class AccountGroupedPagination(CursorPages):
    """By account, then key rank (``key_order``: the view's annotation, unranked last), name and id: the
    stakeholders, grouped as on the account pages. An exact COUNT of ~570,000 stakeholders cost
    30–40 ms on every page, half the list's time."""

    ordering = ("company_id", "key_order", "name", "id")


class IdsFirstPaginator(Paginator):
    """Fetches a page's primary keys first (filters and sort alone), then those rows with everything the
    queryset annotates and prefetches.

    PostgreSQL evaluates the select list's correlated subqueries (a company's MRR, seats, users …) for
    every row an OFFSET skips as well: page 50 of the companies computed 2,500 rows' figures to send 50,
    and the ids alone skip the joins of select_related. Sorting by a figure still computes it for every
    row; that is what the sort asks for. The queryset's ordering must end with a unique column (the
    account list and the viewsets order by …, "id"). Used by the account list page and the API.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.page_ids(bottom, top)
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)

    def page_ids(self, bottom: int, top: int) -> list:
        """The primary keys of the rows from ``bottom`` to ``top`` in the list's order (a subclass may
        know a cheaper way to the same ids)."""
        return list(self.object_list.values_list("pk", flat=True)[bottom:top])


class IdsFirstPagination(StandardPagination):
    """StandardPagination for lists whose rows carry per-row subqueries (see IdsFirstPaginator)."""

    django_paginator_class = IdsFirstPaginator
