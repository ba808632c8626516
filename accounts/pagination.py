"""The company lists' pages (the account list page and GET /api/v1/companies/)."""
from accounts.selectors import company_ids_by_arr, orders_by_arr_descending
from revops.pagination import IdsFirstPagination, IdsFirstPaginator


class CompanyPaginator(IdsFirstPaginator):
    """Ids first (IdsFirstPaginator); sorted by ARR, biggest first, through the figures' index."""

    def page_ids(self, bottom: int, top: int) -> list:
        if orders_by_arr_descending(self.object_list):
            return company_ids_by_arr(self.object_list, bottom, top)
        return super().page_ids(bottom, top)


class CompanyPagination(IdsFirstPagination):
    django_paginator_class = CompanyPaginator
