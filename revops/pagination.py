from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
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
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class IdsFirstPagination(StandardPagination):
    """StandardPagination for lists whose rows carry per-row subqueries (see IdsFirstPaginator)."""

    django_paginator_class = IdsFirstPaginator
