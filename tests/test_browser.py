"""The account pages in a real browser: log in, search as you type (htmx), open an account."""
import os

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (creating data) must still be allowed.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from accounts.models import Company  # noqa: E402
from tests.factories import (  # noqa: E402
    CompanyDomainFactory,
    CompanyFactory,
    ProductUserFactory,
    UsageRecordFactory,
    UserFactory,
    WorkspaceFactory,
    WorkspaceMembershipFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"  # the factory's password


@pytest.fixture
def accounts_data():
    acme = CompanyFactory(name="Acme Corporation", tier=Company.Tier.ENTERPRISE, potential_arr=Decimal("500000"))
    CompanyDomainFactory(company=acme, domain="acme.example")
    CompanyFactory(name="Acme Labs", parent=acme, tier=Company.Tier.SMB)
    CompanyFactory(name="Acme Europe", parent=acme, tier=Company.Tier.MID_MARKET)
    CompanyFactory(name="Globex", tier=Company.Tier.ENTERPRISE)
    CompanyFactory(name="Initech", tier=Company.Tier.SMB)
    design = WorkspaceFactory(company=acme, name="Acme Design Team", mrr=Decimal("1200"))
    WorkspaceFactory(company=acme, name="Acme Data Science", mrr=Decimal("300"))
    WorkspaceMembershipFactory(workspace=design, user=ProductUserFactory(company=acme, email="wile@acme.example"))
    UsageRecordFactory(workspace=design)
    return acme


def test_user_logs_in_searches_and_opens_an_account(page: Page, live_server, accounts_data):
    UserFactory(username="bea.browser", first_name="Bea", last_name="Browser")

    # Every page needs a login; the login form brings the user back to where they wanted to go.
    page.goto(f"{live_server.url}/accounts/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/accounts/$"))
    page.get_by_label("Username").fill("bea.browser")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/")
    expect(page.locator(".topbar")).to_contain_text("Bea Browser")

    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(5)

    # Typing filters the table in place: htmx swaps the results, the page itself stays.
    page.evaluate("window.__sameDocument = true")
    page.get_by_placeholder("Name, domain or external id").press_sequentially("acme", delay=40)
    expect(rows).to_have_count(3)
    expect(page.locator(".result-count")).to_contain_text("3 accounts matching “acme”")
    expect(page).to_have_url(re.compile(r"/accounts/\?q=acme$"))  # shareable URL, no empty fields
    assert page.evaluate("window.__sameDocument") is True

    # A filter narrows further, still without a reload, and keeps the search.
    page.get_by_label("Tier").select_option("enterprise")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=acme&tier=enterprise"))
    assert page.evaluate("window.__sameDocument") is True

    # Sorting by name descending through the column header keeps search and filter.
    page.get_by_label("Tier").select_option("")
    expect(rows).to_have_count(3)
    page.locator("#results thead").get_by_role("link", name="Account").click()
    expect(rows.first).to_contain_text("Acme Labs")
    expect(page).to_have_url(re.compile(r"q=acme.*sort=-name"))
    assert page.evaluate("window.__sameDocument") is True

    # Open the account: its subsidiaries and workspaces are there, and the usage chart.
    page.get_by_role("link", name="Acme Corporation", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Acme Corporation")
    subsidiaries = page.locator("section", has=page.get_by_role("heading", name=re.compile("Subsidiaries")))
    expect(subsidiaries.get_by_role("link", name="Acme Europe")).to_be_visible()
    expect(subsidiaries.get_by_role("link", name="Acme Labs")).to_be_visible()
    workspaces = page.locator("section", has=page.get_by_role("heading", name=re.compile("Workspaces")))
    expect(workspaces.locator("tbody tr")).to_have_count(2)
    expect(workspaces.locator("tbody tr").first).to_contain_text("Acme Design Team")
    expect(page.locator("text=wile@acme.example")).to_be_visible()
    expect(page.locator("svg.chart-wide")).to_be_visible()

    # A subsidiary's breadcrumb leads back to the parent.
    subsidiaries.get_by_role("link", name="Acme Labs").click()
    expect(page.locator(".breadcrumb")).to_contain_text("Acme Corporation")
    page.locator(".breadcrumb").get_by_role("link", name="Acme Corporation").click()
    expect(page.locator("h1")).to_contain_text("Acme Corporation")
