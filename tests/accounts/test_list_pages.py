"""The account list's pages (revops.pagination.IdsFirstPaginator: a page's ids first, then the figures
of those rows): every account once, in sort order across pages, with the figures of the page's rows."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CompanyFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

LIST = "/accounts/"


@pytest.fixture
def companies():
    made = []
    for i in range(120):
        company = CompanyFactory(name=f"Co {i % 7} {i:03d}", potential_arr=Decimal(1000 * (i % 5)))
        if i % 3:  # ties on ARR (three MRR values) and accounts without workspaces
            WorkspaceFactory(company=company, mrr=Decimal(100 * (i % 3)), seats=i)
        made.append(company)
    return made


@pytest.mark.parametrize("sort", ["", "-arr", "potential", "-name"])
def test_pages_list_every_account_once_in_sort_order(rep_client, companies, sort):
    seen = []
    for page in (1, 2, 3):
        response = rep_client.get(LIST, {"sort": sort, "page": page} if sort else {"page": page})
        assert response.status_code == 200
        seen += list(response.context["companies"])
    assert sorted(c.pk for c in seen) == sorted(c.pk for c in companies)  # none twice, none missing
    arr = {c.pk: c.arr for c in seen}
    key = {
        "": lambda c: (c.name, c.pk),
        "-arr": lambda c: (-arr[c.pk], c.pk),
        "potential": lambda c: (c.potential_arr, c.pk),
        "-name": lambda c: (tuple(-ord(ch) for ch in c.name), c.pk),
    }[sort]
    assert [c.pk for c in seen] == [c.pk for c in sorted(seen, key=key)]


def test_rows_carry_their_own_figures(rep_client, companies):
    rows = {c.pk: c for c in rep_client.get(LIST, {"sort": "-arr"}).context["companies"]}
    for company in companies:
        if company.pk in rows:
            mrr = Decimal(100 * (companies.index(company) % 3)) if companies.index(company) % 3 else Decimal(0)
            assert rows[company.pk].arr == mrr * 12
            assert rows[company.pk].workspace_count == (1 if companies.index(company) % 3 else 0)


def test_a_later_page_runs_the_same_queries_as_the_first(rep_client, companies):
    rep_client.get(LIST)  # the first request of a session loads what later ones find in place
    counts = []
    for page in (1, 3):
        with CaptureQueriesContext(connection) as ctx:
            assert rep_client.get(LIST, {"page": page}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_api_pages_fetch_ids_first_and_list_every_company_once_with_its_figures(rep_client, companies):
    """GET /api/v1/companies/ pages the same way (revops.pagination.IdsFirstPaginator)."""
    seen, counts = [], []
    for page in (1, 2, 3, 4):
        with CaptureQueriesContext(connection) as ctx:
            response = rep_client.get("/api/v1/companies/", {"sort": "-arr", "page": page, "page_size": 40})
        if page == 4:
            assert response.status_code == 404
            break
        assert response.status_code == 200 and response.json()["count"] == 120
        counts.append(len(ctx.captured_queries))
        statements = [q["sql"] for q in ctx.captured_queries]
        seen += response.json()["results"]
    assert sorted(row["id"] for row in seen) == sorted(c.pk for c in companies)
    assert [(-Decimal(r["arr"]), r["id"]) for r in seen] == sorted((-Decimal(r["arr"]), r["id"]) for r in seen)
    by_pk = {c.pk: i for i, c in enumerate(companies)}
    for row in seen:
        i = by_pk[row["id"]]
        assert Decimal(row["arr"]) == (Decimal(100 * (i % 3)) * 12 if i % 3 else 0)
        assert row["workspace_count"] == (1 if i % 3 else 0)
    # page 3 lies past the 80 companies with ARR: it counts them and reads the others by id (two more
    # statements, however deep the page)
    assert counts[2] - counts[1] == 2
    # ids first: the statement with the OFFSET selects the ids alone (the figures only where the sort needs them)
    offsets = [sql for sql in statements if "OFFSET" in sql]
    assert len(offsets) == 1 and offsets[0].startswith('SELECT "accounts_company"."id" AS "pk" FROM'), offsets


def test_filter_dropdowns_offer_each_country_and_industry_once_sorted(rep_client):
    for country, industry in (("DE", "Retail"), ("US", ""), ("DE", "Banking"), ("", "Retail"), ("AT", "Zoos")):
        CompanyFactory(country=country, industry=industry)
    options = rep_client.get(LIST).context["options"]
    assert options["countries"] == ["AT", "DE", "US"]
    assert options["industries"] == ["Banking", "Retail", "Zoos"]
    html = rep_client.get(LIST).content.decode()
    assert html.count('<option value="DE"') == 1 and '<option value="Zoos"' in html


def test_sorted_by_arr_a_page_walks_the_figures_in_order_and_matches_the_plain_sort(rep_client, companies):
    """?sort=-arr reads a page's ids through the figures' (mrr DESC, company) index, not by sorting every
    company; a page across the last company with ARR, filtered or not, lists exactly what the plain sort
    would."""
    from accounts import selectors

    with CaptureQueriesContext(connection) as ctx:
        assert rep_client.get(LIST, {"sort": "-arr"}).status_code == 200
    ids_query = next(q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "accounts_company"."id" AS "pk"'))
    assert 'INNER JOIN "accounts_companyfigures"' in ids_query
    assert 'ORDER BY "accounts_companyfigures"."mrr" DESC' in ids_query

    for filters in ({"sort": "-arr"}, {"sort": "-arr", "q": "Co 3"}, {"sort": "-arr", "is_root": "true"}):
        qs = selectors.company_list(filters=filters)
        assert selectors.orders_by_arr_descending(qs)
        total = qs.count()
        plain = list(qs.values_list("pk", flat=True))
        for bottom in range(0, total + 7, 7):
            assert selectors.company_ids_by_arr(qs, bottom, bottom + 7) == plain[bottom:bottom + 7], (filters, bottom)
    for other in ({"sort": "arr"}, {"sort": "-potential"}, {}):
        assert not selectors.orders_by_arr_descending(selectors.company_list(filters=other))
