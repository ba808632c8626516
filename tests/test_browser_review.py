"""The review queue in a real browser: one-click confirm, reassign by keyboard through the search box, bulk reject."""

import os

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls must still run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from accounts.models import Workspace  # noqa: E402
from tests.factories import CompanyDomainFactory, CompanyFactory, UserFactory, WorkspaceFactory  # noqa: E402

# Transactional: the live server sees the data. Role groups come from a migration and are flushed
# between transactional tests, so the person here is a superuser (a RevOps admin by definition).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def queue():
    acme = CompanyFactory(name="Acme Corporation")
    globex = CompanyFactory(name="Globex Industries")
    CompanyDomainFactory(company=globex, domain="globex.example")
    rows = {}
    for name, mrr in (("Acme Design", "900"), ("Acme Ops", "500"), ("Acme Sales", "120"), ("Acme Labs", "80")):
        rows[name] = WorkspaceFactory(
            name=name,
            mrr=Decimal(mrr),
            match_status="review",
            match_method="name",
            match_confidence=0.74,
            match_reason=f"workspace name '{name}' ≈ 'Acme Corporation' (74)",
            suggested_company=acme,
        )
    return {"acme": acme, "globex": globex, **rows}


def test_admin_confirms_reassigns_and_bulk_rejects_without_reloading(page: Page, live_server, queue):
    boss = UserFactory(username="sam.super", first_name="Sam", last_name="Super", is_superuser=True, is_staff=True)
    page.goto(f"{live_server.url}/accounts/review/")
    page.get_by_label("Username").fill("sam.super")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()

    rows = page.locator("#review-results tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Acme Design")  # most valuable first
    expect(page.locator("#count-workspaces")).to_have_text("4")
    page.evaluate("window.__sameDocument = true")

    # One click: the row turns confirmed in place and the tab count follows.
    design = page.locator(f"#review-workspaces-{queue['Acme Design'].pk}")
    design.get_by_role("button", name="Confirm").click()
    expect(design.locator(".outcome .badge")).to_have_text("Confirmed")
    expect(page.locator("#count-workspaces")).to_have_text("3")
    assert page.evaluate("window.__sameDocument") is True
    decided = Workspace.objects.get(pk=queue["Acme Design"].pk)
    assert (decided.company_id, decided.match_status, decided.matched_by_id) == (queue["acme"].pk, "confirmed", boss.pk)

    # Keyboard triage: focus moved to the next row's Confirm; Tab reaches Reassign, Enter opens the
    # search box (focused), and Enter in it picks the first company found.
    ops = page.locator(f"#review-workspaces-{queue['Acme Ops'].pk}")
    expect(ops.get_by_role("button", name="Confirm")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(ops.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    search = ops.get_by_role("searchbox")
    expect(search).to_be_focused()
    search.press_sequentially("globex", delay=30)
    expect(ops.get_by_role("button", name="Globex Industries")).to_be_visible()
    page.keyboard.press("Enter")
    expect(ops.locator(".outcome .badge")).to_have_text("Reassigned")
    expect(ops).to_contain_text("Globex Industries")
    assert page.evaluate("window.__sameDocument") is True
    reassigned = Workspace.objects.get(pk=queue["Acme Ops"].pk)
    assert (reassigned.company_id, reassigned.match_method, reassigned.match_status) == (
        queue["globex"].pk,
        "manual",
        "confirmed",
    )

    # Bulk: select the two left, reject them; they leave the queue.
    page.reload()
    expect(rows).to_have_count(2)
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Select every row on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator("#review-results .alert")).to_contain_text("Rejected 2 workspaces.")
    expect(page.locator("#review-results")).to_contain_text("Nothing to review")
    assert page.evaluate("window.__sameDocument") is True
    assert set(
        Workspace.objects.filter(name__in=["Acme Sales", "Acme Labs"]).values_list("match_status", flat=True)
    ) == {"rejected"}
