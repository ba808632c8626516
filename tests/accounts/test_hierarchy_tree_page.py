"""The account page's hierarchy tree and roll-up cards, through real URLs."""
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ResolutionSettings
from tests.accounts.hierarchy_data import build_chain, build_group
from tests.accounts.test_pages_companies import ACCOUNT_PAGE_QUERIES
from tests.factories import CompanyFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def resolution_settings():
    return ResolutionSettings.load()  # the row exists in a running installation


def tree_html(content: str) -> str:
    start = content.index('<ul class="tree">')
    return content[start : content.index("</section>", start)]


def test_tree_shows_the_whole_group_from_the_ultimate_parent_with_the_account_highlighted(rep_client):
    group = build_group()
    content = rep_client.get(f"/accounts/{group['uk'].pk}/").content.decode()
    tree = tree_html(content)

    assert 'Group hierarchy <span class="count">5 companies</span>' in content
    assert '<strong class="tree-current" aria-current="page">UK</strong>' in tree
    for name in ("Holdings", "Europe", "DE", "Americas"):
        assert f'href="/accounts/{group[name.lower()].pk}/">{name}</a>' in tree
    # Document order: parent before children, siblings by name.
    order = [tree.index(f">{name}<") for name in ("Holdings", "Americas", "Europe", "DE", "UK")]
    assert order == sorted(order)
    # The way to the account is open; the branch of the account is marked.
    assert tree.count("<details") == 2 and tree.count("<details class=\"tree-branch\" open>") == 2
    assert 'class="tree-item is-current"' in tree
    # Own and rolled-up figures: Holdings owns $1,200 ARR and $46,200 with its subsidiaries.
    holdings_line = tree[tree.index(">Holdings<") : tree.index(">Americas<")]
    assert "$1,200" in holdings_line and "$46,200" in holdings_line and "(1 own)" in holdings_line


def test_root_page_lists_subsidiaries_and_rolled_up_cards(rep_client):
    group = build_group()
    content = rep_client.get(f"/accounts/{group['holdings'].pk}/").content.decode()

    assert "<strong>Holdings</strong> and its 4 subsidiaries" in content
    assert 'Subsidiaries <span class="count">4</span>' in content
    cards = content[content.index('id="rollup-heading"') : content.index("on its own")]
    assert "$46,200" in cards and "$1,000,000" in cards and "4.6%" in cards and ">77<" in cards
    assert "3 active in 30 days" in cards
    assert "$954K unclosed" in cards  # 1,000,000 − 46,200


def test_standalone_company_has_no_tree(rep_client):
    company = CompanyFactory(name="Alone")
    content = rep_client.get(f"/accounts/{company.pk}/").content.decode()
    assert '<ul class="tree">' not in content
    assert "Top-level company. No subsidiaries." in content


def test_account_page_query_count_does_not_grow_with_the_tree(rep_client):
    group = build_group()
    url = f"/accounts/{group['uk'].pk}/"
    rep_client.get(url)
    with CaptureQueriesContext(connection) as small:
        rep_client.get(url)
    for i in range(120):
        WorkspaceFactory(company=CompanyFactory(name=f"Sub {i:03d}", parent=group["americas"]), mrr=Decimal("1"))
    with CaptureQueriesContext(connection) as big:
        content = rep_client.get(url).content.decode()
    assert content.count('class="tree-item') == 125
    assert len(big) == len(small)


def test_big_hierarchy_loads_collapsed_branches_when_opened(rep_client):
    group = build_group()
    for i in range(160):  # a big branch beside the account's way up: drawn collapsed, loaded on demand
        CompanyFactory(name=f"Branch {i:03d}", parent=group["americas"])
    url = f"/accounts/{group['uk'].pk}/"
    rep_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        content = rep_client.get(url).content.decode()
    tree = tree_html(content)

    lazy = f'hx-get="/accounts/{group["americas"].pk}/tree/" hx-trigger="toggle once"'
    assert lazy in tree
    assert "Loading 160 companies…" in tree
    assert "Branch 000" not in tree
    assert len(queries) <= ACCOUNT_PAGE_QUERIES

    branch = rep_client.get(f"/accounts/{group['americas'].pk}/tree/", HTTP_HX_REQUEST="true")
    fragment = branch.content.decode()
    assert branch.status_code == 200 and "<html" not in fragment
    assert fragment.count('class="tree-item') == 160
    assert re.search(r'href="/accounts/\d+/">Branch 159</a>', fragment)


def test_tree_fragment_needs_a_login_and_an_existing_company(rep_client):
    company = CompanyFactory()
    assert Client().get(f"/accounts/{company.pk}/tree/").status_code == 302
    assert rep_client.get("/accounts/999999/tree/").status_code == 404


def test_deep_chain_renders_without_recursion_and_breadcrumb_is_one_query(rep_client, django_assert_max_num_queries):
    chain = build_chain(80)
    with django_assert_max_num_queries(ACCOUNT_PAGE_QUERIES):
        content = rep_client.get(f"/accounts/{chain[-1].pk}/").content.decode()
    crumb = content[content.index('class="breadcrumb"') : content.index("</nav>", content.index('class="breadcrumb"'))]
    assert crumb.index(">Level 000<") < crumb.index(">Level 001<") < crumb.index(">Level 078<")
    assert content.count("</ul></details></li>") == 79
