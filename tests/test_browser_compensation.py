"""A rep's statement in a real browser: figures, line items, and the what-if preview updating in place."""

import os

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls must still run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from forecasting.compensation import services  # noqa: E402
from forecasting.models import Statement  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tests.forecasting.comp_builders import Q3, assign, consumption, hybrid_plan, open_deal, won  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


def test_rep_reads_the_statement_and_previews_closing_a_deal(page: Page, live_server):
    rep = UserFactory(username="rita.rep", first_name="Rita", last_name="Rep")
    assign(rep, hybrid_plan())
    won(rep, 120000, name="Initech platform")
    consumption(rep, 75000)
    deal = open_deal(rep, 40000, name="Initech data team")
    services.statements_calculate(period=Q3)

    page.goto(f"{live_server.url}/compensation/")
    page.get_by_label("Username").fill("rita.rep")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Q3 2026 statement")).to_be_visible()
    expect(page.get_by_test_id("payable")).to_have_text("$107,500.00")
    bookings = page.locator("section.comp-component").filter(has=page.get_by_role("heading", name="Bookings"))
    expect(bookings).to_contain_text("120%")
    expect(bookings).to_contain_text("Initech platform")
    expect(bookings).to_contain_text("1.4×")
    page.evaluate("window.__sameDocument = true")

    page.get_by_label("Initech data team").check()
    result = page.locator("#what-if-result")
    expect(result.get_by_test_id("what-if-payable")).to_have_text("$137,500.00")
    expect(result).to_contain_text("+$30,000.00")
    expect(result).to_contain_text("160%")
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label("Initech data team").uncheck()
    expect(result).to_contain_text("No deal selected.")
    assert Statement.objects.get(rep=rep).payable == Decimal("107500.00")  # a preview never writes
    assert deal.pk  # the open deal stays open
