"""The account page's History card in a real browser: opened with the keyboard, its entries load
in place (htmx) and show who changed what."""

import os

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls must still run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from tests.factories import CompanyFactory, UserFactory  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


def test_history_card_loads_the_changes_when_opened(page: Page, live_server):
    UserFactory(username="rita.rep", first_name="Rita", last_name="Rep")
    manager = UserFactory(username="mona.manager", first_name="Mona", last_name="Manager")
    acme = CompanyFactory(name="Acme Corp", tier="smb")
    acme.tier = "enterprise"
    acme._history_user = manager
    acme.save()

    page.goto(f"{live_server.url}/accounts/{acme.pk}/")
    page.get_by_label("Username").fill("rita.rep")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Acme Corp")).to_be_visible()

    panel = page.locator(".history-panel")
    expect(panel.locator(".history-list")).to_have_count(0)  # nothing read until it is opened
    panel.locator("summary").focus()
    page.keyboard.press("Enter")
    entry = panel.locator(".history-entry").first
    expect(entry).to_contain_text("Mona Manager")
    expect(entry).to_contain_text("Tier")
    expect(entry.locator("del")).to_have_text("SMB")
    expect(entry.locator("ins")).to_have_text("Enterprise")
    assert page.url.endswith(f"/accounts/{acme.pk}/")  # loaded in place
