"""Consolidation in a real browser: log in, open the candidates, expand one, open its account,
expand the hierarchy tree (including a branch loaded on demand)."""
import os

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (creating data) must still be allowed.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from accounts.models import PricePlan, PriceTier, WorkspaceMembership  # noqa: E402
from tests.factories import (  # noqa: E402
    CompanyFactory,
    ProductUserFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"  # the factory's password


@pytest.fixture
def price_book():
    """The book migration 0005 seeds: a transactional test before this one may have flushed it."""
    plan, _ = PricePlan.objects.get_or_create(
        code="enterprise", defaults={"name": "Enterprise", "list_price_per_seat": Decimal("49"), "is_enterprise": True}
    )
    for min_seats, price in ((100, "44"), (500, "39"), (1000, "34"), (5000, "29")):
        PriceTier.objects.get_or_create(plan=plan, min_seats=min_seats, defaults={"price_per_seat": Decimal(price)})


@pytest.fixture
def group(price_book):
    holdings = CompanyFactory(name="Acme Holdings", employee_count=9000, potential_arr=Decimal("900000"))
    europe = CompanyFactory(name="Acme Europe", parent=holdings)
    uk = CompanyFactory(name="Acme UK", parent=europe)
    americas = CompanyFactory(name="Acme Americas", parent=holdings)
    for i in range(170):  # a big branch: drawn collapsed and loaded when opened
        CompanyFactory(name=f"Acme Store {i:03d}", parent=americas)
    design = WorkspaceFactory(company=uk, name="Acme Design", plan="business", seats=40, mrr=Decimal("1160"))
    WorkspaceFactory(company=europe, name="Acme Data", plan="team", seats=30, mrr=Decimal("360"))
    WorkspaceFactory(company=holdings, name="Acme HQ", plan="team", seats=30, mrr=Decimal("360"))
    WorkspaceMembershipFactory(
        workspace=design, user=ProductUserFactory(name="Wile Coyote", email="wile@acme.example"),
        role=WorkspaceMembership.Role.ADMIN,
    )
    other = CompanyFactory(name="Globex", employee_count=300)
    WorkspaceFactory(company=other, name="Globex One")
    WorkspaceFactory(company=other, name="Globex Two")
    return {"holdings": holdings, "uk": uk}


def test_rep_finds_a_consolidation_case_and_walks_the_hierarchy(page: Page, live_server, group):
    # A superuser: transactional tests do not keep the role groups the migrations create.
    UserFactory(username="cora.consolidator", first_name="Cora", last_name="C", is_superuser=True, is_staff=True)

    page.goto(f"{live_server.url}/accounts/consolidation/")
    page.get_by_label("Username").fill("cora.consolidator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Consolidation candidates")

    candidates = page.locator("tbody.candidate")
    expect(candidates).to_have_count(2)
    expect(candidates.first).to_contain_text("Acme Holdings")  # largest committed uplift first
    expect(candidates.first).to_contain_text("Needs an incentive")

    # Expand the candidate: its workspaces, from every company of the group, with their admins.
    first = candidates.first
    admin_line = first.get_by_text("wile@acme.example")
    expect(admin_line).to_be_hidden()
    first.locator("summary").click()
    expect(admin_line).to_be_visible()
    expect(first.locator(".candidate-workspaces tbody tr")).to_have_count(3)

    # Sorting by workspaces through the header keeps the page (htmx) and changes the URL.
    page.evaluate("window.__sameDocument = true")
    page.locator("thead").get_by_role("link", name="Workspaces").click()
    expect(page).to_have_url(re.compile(r"sort=-workspaces"))
    assert page.evaluate("window.__sameDocument") is True

    # Drill down to the account: the group's tree, the roll-up cards.
    page.locator("tbody.candidate").first.get_by_role("link", name="Acme Holdings").click()
    expect(page.locator("h1")).to_contain_text("Acme Holdings")
    expect(page.locator("#rollup-heading")).to_contain_text("Acme Holdings and its 173 subsidiaries")
    tree = page.locator("#hierarchy")
    expect(tree.get_by_role("link", name="Acme Europe")).to_be_visible()
    uk_link = tree.get_by_role("link", name="Acme UK")
    expect(uk_link).to_be_hidden()  # inside the collapsed Europe branch
    tree.locator("summary", has_text="Acme Europe").click()
    expect(uk_link).to_be_visible()

    # The big branch loads when opened.
    store = tree.get_by_role("link", name="Acme Store 169")
    expect(store).to_have_count(0)
    tree.locator("summary", has_text="Acme Americas").click()
    expect(store).to_be_visible()

    # A subsidiary's page shows the whole group with itself highlighted.
    uk_link.click()
    expect(page.locator("h1")).to_contain_text("Acme UK")
    expect(page.locator("#hierarchy .tree-current")).to_have_text("Acme UK")
    expect(page.locator("#tree-heading")).to_contain_text("Group hierarchy")
