"""The weekly review in a real browser: a rep logs a contact in three clicks and the row turns fresh
without a reload; the dialog is keyboard-friendly (focus inside, Esc closes)."""

import os

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls must still run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from django.utils import timezone  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402

from stakeholders.models import Interaction, Stakeholder  # noqa: E402
from stakeholders.services import interaction_log  # noqa: E402
from tests.factories import CompanyFactory, ProfileFactory, TeamFactory, UserFactory  # noqa: E402
from tests.stakeholders.factories import StakeholderFactory  # noqa: E402

# Transactional: the live server sees the data. Role groups come from a migration and are flushed
# between transactional tests, so the rep here is a plain user on the team (reps have no extra rights).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"


@pytest.fixture
def review_data():
    manager = UserFactory(username="mona.manager", first_name="Mona", last_name="Manager")
    team = TeamFactory(name="Enterprise East", manager=manager)
    rep = UserFactory(username="rita.rep", first_name="Rita", last_name="Rep")
    ProfileFactory(user=rep, team=team)
    big = CompanyFactory(name="Globex Industries", owner=rep, potential_arr=Decimal("2000000"))
    small = CompanyFactory(name="Initech", owner=rep, potential_arr=Decimal("300000"))
    champion = StakeholderFactory(company=big, name="Carla Champion", role=Stakeholder.Role.CHAMPION, key_rank=1)
    StakeholderFactory(company=big, name="Bert Buyer", role=Stakeholder.Role.ECONOMIC_BUYER, key_rank=2)
    StakeholderFactory(company=small, name="Ines Initech", role=Stakeholder.Role.END_USER)
    interaction_log(company=big, by=rep, stakeholders=[champion], occurred_at=timezone.now() - timedelta(days=45))
    return {"rep": rep, "big": big, "champion": champion}


def test_rep_logs_a_contact_from_the_review_in_three_clicks(page: Page, live_server, review_data):
    big, champion = review_data["big"], review_data["champion"]
    page.goto(f"{live_server.url}/review/")
    page.get_by_label("Username").fill("rita.rep")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Weekly review")).to_be_visible()

    row = page.locator(f"#review-row-{big.pk}")
    chip = row.locator(f"#ks-{big.pk}-{champion.pk}")
    expect(chip).to_have_class("ks fresh-stale")
    expect(chip.locator(".ks-days")).to_have_text("45d")
    page.evaluate("window.__sameDocument = true")

    # Click 1: open the dialog. Focus lands inside it, on the first stakeholder.
    row.get_by_role("link", name="Log contact at Globex Industries").click()
    dialog = page.locator("#sh-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Carla Champion")).to_be_focused()
    # Click 2: pick the stakeholder. Click 3: save (channel "video call" and "now" are the defaults).
    dialog.get_by_text("Carla Champion").click()
    dialog.get_by_role("button", name="Log contact").click()

    expect(dialog).to_be_hidden()
    expect(chip).to_have_class("ks fresh-fresh")
    expect(chip.locator(".ks-days")).to_have_text("today")
    expect(row.locator(".col-contact")).to_contain_text("today")
    expect(page.locator("#sh-toast")).to_contain_text("Logged a contact with Carla Champion")
    assert page.evaluate("window.__sameDocument") is True  # no navigation: htmx swapped the row
    logged = Interaction.objects.filter(company=big).order_by("-occurred_at").first()
    assert logged.logged_by == review_data["rep"] and logged.channel == "video"
    assert list(logged.participants.values_list("stakeholder_id", flat=True)) == [champion.pk]
    champion.refresh_from_db()
    assert champion.last_contacted_at == logged.occurred_at

    # Keyboard: the dialog opens focused and Esc closes it, returning focus to the button.
    opener = row.get_by_role("link", name="Log contact at Globex Industries")
    opener.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("checkbox", name="Carla Champion")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert Interaction.objects.filter(company=big).count() == 2
    assert page.evaluate("window.__sameDocument") is True
