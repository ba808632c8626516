"""The rep inbox in a real browser: plays by value with the why, one-click start, a step ticked, a disqualification — no reload."""

import os

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls must still run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from playbooks.models import Play, PlayStep  # noqa: E402
from tests.factories import CompanyFactory, UserFactory  # noqa: E402
from tests.playbooks.factories import PlaybookFactory, PlayFactory  # noqa: E402

# Transactional: the live server sees the data (the shipped playbooks are flushed too; we make our own).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


def test_rep_works_plays_in_the_inbox_without_reloading(page: Page, live_server):
    rep = UserFactory(username="rita.rep", first_name="Rita", last_name="Rep")
    playbook = PlaybookFactory(name="Workspace sprawl", slug="workspace-sprawl")
    plays = {}
    for name, value, why in (("Globex", "25000", "2 workspaces"), ("Initech", "180000", "5 workspaces")):
        play = PlayFactory(playbook=playbook, company=CompanyFactory(name=name), assignee=rep, value=Decimal(value),
                           why=[{"metric": "workspace_count", "text": why}, {"metric": "seats", "text": "120 seats"}])
        for i, title in enumerate(("Identify related accounts", "Pitch decision makers"), start=1):
            PlayStep.objects.create(play=play, position=i, title=title, due_date=date(2030, 1, i))
        plays[name] = play

    page.goto(f"{live_server.url}/playbooks/plays/")
    page.get_by_label("Username").fill("rita.rep")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My plays")).to_be_visible()

    cards = page.locator("article.play-card")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("Initech")  # most valuable first
    expect(cards.first).to_contain_text("5 workspaces")
    expect(cards.first).to_contain_text("$180K")
    page.evaluate("window.__sameDocument = true")

    initech = page.locator(f"#play-{plays['Initech'].pk}")
    initech.get_by_role("button", name="Start").click()
    expect(initech.locator("[data-status]")).to_have_text("In progress")
    initech.get_by_role("button", name="Mark “Identify related accounts” done").click()
    expect(initech.get_by_role("button", name="Mark “Identify related accounts” not done")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    started = Play.objects.get(pk=plays["Initech"].pk)
    assert started.status == "in_progress" and started.first_action_at is not None
    assert started.steps.get(position=1).done_at is not None

    globex = page.locator(f"#play-{plays['Globex'].pk}")
    globex.get_by_text("Disqualify").first.click()
    globex.get_by_placeholder("Why?").fill("Already on an enterprise agreement")
    globex.get_by_role("button", name="Disqualify").click()
    expect(globex.locator("[data-status]")).to_have_text("Disqualified")
    expect(globex).to_contain_text("Already on an enterprise agreement")
    assert page.evaluate("window.__sameDocument") is True
    closed = Play.objects.get(pk=plays["Globex"].pk)
    assert (closed.status, closed.disqualify_reason, closed.closed_by_id) == (
        "disqualified", "Already on an enterprise agreement", rep.pk)
